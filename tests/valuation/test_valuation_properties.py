"""Properties (hypothesis): monotonicity, order independence, no NaN for finite inputs.

The survival model is held fixed (shipped defaults, whose coefficients for citations are
negative log hazard ratios) so that a change to one patent cannot move the model itself.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valuation import Portfolio, build_reference, shipped_reference, valuate
from valuation.simulation import simulate_portfolio

AS_OF = date(2025, 6, 30)
BASE = simulate_portfolio(60, AS_OF, seed=2024).records
REFERENCE = shipped_reference()
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def value(records, i):
    rows = valuate(Portfolio.from_records(records), AS_OF, reference=REFERENCE, seed=3).records()
    return rows[i]


# Expected remaining life is integrated exactly per fee tier (survival.Hazard.expected_remaining_life),
# so "never lower" holds to rounding.
EPS = 1e-9


def assert_not_lower(before, after):
    assert after["score"] >= before["score"] - EPS
    assert after["expected_life_years"] >= before["expected_life_years"] - EPS
    if before["value_p50_yuan"] is not None:
        for key in ("value_p10_yuan", "value_p50_yuan", "value_p90_yuan"):
            assert after[key] >= before[key]


@SETTINGS
@given(i=st.integers(0, len(BASE) - 1), days=st.integers(1, 1800))
def test_more_remaining_term_never_lowers_value(i, days):
    records = [dict(r) for r in BASE]
    records[i]["patent_type"] = "invention"  # compensation applies to inventions
    before = value(records, i)
    records[i]["term_compensation_days"] = (records[i]["term_compensation_days"] or 0) + days
    after = value(records, i)
    assert after["remaining_term_years"] >= before["remaining_term_years"]
    assert_not_lower(before, after)


@SETTINGS
@given(i=st.integers(0, len(BASE) - 1), extra=st.integers(1, 200))
def test_more_citations_within_cohort_never_lower_value(i, extra):
    records = [dict(r) for r in BASE]
    before = value(records, i)
    records[i]["forward_citations"] = (records[i]["forward_citations"] or 0) + extra
    after = value(records, i)
    assert after["citation_percentile"] >= before["citation_percentile"]
    assert_not_lower(before, after)


@SETTINGS
@given(i=st.integers(0, len(BASE) - 1), factor=st.floats(1.0, 100.0), fresh=st.integers(1, 10**8))
def test_more_revenue_never_lowers_value(i, factor, fresh):
    records = [dict(r) for r in BASE]
    before = value(records, i)
    old = records[i]["annual_revenue_yuan"]
    records[i]["annual_revenue_yuan"] = Decimal(fresh) if old is None else old * Decimal(repr(factor))
    after = value(records, i)
    if old is None:  # unknown → known is news, good or bad (¥1 of revenue is bad news): only money appears
        assert before["value_p50_yuan"] is None and after["value_p50_yuan"] is not None
        return
    assert_not_lower(before, after)


@SETTINGS
@given(perm=st.permutations(range(len(BASE))))
def test_results_do_not_depend_on_input_order(perm):
    reference = {
        r["application_no"]: r for r in valuate(Portfolio.from_records(BASE), AS_OF, reference=REFERENCE).records()
    }
    shuffled = valuate(Portfolio.from_records([BASE[j] for j in perm]), AS_OF, reference=REFERENCE).records()
    for row in shuffled:
        assert row == reference[row["application_no"]]


def test_order_independence_with_a_portfolio_reference():
    records = simulate_portfolio(800, AS_OF, seed=9).records
    perm = np.random.default_rng(0).permutation(len(records))
    ref_a = build_reference(Portfolio.from_records(records), AS_OF)
    ref_b = build_reference(Portfolio.from_records([records[j] for j in perm]), AS_OF)
    assert ref_a.survival.source == "fitted"
    np.testing.assert_allclose(ref_a.survival.shape, ref_b.survival.shape, rtol=1e-6)
    np.testing.assert_allclose(ref_a.citations.shape, ref_b.citations.shape, rtol=1e-6)
    a = valuate(Portfolio.from_records(records), AS_OF, reference=ref_a)
    b = valuate(Portfolio.from_records([records[j] for j in perm]), AS_OF, reference=ref_b)
    np.testing.assert_allclose(a.score[perm], b.score, rtol=1e-6)
    np.testing.assert_allclose(a.value_p50[perm], b.value_p50, rtol=1e-5)


dates = st.dates(date(1990, 1, 1), date(2025, 6, 1))
counts = st.one_of(st.none(), st.integers(0, 10_000))


@st.composite
def records(draw):
    filing = draw(dates)
    kind = draw(st.sampled_from(["invention", "utility_model", "design"]))
    status = draw(st.sampled_from(["pending", "valid", "lapsed", "expired", "invalidated"]))
    grant = None if status == "pending" else filing + timedelta(days=draw(st.integers(1, 2000)))
    lapse = grant + timedelta(days=draw(st.integers(1, 4000))) if status == "lapsed" else None
    return {
        "application_no": f"H{draw(st.integers(0, 10**9))}",
        "title": draw(st.one_of(st.none(), st.text(max_size=20))),
        "patent_type": kind,
        "ipc": draw(
            st.one_of(st.none(), st.sampled_from(["H01M 10/052", "B25J 9/16", "A23L 2/38", "G02B 6/42", "bogus"]))
        ),
        "filing_date": filing,
        "grant_date": grant,
        "legal_status": status,
        "lapse_date": lapse,
        "co_owners_consent": draw(st.one_of(st.none(), st.booleans())),
        "fees_paid_through_year": draw(st.one_of(st.none(), st.integers(0, 20))),
        "late_fee_payments": draw(counts),
        "forward_citations": draw(counts),
        "backward_citations": draw(counts),
        "claims": draw(counts),
        "independent_claims": draw(counts),
        "family_size": draw(st.one_of(st.none(), st.integers(1, 500))),
        "granted_abroad": draw(st.one_of(st.none(), st.booleans())),
        "pct": draw(st.one_of(st.none(), st.booleans())),
        "licenses": draw(counts),
        "transfers": draw(counts),
        "previous_pledges": draw(counts),
        "award": draw(st.one_of(st.none(), st.sampled_from(["none", "china_patent_gold", "national_st"]))),
        "commercialization": draw(st.one_of(st.none(), st.sampled_from(["none", "prototype", "pilot", "production"]))),
        "annual_revenue_yuan": draw(st.one_of(st.none(), st.decimals(0, 10**11, places=2))),
        "term_compensation_days": draw(st.one_of(st.none(), st.integers(0, 2000))),
        "invalidation_pending": draw(st.one_of(st.none(), st.booleans())),
        "frozen": draw(st.one_of(st.none(), st.booleans())),
        "pledged": draw(st.booleans()),
        "max_pledge_amount_yuan": draw(st.one_of(st.none(), st.decimals(0, 10**9, places=2))),
    }


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(records(), min_size=1, max_size=25), as_of=st.dates(date(2000, 1, 1), date(2030, 12, 31)))
def test_no_nan_for_finite_inputs(rows, as_of):
    result = valuate(Portfolio.from_records(rows), as_of, reference=REFERENCE, draws=1024)
    for name in (
        "score",
        "legal_score",
        "technical_score",
        "economic_score",
        "p_alive_1y",
        "p_alive_3y",
        "p_alive_5y",
        "expected_life_years",
        "remaining_term_years",
    ):
        array = np.asarray(getattr(result, name), dtype=float)
        assert np.isfinite(array).all(), name
    assert ((result.score >= 0) & (result.score <= 100 + 1e-9)).all()
    assert ((result.p_alive_5y <= result.p_alive_3y + 1e-12) & (result.p_alive_3y <= result.p_alive_1y + 1e-12)).all()
    has_revenue = np.array([r["annual_revenue_yuan"] is not None and r["annual_revenue_yuan"] > 0 for r in rows])
    assert np.isfinite(result.value_p50[has_revenue]).all()
    assert np.isnan(result.value_p50[~has_revenue]).all()
    assert (result.value_p10[has_revenue] <= result.value_p50[has_revenue] + 1e-6).all()
    for row in result.records():
        assert row["grade"] in "ABCDE"
        assert all(not (isinstance(v, float) and math.isnan(v)) for v in row.values())
