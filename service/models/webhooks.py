"""Signed notifications to banks (Standard Webhooks): each bank's endpoint and an outbox of
messages written in the same transaction as the event, delivered by the scheduler."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from service.models.enums import WebhookStatus, one_of
from service.models.types import UTCDateTime, utcnow


class WebhookEndpoint(SQLModel, table=True):
    """A bank's HTTPS URL and signing secret (`whsec_…`). The secret signs, so it is stored as
    given; it is shown once, when registered."""

    __tablename__ = "webhook_endpoints"

    bank_id: int = Field(foreign_key="banks.id", primary_key=True)
    url: str = Field(max_length=500)
    secret: str = Field(max_length=100)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookMessage(SQLModel, table=True):
    __tablename__ = "webhook_messages"
    __table_args__ = (one_of("status", WebhookStatus),)

    id: int | None = Field(default=None, primary_key=True)
    msg_id: str = Field(max_length=64, unique=True)  # the `webhook-id` header, the receiver's dedup key
    bank_id: int = Field(foreign_key="banks.id", index=True)
    event_type: str = Field(max_length=64)
    payload: dict = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=WebhookStatus.pending, max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
