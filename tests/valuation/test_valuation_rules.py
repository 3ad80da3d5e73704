"""Pledge eligibility (each CNIPA refusal condition: a passing and a failing case), risk flags
and the five CNIPA high-value flags."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from valuation import Portfolio, valuate

AS_OF = date(2025, 6, 30)


def run(records, params=None, loan_term_months=12, as_of=AS_OF):
    portfolio = Portfolio.from_records(records)
    return valuate(
        portfolio,
        as_of,
        params=params,
        loan_term_months=loan_term_months,
        draws=1024,
        seed=1,
    ).records()


def codes(row, key="reasons"):
    return {r["code"] for r in row[key]}


def test_base_record_is_eligible(make_record):
    row = run([make_record()])[0]
    assert row["eligible"] is True
    assert codes(row) == set()
    assert row["max_loan_yuan"] is not None and row["max_loan_yuan"] > 0


# (code, changes that make the rule fire, valuation date) — the base record passes every rule
# at AS_OF (and at 2025-09-10 once its year-9 fee is paid).
FAILING = [
    ("not_granted", {"legal_status": "pending", "grant_date": None, "fees_paid_through_year": None}, AS_OF),
    ("lapsed", {"legal_status": "lapsed", "lapse_date": date(2024, 7, 25), "fees_paid_through_year": 7}, AS_OF),
    ("invalidated", {"legal_status": "invalidated"}, AS_OF),
    (
        "expired",
        {
            "legal_status": "expired",
            "filing_date": date(2004, 5, 1),
            "grant_date": date(2007, 1, 5),
            "fees_paid_through_year": 20,
        },
        AS_OF,
    ),
    # year 9 (¥2,000) was due 2025-07-25 and is unpaid on 2025-09-10: inside the grace period
    ("fee_unpaid", {}, date(2025, 9, 10)),
    ("fees_unknown", {"fees_paid_through_year": None}, AS_OF),
    ("frozen", {"frozen": True}, AS_OF),
    ("co_owners_no_consent", {"co_owners_consent": False}, AS_OF),
    ("already_pledged", {"pledged": True}, AS_OF),
]


@pytest.mark.parametrize(("code", "changes", "as_of"), FAILING, ids=[c for c, _, _ in FAILING])
def test_refusal_rules(make_record, code, changes, as_of):
    row = run([make_record(**changes)], as_of=as_of)[0]
    assert code in codes(row)
    assert row["eligible"] is False
    assert row["max_loan_yuan"] in (None, Decimal("0.00"))
    reason = next(r for r in row["reasons"] if r["code"] == code)
    assert reason["blocking"] is True and reason["message"]
    passing = run([make_record(fees_paid_through_year=9)], as_of=as_of)[0]
    assert code not in codes(passing) and passing["eligible"] is True


@pytest.mark.parametrize(
    ("code", "changes", "item"),
    [
        ("invalidation_pending", {"invalidation_pending": True}, "（十一）"),
        (
            "dual_filing",
            {
                "application_no": "201720601862.X",
                "patent_type": "utility_model",
                "dual_filing": True,
                "filing_date": date(2017, 7, 25),
                "grant_date": date(2018, 3, 10),
                "fees_paid_through_year": 8,
            },
            "（十）",
        ),
    ],
)
def test_informed_consent_conditions_do_not_refuse(make_record, code, changes, item):
    """《专利权质押登记办法》(2021) refuses these only when the parties, once told, do not declare consent."""
    row = run([make_record(**changes)])[0]
    reason = next(r for r in row["reasons"] if r["code"] == code)
    assert reason["blocking"] is False and item in reason["message"] and "声明同意" in reason["message"]
    assert row["eligible"] is (code != "dual_filing" or row["remaining_term_years"] >= 3)


def test_dual_filing_applies_to_utility_models_only(make_record):
    assert "dual_filing" not in codes(run([make_record(dual_filing=True)])[0])


def test_fee_unpaid_reports_the_late_fee(make_record):
    row = run([make_record()], as_of=date(2025, 9, 10))[0]  # second month of grace: 5 % of 2,000
    reason = next(r for r in row["reasons"] if r["code"] == "fee_unpaid")
    assert reason["values"]["late_fee"] == Decimal("100.00")
    assert reason["values"]["fee"] == Decimal("2000.00")
    assert reason["values"]["due_date"] == date(2025, 7, 25)
    assert "100.00" in reason["message"]
    flag = next(f for f in row["risk_flags"] if f["code"] == "fee_overdue")
    assert flag["values"]["late_fee"] == Decimal("100.00")
    assert row["next_fee_due"] == date(2025, 7, 25)


def test_grace_period_over_means_lapsed_even_if_register_says_valid(make_record):
    row = run([make_record()], as_of=date(2026, 1, 26))[0]
    assert "fee_grace_expired" in codes(row)
    assert "fee_grace_expired" in codes(row, "risk_flags")
    assert row["eligible"] is False and row["score"] == 0.0
    inside = run([make_record()], as_of=date(2026, 1, 25))[0]
    assert "fee_grace_expired" not in codes(inside) and "fee_unpaid" in codes(inside)


def test_valid_status_past_expiry_counts_as_expired(make_record):
    row = run([make_record(filing_date=date(2005, 1, 10), grant_date=date(2008, 1, 10), fees_paid_through_year=20)])[0]
    assert "expired" in codes(row) and not row["eligible"]


def test_loan_term_must_end_before_expiry(make_record):
    # Filed 2021-03-01 as a utility model → expires 2031-02-28. Valued 2027-01-01, remaining ≈ 4.2 y.
    record = make_record(
        patent_type="utility_model",
        filing_date=date(2021, 3, 1),
        grant_date=date(2021, 10, 1),
        fees_paid_through_year=6,
    )
    as_of = date(2027, 1, 1)
    ok = run([record], loan_term_months=48, as_of=as_of)[0]  # loan ends 2031-01-01
    assert "loan_beyond_expiry" not in codes(ok) and ok["eligible"]
    bad = run([record], loan_term_months=50, as_of=as_of)[0]  # loan ends 2031-03-01
    assert "loan_beyond_expiry" in codes(bad) and not bad["eligible"]
    assert "expiring_within_loan_term" in codes(bad, "risk_flags")
    reason = next(r for r in bad["reasons"] if r["code"] == "loan_beyond_expiry")
    assert reason["values"] == {"loan_end": date(2031, 3, 1), "expiry_date": date(2031, 2, 28)}


def test_remaining_term_floor(make_record, params):
    record = make_record(
        patent_type="utility_model",
        filing_date=date(2021, 3, 1),
        grant_date=date(2021, 10, 1),
        fees_paid_through_year=7,
    )
    ok = run([record], as_of=date(2027, 12, 31))[0]  # remaining 3.16 years ≥ 3
    assert "remaining_term_short" not in codes(ok)
    short = run([record], as_of=date(2028, 3, 31))[0]  # remaining 2.92 years < 3
    assert "remaining_term_short" in codes(short) and not short["eligible"]
    stricter = params.with_overrides({"eligibility": {"min_remaining_term_years": 4.0}})
    assert "remaining_term_short" in codes(run([record], params=stricter, as_of=date(2027, 12, 31))[0])


def test_no_revenue_gives_score_but_no_money(make_record):
    row = run([make_record(annual_revenue_yuan=None)])[0]
    assert row["value_p50_yuan"] is None and row["max_loan_yuan"] is None
    assert row["score"] > 0
    reason = next(r for r in row["reasons"] if r["code"] == "no_revenue")
    assert reason["blocking"] is False
    assert row["eligible"] is True  # no revenue is not a CNIPA refusal


def test_ineligible_patent_with_revenue_gets_zero_loan(make_record):
    row = run([make_record(frozen=True)])[0]
    assert row["value_p10_yuan"] > 0 and row["max_loan_yuan"] == Decimal("0.00")


def test_fee_due_soon_risk_flag(make_record):
    assert "fee_due_soon" in codes(run([make_record()], as_of=date(2025, 6, 30))[0], "risk_flags")
    assert "fee_due_soon" not in codes(run([make_record()], as_of=date(2025, 3, 1))[0], "risk_flags")


# High-value flags -----------------------------------------------------------------------------

PLAIN = {
    "ipc": "A01G 9/02",
    "title": "一种种植装置",
    "granted_abroad": False,
    "award": "none",
    "filing_date": date(2019, 7, 25),
    "grant_date": date(2021, 3, 10),
    "fees_paid_through_year": 6,
}


def test_plain_invention_is_not_high_value(make_record):
    row = run([make_record(**PLAIN)])[0]
    assert row["high_value"] is False and row["high_value_flags"] == []
    assert row["high_value_note"].startswith("五项条件均不满足")


@pytest.mark.parametrize(
    ("flag", "changes"),
    [
        ("strategic_emerging", {"ipc": "F03D 7/02", "title": "一种风力发电机组变桨控制方法"}),  # 6.2 风能产业
        ("strategic_emerging", {"ipc": "G05B 19/4185", "title": "一种智能产线管控系统"}),  # 2.1, subgroup of 19/418
        ("granted_abroad", {"granted_abroad": True}),
        (
            "maintained_10y",
            {"filing_date": date(2014, 7, 25), "grant_date": date(2017, 3, 10), "fees_paid_through_year": 11},
        ),
        ("high_pledge_amount", {"max_pledge_amount_yuan": Decimal("1000000")}),
        ("award", {"award": "china_patent_excellent"}),
    ],
)
def test_each_high_value_flag(make_record, flag, changes):
    row = run([make_record(**{**PLAIN, **changes})])[0]
    assert flag in row["high_value_flags"] and row["high_value"] is True
    as_utility = run([make_record(**{**PLAIN, **changes, "patent_type": "utility_model"})])[0]
    assert as_utility["high_value"] is False


def test_high_value_needs_a_valid_patent(make_record):
    row = run(
        [
            make_record(
                **{
                    **PLAIN,
                    "award": "national_st",
                    "legal_status": "lapsed",
                    "lapse_date": date(2024, 7, 25),
                    "fees_paid_through_year": 5,
                }
            )
        ]
    )[0]
    assert row["high_value"] is False


def test_high_pledge_threshold_and_keyword_entries(make_record):
    below = run([make_record(**{**PLAIN, "max_pledge_amount_yuan": Decimal("999999")})])[0]
    assert "high_pledge_amount" not in below["high_value_flags"]
    # H01M 10/0525 is listed under 5.2 新能源汽车装置、配件制造 with vehicle keywords: the title decides.
    with_kw = run([make_record(**{**PLAIN, "ipc": "H01M 10/0525", "title": "一种新能源汽车用锂离子电池"})])[0]
    without = run([make_record(**{**PLAIN, "ipc": "H01M 10/0525", "title": "一种锂离子电池"})])[0]
    untitled = run([make_record(**{**PLAIN, "ipc": "H01M 10/0525", "title": None})])[0]
    assert "strategic_emerging" in with_kw["high_value_flags"] and "5.2" in with_kw["strategic_industry"]
    assert "strategic_emerging" not in without["high_value_flags"]
    assert "五项条件均不满足" in without["high_value_note"]
    assert "strategic_emerging" in untitled["high_value_flags"] and "仅依IPC判断" in untitled["high_value_note"]


def test_maintained_years_counted_from_grant_when_configured(make_record, params):
    # Filed 2014-07-25, granted 2017-03-10: > 10 years from filing, ≈ 8.3 from grant at 2025-06-30.
    record = make_record(
        **{**PLAIN, "filing_date": date(2014, 7, 25), "grant_date": date(2017, 3, 10), "fees_paid_through_year": 11}
    )
    from_grant = params.with_overrides({"high_value": {"maintained_from": "grant"}})
    assert "maintained_10y" in run([record])[0]["high_value_flags"]
    assert "maintained_10y" not in run([record], params=from_grant)[0]["high_value_flags"]


def test_each_patent_can_be_judged_for_its_own_loan_end(make_record):
    """``loan_ends``: a pledge's own loan end instead of as_of + loan term (expiry 2037-07-24)."""
    records = [make_record(application_no=f"P{i}") for i in range(2)]
    loan_ends = np.array(["2030-01-01", "2038-01-01"], dtype="datetime64[D]")
    rows = valuate(Portfolio.from_records(records), AS_OF, loan_ends=loan_ends, with_money=False).records()
    assert "expiring_within_loan_term" not in codes(rows[0], "risk_flags") and rows[0]["eligible"] is True
    flag = next(f for f in rows[1]["risk_flags"] if f["code"] == "expiring_within_loan_term")
    assert flag["values"]["loan_end"] == date(2038, 1, 1) and "2038-01-01" in flag["message"]
    assert "loan_beyond_expiry" in codes(rows[1])
