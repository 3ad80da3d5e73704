"""The audit trail, for staff: who did what, when, with the state before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery
from sqlalchemy import select

from service.deps import STAFF_ROLES, Authorized, DbSession, require
from service.errors import STAFF_READ
from service.models import AuditEvent
from service.pagination import Limit, Offset, Page, paginate
from service.structs import from_row


class AuditEventRead(msgspec.Struct):
    id: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    comment: str | None


class AuditController(Controller):
    path = "/api/v1/audit-events"
    tags = ["audit"]
    dependencies = {"staff": require(*STAFF_ROLES)}

    @get("/", sync_to_thread=True, responses=STAFF_READ, summary="Audit events, newest first (staff)")
    def events(
        self,
        db_session: DbSession,
        staff: Authorized,
        entity_type: FromQuery[str | None] = None,
        entity_id: FromQuery[str | None] = None,
        actor: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[AuditEventRead]:
        statement = select(AuditEvent).order_by(AuditEvent.id.desc())
        if entity_type:
            statement = statement.where(AuditEvent.entity_type == entity_type)
        if entity_id:
            statement = statement.where(AuditEvent.entity_id == entity_id)
        if actor:
            statement = statement.where(AuditEvent.actor == actor)
        rows, total = paginate(db_session, statement, limit, offset)
        return Page([from_row(AuditEventRead, event) for (event,) in rows], total, limit, offset)
