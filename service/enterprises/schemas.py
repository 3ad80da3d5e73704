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
    need_amount_fen: int | None
    need_term_months: int | None
    # Personal contact details: only for staff (reviewer or admin keys).
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
