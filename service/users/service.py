"""Staff users and their sign-in sessions.

The browser holds ``<token>.<signature>``: a random token and its HMAC with IPFIN_SECRET_KEY; the
table holds only the token's SHA-256. A cookie that is forged, ended (signed out), expired or
belongs to a disabled user names no one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import audit
from service.errors import ApiError
from service.models import AuditEvent, StaffSession, StaffUser
from service.models.types import utcnow
from service.models.users import StaffRole
from service.users.passwords import DUMMY_HASH, hash_password, verify_password

SESSION_LIFETIME = timedelta(hours=12)  # one working day; then sign in again
MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = r"^[A-Za-z0-9_.\-]{2,64}$"


@dataclass(frozen=True)
class SignedIn:
    """Who a valid session cookie names."""

    user_id: int
    username: str
    role: str


def create_user(session: Session, username: str, role: str, password: str, actor: str) -> StaffUser:
    if not re.match(USERNAME_PATTERN, username):
        raise ApiError(422, "invalid_username", "用户名为 2–64 位字母、数字或 _ . - / 2-64 letters, digits, _ . -")
    if role not in {r.value for r in StaffRole}:
        raise ApiError(422, "invalid_role", "role must be reviewer or admin")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ApiError(
            422, "weak_password", f"密码至少 {MIN_PASSWORD_LENGTH} 位 / at least {MIN_PASSWORD_LENGTH} characters"
        )
    user = StaffUser(username=username, role=role, password_hash=hash_password(password))
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise ApiError(409, "user_exists", f"user {username!r} exists") from None
    audit.record(
        session, actor=actor, action="user.create", entity_type="staff_user", entity_id=username, after={"role": role}
    )
    return user


def check_password(session: Session, username: str, password: str) -> StaffUser | None:
    """The active user with this name and password, else None (same work either way)."""
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    valid = verify_password(password, user.password_hash if user else DUMMY_HASH)
    if user is None or not valid or user.disabled_at is not None:
        return None
    return user


# Sign-in lockout, per username (known or not, so that it tells nothing about which names exist):
# MAX_FAILURES wrong passwords within FAILURE_WINDOW lock the name for LOCK_TIME. Failed attempts are
# audit events ("user.sign_in_failed"), so the lock is held in the database and shared by every
# worker; an attempt while locked is refused unchecked and not counted (an attacker cannot keep the
# owner locked out beyond one LOCK_TIME per MAX_FAILURES guesses); a successful sign-in clears the count.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_TIME = timedelta(minutes=15)
SIGN_IN, SIGN_IN_FAILED = "user.sign_in", "user.sign_in_failed"


def record_failed_sign_in(session: Session, username: str, address: str | None) -> None:
    audit.record(
        session,
        actor="anonymous",
        action=SIGN_IN_FAILED,
        entity_type="staff_user",
        entity_id=username,
        after={"address": address},
    )
    session.flush()


def locked_until(session: Session, username: str, now: datetime) -> datetime | None:
    """When the lock on ``username`` ends, or None when it may sign in now."""
    events = session.execute(
        select(AuditEvent.at, AuditEvent.action)
        .where(
            AuditEvent.at >= now - (FAILURE_WINDOW + LOCK_TIME),  # (audit_events.at is indexed)
            AuditEvent.entity_type == "staff_user",
            AuditEvent.entity_id == username,
            AuditEvent.action.in_([SIGN_IN, SIGN_IN_FAILED]),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    failures: list[datetime] = []
    lock_end = None
    for at, action in events:
        if action == SIGN_IN:
            failures, lock_end = [], None
            continue
        failures = [t for t in failures if t > at - FAILURE_WINDOW] + [at]
        if len(failures) >= MAX_FAILURES:
            failures, lock_end = [], at + LOCK_TIME
    return lock_end if lock_end is not None and lock_end > now else None


def _sign(token: str, secret: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: StaffUser, secret: str) -> str:
    """A new session for ``user``; returns the cookie value."""
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id, expires_at=utcnow() + SESSION_LIFETIME))
    audit.record(session, actor=user.username, action=SIGN_IN, entity_type="staff_user", entity_id=user.username)
    session.flush()
    return f"{token}.{_sign(token, secret)}"


def _token(cookie: str | None, secret: str) -> str | None:
    if not cookie or len(cookie) > 200:
        return None
    token, _, signature = cookie.partition(".")
    return token if hmac.compare_digest(signature, _sign(token, secret)) else None


def session_user(session: Session, cookie: str | None, secret: str) -> SignedIn | None:
    token = _token(cookie, secret)
    if token is None:
        return None
    row = session.execute(
        select(StaffUser.id, StaffUser.username, StaffUser.role)
        .join(StaffSession, StaffSession.user_id == StaffUser.id)
        .where(
            StaffSession.token_hash == _token_hash(token),
            StaffSession.ended_at.is_(None),
            StaffSession.expires_at > utcnow(),
            StaffUser.disabled_at.is_(None),
        )
    ).first()
    return None if row is None else SignedIn(*row)


def end_session(session: Session, cookie: str | None, secret: str) -> None:
    token = _token(cookie, secret)
    if token is not None:
        session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == _token_hash(token), StaffSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
