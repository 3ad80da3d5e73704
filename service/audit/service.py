"""The audit trail: one way to record who did what to which entity, with the state before and after."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from service.models import AuditEvent


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session's transaction (it commits, or rolls back, with the work)."""
    event = AuditEvent(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        comment=comment,
    )
    session.add(event)
    return event
