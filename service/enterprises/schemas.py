from __future__ import annotations

from datetime import date

import msgspec


class EnterpriseRead(msgspec.Struct):
    credit_code: str
    name: str
    industry_cluster: str
    town: str | None
    employees: int | None
    certifications: dict[str, date]
    # The financing need and personal contact details: only for staff (reviewer or admin keys),
    # null for everyone else (README "Who may read what").
    need_amount_fen: int | None = None
    need_term_months: int | None = None
    contact_person: str | None = None
    contact_phone: str | None = None


class CreditLoanRead(msgspec.Struct):
    id: int
    enterprise_credit_code: str
    enterprise_name: str
    bank_code: str
    kind: str
    grade: str | None
    limit_fen: int
    drawn_fen: int
    start_date: date
    maturity_date: date
