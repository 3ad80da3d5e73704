"""CNIPA pledge registrations (质押登记) and the IP each pledges: patents (linked to the patent
register) and trademarks or other IP (by their registration numbers; counted, not valued)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from service.models.enums import IpType, one_of
from service.models.types import UTCDateTime, utcnow


class PledgeRegistration(SQLModel, table=True):
    __tablename__ = "pledge_registrations"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("loan_end > loan_start", name="loan_end_after_start"),
        one_of("ip_type", IpType),
    )

    id: int | None = Field(default=None, primary_key=True)
    registration_no: str = Field(max_length=40, unique=True)
    registration_date: date = Field(index=True)
    enterprise_id: int = Field(foreign_key="enterprises.id", index=True)
    bank_id: int = Field(foreign_key="banks.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="pledge_products.id")
    whitelist_entry_id: int | None = Field(default=None, foreign_key="whitelist_entries.id", unique=True)
    amount_fen: int = Field(sa_type=BigInteger)
    # The registration's IP type: patent when it pledges any patent, else trademark when it
    # pledges any trademark, else other. Its items say exactly what is pledged.
    ip_type: str = Field(default=IpType.patent, max_length=16, sa_column_kwargs={"server_default": "patent"})
    loan_start: date
    loan_end: date
    released_date: date | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PledgedPatent(SQLModel, table=True):
    """A patent in a registration. `released_date` mirrors the registration's, so the database
    can hold the rule "at most one active pledge per patent" as a partial unique index."""

    __tablename__ = "pledged_patents"
    __table_args__ = (
        Index(
            "uq_pledged_patents_active_patent",
            "patent_id",
            unique=True,
            sqlite_where=text("released_date IS NULL"),
            postgresql_where=text("released_date IS NULL"),
        ),
    )

    registration_id: int = Field(foreign_key="pledge_registrations.id", primary_key=True)
    patent_id: int = Field(foreign_key="patents.id", primary_key=True)
    released_date: date | None = None


class PledgedIpItem(SQLModel, table=True):
    """A trademark (registration number) or other IP item in a registration. As for patents,
    `released_date` mirrors the registration's so that one item is in at most one active pledge."""

    __tablename__ = "pledged_ip_items"
    __table_args__ = (
        CheckConstraint("ip_type IN ('trademark', 'other')", name="ip_type_valid"),
        Index(
            "uq_pledged_ip_items_active_item",
            "ip_type",
            "number",
            unique=True,
            sqlite_where=text("released_date IS NULL"),
            postgresql_where=text("released_date IS NULL"),
        ),
    )

    registration_id: int = Field(foreign_key="pledge_registrations.id", primary_key=True)
    ip_type: str = Field(max_length=16, primary_key=True)
    number: str = Field(max_length=40, primary_key=True)
    released_date: date | None = None
