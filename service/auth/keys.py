"""API keys: `ipf_<prefix>_<secret>`; only a SHA-256 of the whole key is stored.

The keys are 190 random bits, so a fast hash is enough (no password stretching needed); the
prefix finds the row, and the comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from service.models import ApiKey, Bank
from service.models.types import utcnow


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved once per request from the Authorization header."""

    key_id: int
    name: str
    role: str
    bank_id: int | None = None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(session: Session, *, role: str, name: str, bank: Bank | None = None) -> str:
    """Create a random key and return its plaintext (shown once, never stored)."""
    prefix = secrets.token_hex(4)
    key = f"ipf_{prefix}_{secrets.token_urlsafe(24)}"
    session.add(ApiKey(prefix=prefix, key_hash=_hash(key), role=role, name=name, bank_id=bank.id if bank else None))
    session.flush()
    return key


def authenticate(session: Session, key: str) -> Principal | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "ipf":
        return None
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, _hash(key)):
        return None
    return Principal(key_id=row.id, name=row.name, role=row.role, bank_id=row.bank_id)


def revoke(session: Session, prefix: str) -> bool:
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if row is None:
        return False
    row.revoked_at = utcnow()
    return True


def list_keys(session: Session) -> list[tuple[ApiKey, str | None]]:
    """Every key with its bank code (None for staff keys), oldest first; never the key itself."""
    statement = select(ApiKey, Bank.code).outerjoin(Bank, Bank.id == ApiKey.bank_id).order_by(ApiKey.id)
    return [(key, code) for key, code in session.execute(statement).all()]
