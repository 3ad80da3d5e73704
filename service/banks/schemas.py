from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec


class BankRead(msgspec.Struct):
    code: str
    name: str
    contact_person: str | None
    contact_phone: str | None


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
