from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import msgspec


class BankRead(msgspec.Struct):
    code: str
    name: str
    # Staff only (reviewer or admin keys); null for everyone else.
    contact_person: str | None = None
    contact_phone: str | None = None


class ProductRead(msgspec.Struct):
    id: int
    bank_code: str
    code: str
    name: str
    min_amount_fen: int
    max_amount_fen: int
    pledge_rate: Decimal
    interest_rate_min: Decimal
    interest_rate_max: Decimal
    term_min_months: int
    term_max_months: int
    eligible_clusters: list[str]
    required_certifications: list[str]
    min_patent_grade: str | None
    min_remaining_term_years: Decimal | None
    quota_count: int | None
    quota_amount_fen: int | None
    quota_period_start: date | None
    quota_period_end: date | None
    requires_existing_customer: bool
    active: bool


Fen = Annotated[int, msgspec.Meta(ge=0, le=10**14, description="fen")]
Months = Annotated[int, msgspec.Meta(ge=1, le=600)]
# Decimals are range-checked by the service (msgspec bounds only ints and floats); the text is short.
Rate = Annotated[Decimal, msgspec.Meta(description="pledge rate (质押率), a fraction in (0, 1]", examples=["0.30"])]
Percent = Annotated[Decimal, msgspec.Meta(description="annual interest rate, percent, 0–100")]


class ProductUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A bank's change to its own product: only the fields sent change; null clears a quota field."""

    pledge_rate: Rate | msgspec.UnsetType = msgspec.UNSET
    min_amount_fen: Fen | msgspec.UnsetType = msgspec.UNSET
    max_amount_fen: Fen | msgspec.UnsetType = msgspec.UNSET
    interest_rate_min: Percent | msgspec.UnsetType = msgspec.UNSET
    interest_rate_max: Percent | msgspec.UnsetType = msgspec.UNSET
    term_min_months: Months | msgspec.UnsetType = msgspec.UNSET
    term_max_months: Months | msgspec.UnsetType = msgspec.UNSET
    quota_count: Annotated[int, msgspec.Meta(ge=0, le=10**6)] | msgspec.UnsetType | None = msgspec.UNSET
    quota_amount_fen: Fen | msgspec.UnsetType | None = msgspec.UNSET
    quota_period_start: date | msgspec.UnsetType | None = msgspec.UNSET
    quota_period_end: date | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
