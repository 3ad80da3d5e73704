"""Enterprises and the credit loans they hold."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models.enums import Cluster, CreditLoanKind, Grade, one_of
from service.models.types import UTCDateTime, utcnow


class Enterprise(SQLModel, table=True):
    __tablename__ = "enterprises"
    __table_args__ = (one_of("industry_cluster", Cluster),)

    id: int | None = Field(default=None, primary_key=True)
    credit_code: str = Field(max_length=18, unique=True)
    name: str = Field(max_length=200, index=True)
    industry_cluster: str = Field(max_length=32, index=True)
    town: str | None = Field(default=None, max_length=50)
    contact_person: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=50)
    employees: int | None = None
    # Certifications, each with the date obtained (targets count dates inside a window).
    high_tech_date: date | None = None
    specialized_date: date | None = None
    ip_advantage_date: date | None = None
    ip_standard_date: date | None = None
    need_amount_fen: int | None = Field(default=None, sa_type=BigInteger)
    need_term_months: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def certifications(self) -> dict[str, date]:
        held = {
            "high_tech": self.high_tech_date,
            "specialized": self.specialized_date,
            "ip_advantage": self.ip_advantage_date,
            "ip_standard": self.ip_standard_date,
        }
        return {code: obtained for code, obtained in held.items() if obtained is not None}


class CreditLoan(SQLModel, table=True):
    __tablename__ = "credit_loans"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "bank_id", "kind", "start_date"),
        one_of("kind", CreditLoanKind),
        one_of("grade", Grade, nullable=True),
        CheckConstraint("drawn_fen >= 0 AND drawn_fen <= limit_fen", name="drawn_within_limit"),
        CheckConstraint("maturity_date > start_date", name="maturity_after_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprises.id", index=True)
    bank_id: int = Field(foreign_key="banks.id", index=True)
    kind: str = Field(max_length=20)
    grade: str | None = Field(default=None, max_length=1)
    limit_fen: int = Field(sa_type=BigInteger)
    drawn_fen: int = Field(default=0, sa_type=BigInteger)
    start_date: date
    maturity_date: date
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
