"""Staff who sign in to the pages (/ui): users with a scrypt password hash, and their sessions.

A session row is what a signed-in browser's cookie names (by the SHA-256 of its random token, so
the table never holds a usable token); signing out or disabling the user ends it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from service.models.enums import one_of
from service.models.types import UTCDateTime, utcnow


class StaffRole(StrEnum):
    """Who may sign in to the pages; both may decide proposals (the API's staff roles)."""

    reviewer = "reviewer"
    admin = "admin"


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_users"
    __table_args__ = (one_of("role", StaffRole),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)  # reviewer | admin
    password_hash: str = Field(max_length=200)  # scrypt$n$r$p$salt$hash (service/users/passwords.py)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffSession(SQLModel, table=True):
    __tablename__ = "staff_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="staff_users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
