"""Partner banks, their API keys and their pledge products."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models.enums import ApiRole, Grade, one_of
from service.models.types import UTCDateTime, utcnow


class Bank(SQLModel, table=True):
    __tablename__ = "banks"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    contact_person: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=50)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    """An API key: only its SHA-256 is stored; `prefix` finds the row without a scan."""

    __tablename__ = "api_keys"
    __table_args__ = (
        one_of("role", ApiRole),
        CheckConstraint("(role = 'bank') = (bank_id IS NOT NULL)", name="bank_key_has_bank"),
    )

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(max_length=16, unique=True)
    key_hash: str = Field(max_length=64)
    role: str = Field(max_length=16)
    bank_id: int | None = Field(default=None, foreign_key="banks.id", index=True)
    name: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PledgeProduct(SQLModel, table=True):
    __tablename__ = "pledge_products"
    __table_args__ = (
        UniqueConstraint("bank_id", "code"),
        one_of("min_patent_grade", Grade, nullable=True),
        CheckConstraint("min_amount_fen >= 0 AND min_amount_fen <= max_amount_fen", name="amount_range"),
        CheckConstraint("pledge_rate > 0 AND pledge_rate <= 1", name="pledge_rate_range"),
        CheckConstraint("interest_rate_min <= interest_rate_max", name="interest_range"),
        CheckConstraint("term_min_months > 0 AND term_min_months <= term_max_months", name="term_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    bank_id: int = Field(foreign_key="banks.id", index=True)
    code: str = Field(max_length=32)
    name: str = Field(max_length=200)
    min_amount_fen: int = Field(sa_type=BigInteger)
    max_amount_fen: int = Field(sa_type=BigInteger)
    pledge_rate: Decimal = Field(sa_column=Column(Numeric(5, 4), nullable=False))
    interest_rate_min: Decimal = Field(sa_column=Column(Numeric(6, 3), nullable=False))
    interest_rate_max: Decimal = Field(sa_column=Column(Numeric(6, 3), nullable=False))
    term_min_months: int
    term_max_months: int
    eligible_clusters: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    required_certifications: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    min_patent_grade: str | None = Field(default=None, max_length=1)
    min_remaining_term_years: Decimal | None = Field(default=None, sa_column=Column(Numeric(5, 2)))
    quota_count: int | None = None
    quota_amount_fen: int | None = Field(default=None, sa_type=BigInteger)
    quota_period_start: date | None = None
    quota_period_end: date | None = None
    requires_existing_customer: bool = False
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
