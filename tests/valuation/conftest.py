"""Fixtures for the valuation tests: a record factory with a known-good valid invention patent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from valuation import load_params

BASE_RECORD: dict[str, Any] = {
    "application_no": "201710601862.3",
    "title": "一种锂离子电池正极材料及其制备方法",
    "patent_type": "invention",
    "ipc": "H01M 10/052",
    "filing_date": date(2017, 7, 25),
    "grant_date": date(2020, 3, 10),
    "legal_status": "valid",
    "lapse_date": None,
    "owner_credit_code": None,
    "co_owners_consent": True,
    "fees_paid_through_year": 8,  # year 9 (¥2,000) due 2025-07-25
    "late_fee_payments": 0,
    "forward_citations": 5,
    "backward_citations": 8,
    "claims": 10,
    "independent_claims": 2,
    "family_size": 2,
    "granted_abroad": False,
    "pct": True,
    "licenses": 1,
    "transfers": 0,
    "previous_pledges": 0,
    "award": "none",
    "commercialization": "production",
    "annual_revenue_yuan": Decimal("2000000"),
    "term_compensation_days": 0,
    "invalidation_pending": False,
    "frozen": False,
}


@pytest.fixture(scope="session")
def params():
    """The shipped parameters as in force on 2025-06-30 (the tests' usual valuation date); the
    engine re-resolves them at each valuation's own date."""
    return load_params().at(date(2025, 6, 30))


@pytest.fixture
def make_record():
    """``make_record(**changes)`` → a copy of BASE_RECORD with the changes applied."""

    def make(**changes: Any) -> dict[str, Any]:
        record = dict(BASE_RECORD)
        record.update(changes)
        return record

    return make
