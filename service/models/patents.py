"""Patents, with every field of the patent import file."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint
from sqlmodel import Field, SQLModel

from service.models.enums import Award, Commercialization, LegalStatus, PatentType, one_of
from service.models.types import UTCDateTime, utcnow


class Patent(SQLModel, table=True):
    __tablename__ = "patents"
    __table_args__ = (
        one_of("patent_type", PatentType),
        one_of("legal_status", LegalStatus),
        one_of("award", Award, nullable=True),
        one_of("commercialization", Commercialization, nullable=True),
        CheckConstraint("grant_date IS NULL OR grant_date > filing_date", name="grant_after_filing"),
        CheckConstraint("lapse_date IS NULL OR lapse_date > grant_date", name="lapse_after_grant"),
        CheckConstraint("annual_revenue_fen IS NULL OR annual_revenue_fen >= 0", name="revenue_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_no: str = Field(max_length=16, unique=True)  # canonical YYYYTNNNNNNN.C
    title: str | None = Field(default=None, max_length=300)
    patent_type: str = Field(max_length=16)
    ipc: str | None = Field(default=None, max_length=32, index=True)
    filing_date: date
    grant_date: date | None = None
    legal_status: str = Field(max_length=16, index=True)
    lapse_date: date | None = None
    owner_id: int | None = Field(default=None, foreign_key="enterprises.id", index=True)
    co_owners_consent: bool = True
    fees_paid_through_year: int | None = None
    late_fee_payments: int | None = None
    forward_citations: int | None = None
    backward_citations: int | None = None
    claims: int | None = None
    independent_claims: int | None = None
    family_size: int | None = None
    granted_abroad: bool | None = None
    pct: bool | None = None
    licenses: int | None = None
    transfers: int | None = None
    previous_pledges: int | None = None
    award: str | None = Field(default=None, max_length=32)
    commercialization: str | None = Field(default=None, max_length=16)
    annual_revenue_fen: int | None = Field(default=None, sa_type=BigInteger)
    term_compensation_days: int | None = None
    invalidation_pending: bool = False
    dual_filing: bool = False  # utility model with a same-day invention application (一案双申)
    frozen: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
