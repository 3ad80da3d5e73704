"""Builders for the matching tests: a baseline enterprise and product that match, to vary one field at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from matching import CreditLoan, Enterprise, Patent, Product

AS_OF = date(2024, 6, 30)
YUAN = 100  # fen


def patent(no: str = "202010000001.1", **kw) -> Patent:
    """Eligible grade-B patent, P10 ¥10,000,000, 10 years left."""
    base = dict(
        application_no=no,
        eligible=True,
        expiry_date=AS_OF + timedelta(days=3652),
        remaining_term_years=10.0,
        value_p10_fen=10_000_000 * YUAN,
        grade="B",
        score=80.0,
        already_pledged=False,
    )
    base.update(kw)
    return Patent(**base)


def kv_loan(bank: str = "CQRCB", **kw) -> CreditLoan:
    base = dict(
        kind="knowledge_value",
        bank_code=bank,
        grade="B",
        limit_fen=4_000_000 * YUAN,
        start_date=date(2024, 1, 1),
        maturity_date=date(2025, 1, 1),
    )
    base.update(kw)
    return CreditLoan(**base)


def enterprise(**kw) -> Enterprise:
    """Equipment-manufacturing high-tech enterprise, KV loan at CQRCB, no stated need, one patent."""
    base = dict(
        credit_code="91500235MA5U000001",
        cluster="equipment_manufacturing",
        certifications={"high_tech"},
        credit_loans=(kv_loan(),),
        patents=(patent(),),
    )
    base.update(kw)
    return Enterprise(**base)


def product(**kw) -> Product:
    """CQRCB product ¥500,000–5,000,000 at 30 %, 3.5–4.5 %, 6–24 months, no restrictions."""
    base = dict(
        id="CQRCB/IPL",
        bank_code="CQRCB",
        min_amount_fen=500_000 * YUAN,
        max_amount_fen=5_000_000 * YUAN,
        pledge_rate=0.30,
        interest_rate_min=3.5,
        interest_rate_max=4.5,
        term_min_months=6,
        term_max_months=24,
    )
    base.update(kw)
    return Product(**base)


@pytest.fixture
def build():
    """The builders as one object: build.enterprise(...), build.product(...), build.patent(...)."""

    class Build:
        pass

    b = Build()
    b.enterprise, b.product, b.patent, b.kv_loan, b.replace = enterprise, product, patent, kv_loan, replace
    b.AS_OF, b.YUAN = AS_OF, YUAN
    return b
