from __future__ import annotations

from datetime import date

import msgspec


class PatentRead(msgspec.Struct):
    application_no: str
    title: str | None
    patent_type: str
    ipc: str | None
    filing_date: date
    grant_date: date | None
    legal_status: str
    lapse_date: date | None
    owner_credit_code: str | None
    co_owners_consent: bool
    fees_paid_through_year: int | None
    late_fee_payments: int | None
    forward_citations: int | None
    backward_citations: int | None
    claims: int | None
    independent_claims: int | None
    family_size: int | None
    granted_abroad: bool | None
    pct: bool | None
    licenses: int | None
    transfers: int | None
    previous_pledges: int | None
    award: str | None
    commercialization: str | None
    annual_revenue_fen: int | None  # staff only (reviewer or admin keys); null for everyone else
    term_compensation_days: int | None
    invalidation_pending: bool
    frozen: bool
