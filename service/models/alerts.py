"""Alerts on collateral at risk: raised once per patent, fee due date and bank, closed when the
fee record shows payment (or the pledge or entry that made the patent watched is gone)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models.enums import AlertStage, one_of
from service.models.types import UTCDateTime, utcnow


class Alert(SQLModel, table=True):
    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("patent_id", "due_date", "bank_id"), one_of("stage", AlertStage))

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="annual_fee", max_length=32)
    patent_id: int = Field(foreign_key="patents.id", index=True)
    # The bank whose collateral (pledge) or whitelist entry holds the patent; the center sees all.
    bank_id: int = Field(foreign_key="banks.id", index=True)
    registration_id: int | None = Field(default=None, foreign_key="pledge_registrations.id")
    entry_id: int | None = Field(default=None, foreign_key="whitelist_entries.id")
    fee_year: int
    due_date: date
    grace_end: date
    stage: str = Field(max_length=16)  # due | grace | lapsed, as of the last check
    fee_fen: int = Field(sa_type=BigInteger)
    late_fee_fen: int = Field(default=0, sa_type=BigInteger)
    message: str  # zh-CN, for the center's and the bank's staff
    raised_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    close_reason: str | None = Field(default=None, max_length=32)  # paid | released | ...
