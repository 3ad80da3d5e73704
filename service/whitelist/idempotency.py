"""Idempotency-Key handling for the bank's outcome reports (DESIGN.md §10; Stripe, IETF draft).

The key is claimed by an INSERT … ON CONFLICT DO NOTHING in the same transaction as the work it
guards, and the response is stored in that row before the transaction commits. So a committed key
always holds its response, and a duplicate that arrives while the first is still running waits on
the key's unique index until the first commits (then replays its answer) or rolls back (then does
the work itself): exactly one registration, whatever the timing. A duplicate that would wait
longer than LOCK_WAIT gets 409 `request_in_flight` and may retry.

A refused report (4xx) rolls back with its key: the key is only kept for work that happened.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from service.db import dialect_insert
from service.errors import ApiError
from service.models import IdempotencyKey

LOCK_WAIT = "10s"
MAX_KEY_LENGTH = 255


def _in_flight() -> ApiError:
    return ApiError(409, "request_in_flight", "a report with this Idempotency-Key is in progress; retry")


@dataclass(frozen=True)
class Claim:
    """Either this transaction owns the key (`row_id`), or an earlier request's answer is stored."""

    row_id: int | None
    status_code: int | None = None
    body: Any = None


def request_hash(scope: str, body: msgspec.Struct) -> str:
    """SHA-256 of what the request asks for: its target and its body in a canonical JSON form."""
    canonical = msgspec.json.encode(body, order="sorted")
    return hashlib.sha256(scope.encode() + b"\n" + canonical).hexdigest()


def checked_key(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise ApiError(400, "idempotency_key_required", "send an Idempotency-Key header (e.g. a UUID) with the report")
    key = raw.strip()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise ApiError(400, "invalid_idempotency_key", f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} printable ASCII")
    return key


def claim(session: Session, client: str, key: str, digest: str, now: datetime, keep: timedelta) -> Claim:
    """Claim `key` for `client`, or return the stored answer of the request that holds it."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
    statement = (
        dialect_insert(session, IdempotencyKey)
        .values(client=client, key=key, request_hash=digest, created_at=now, expires_at=now + keep)
        .on_conflict_do_nothing(index_elements=["client", "key"])
        .returning(IdempotencyKey.id)
    )
    try:
        row_id = session.execute(statement).scalar_one_or_none()
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available: the first is still running
            raise _in_flight() from None
        raise
    if postgres:
        session.execute(text("SET LOCAL lock_timeout = 0"))
    if row_id is not None:
        return Claim(row_id)
    stored = session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.client == client, IdempotencyKey.key == key)
    ).one()
    if stored.expires_at <= now:
        # Forgotten: the key may be used afresh. The conditional UPDATE lets one request take it over.
        taken = session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == stored.id, IdempotencyKey.expires_at <= now)
            .values(request_hash=digest, status_code=None, response_body=None, created_at=now, expires_at=now + keep)
        ).rowcount
        if taken == 1:
            return Claim(stored.id)
        session.refresh(stored)
    if stored.request_hash != digest:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request; use a new key for a new report",
        )
    if stored.status_code is None:  # cannot be committed so; kept as a guard
        raise _in_flight()
    return Claim(None, stored.status_code, stored.response_body)


def store(session: Session, row_id: int, status_code: int, body: Any) -> None:
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == row_id)
        .values(status_code=status_code, response_body=msgspec.json.decode(msgspec.json.encode(body)))
    )


def purge_expired(session: Session, now: datetime) -> int:
    """Forget keys past their expiry (the `housekeeping` job); a late retry then counts as new,
    which the entry's own state refuses (an entry takes one outcome)."""
    return session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now)).rowcount
