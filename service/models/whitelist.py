"""Whitelist entries pushed to banks, their outcomes, and the feed's bookkeeping."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models.enums import DeclineReason, EntryStatus, one_of
from service.models.types import UTCDateTime, utcnow


class WhitelistEntry(SQLModel, table=True):
    """What a loan officer needs to act on one approved match, addressed to one bank.

    `feed_position` is assigned at publish time under a lock on the bank's `FeedCounter`
    row, so a position becomes visible only after every smaller one (see DESIGN.md §7).
    """

    __tablename__ = "whitelist_entries"
    __table_args__ = (
        UniqueConstraint("bank_id", "feed_position"),
        one_of("status", EntryStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    bank_id: int = Field(foreign_key="banks.id", index=True)
    proposal_id: int = Field(foreign_key="match_proposals.id", unique=True)
    enterprise_id: int = Field(foreign_key="enterprises.id", index=True)
    product_id: int = Field(foreign_key="pledge_products.id")
    amount_fen: int = Field(sa_type=BigInteger)
    content: dict = Field(sa_column=Column(JSON, nullable=False))
    feed_position: int = Field(sa_type=BigInteger)
    status: str = Field(default=EntryStatus.published, max_length=16, index=True)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    version: int = 1


class FeedCounter(SQLModel, table=True):
    """Last feed position handed out per bank; its row is the publish lock."""

    __tablename__ = "feed_counters"

    bank_id: int = Field(foreign_key="banks.id", primary_key=True)
    last_position: int = Field(default=0, sa_type=BigInteger)


class FeedDelivery(SQLModel, table=True):
    """The highest feed position a bank has pulled: entries up to it count as pushed.

    Its own row, not the counter's: a reader never waits for a publisher's counter lock."""

    __tablename__ = "feed_deliveries"

    bank_id: int = Field(foreign_key="banks.id", primary_key=True)
    last_position: int = Field(default=0, sa_type=BigInteger)
    delivered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WhitelistOutcome(SQLModel, table=True):
    __tablename__ = "whitelist_outcomes"
    __table_args__ = (
        CheckConstraint("outcome IN ('granted', 'declined')", name="outcome_valid"),
        CheckConstraint(
            "(outcome = 'granted') = (registration_no IS NOT NULL AND amount_fen IS NOT NULL)",
            name="granted_has_registration",
        ),
        CheckConstraint("(outcome = 'declined') = (reason_code IS NOT NULL)", name="declined_has_reason"),
        one_of("reason_code", DeclineReason, nullable=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="whitelist_entries.id", unique=True)
    outcome: str = Field(max_length=16)
    amount_fen: int | None = Field(default=None, sa_type=BigInteger)
    registration_no: str | None = Field(default=None, max_length=40)
    registration_date: date | None = None
    reason_code: str | None = Field(default=None, max_length=32)
    reason: str | None = None
    reported_by: str | None = Field(default=None, max_length=100)
    reported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IdempotencyKey(SQLModel, table=True):
    """A client's Idempotency-Key, claimed in the same transaction as the work it guards."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("client", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int | None = None
    response_body: dict | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
