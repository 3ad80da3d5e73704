"""免申即享 (rewards nobody has to apply for): lines proposed by evaluating the county's rules
over a period, and the ledger of the events they reward (each event once, ever)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column
from sqlmodel import Field, SQLModel

from service.models.enums import SubsidyStatus, one_of
from service.models.types import UTCDateTime, utcnow


class SubsidyLine(SQLModel, table=True):
    """What one enterprise gets under one rule for one evaluated period: the events in `facts`."""

    __tablename__ = "subsidy_lines"
    __table_args__ = (
        one_of("status", SubsidyStatus),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rule_code: str = Field(max_length=40, index=True)
    rules_effective_from: date  # the version of the county's rules that priced it
    period_start: date
    period_end: date
    enterprise_id: int = Field(foreign_key="enterprises.id", index=True)
    amount_fen: int = Field(sa_type=BigInteger)
    facts: list = Field(sa_column=Column(JSON, nullable=False))  # one entry per rewarded event
    status: str = Field(default=SubsidyStatus.proposed, max_length=16, index=True)
    evaluated_by: str = Field(max_length=100)
    evaluated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    paid_by: str | None = Field(default=None, max_length=100)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    payment_reference: str | None = Field(default=None, max_length=100)


class SubsidyEvent(SQLModel, table=True):
    """The ledger: a rewardable event (a grant, a registration, an enterprise's production year …)
    under a rule, and the line that rewards it. The primary key makes a second reward impossible."""

    __tablename__ = "subsidy_events"

    rule_code: str = Field(max_length=40, primary_key=True)
    event_key: str = Field(max_length=80, primary_key=True)
    line_id: int = Field(foreign_key="subsidy_lines.id", index=True)
    patent_id: int | None = Field(default=None, foreign_key="patents.id")
    amount_fen: int = Field(sa_type=BigInteger)
