"""Fit score: range, components, and the 并轨 bonus applied exactly when the product's bank holds the loan."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import default_params, eligibility, load_params
from matching.synthetic import generate

Y = 100


def pair_fits(build, ent, products, params=None):
    return {r.product_id: r for r in eligibility(ent, products, build.AS_OF, params)}


def twin_products(build):
    """Two products identical except for the bank."""
    return [build.product(id="CQRCB/IPL", bank_code="CQRCB"), build.product(id="CCB/IPL", bank_code="CCB")]


def test_bonus_when_the_bank_holds_the_knowledge_value_loan(build):
    r = pair_fits(build, build.enterprise(), twin_products(build))
    bonus = default_params().parallel_track_bonus
    assert r["CQRCB/IPL"].parallel_track and not r["CCB/IPL"].parallel_track
    assert r["CQRCB/IPL"].fit - r["CCB/IPL"].fit == pytest.approx(bonus, abs=1e-12)
    assert r["CQRCB/IPL"].fit_components["parallel_track"] == 1.0
    [loan] = r["CQRCB/IPL"].parallel_track_loans
    assert (
        loan["kind"] == "knowledge_value" and loan["bank_code"] == "CQRCB" and loan["kind_label"] == "知识价值信用贷款"
    )
    assert r["CCB/IPL"].parallel_track_loans == ()


def test_bonus_for_a_commercial_value_loan(build):
    ent = build.enterprise(credit_loans=(build.kv_loan("CCB", kind="commercial_value"),))
    r = pair_fits(build, ent, twin_products(build))
    assert r["CCB/IPL"].parallel_track and not r["CQRCB/IPL"].parallel_track
    assert r["CCB/IPL"].fit - r["CQRCB/IPL"].fit == pytest.approx(default_params().parallel_track_bonus, abs=1e-12)


@pytest.mark.parametrize(
    "loan",
    [
        dict(kind="other", grade=None),  # another kind of credit loan
        dict(start_date=date(2022, 1, 1), maturity_date=date(2023, 1, 1)),  # matured before the as-of date
        dict(start_date=date(2024, 7, 1), maturity_date=date(2025, 7, 1)),  # not started yet
    ],
)
def test_no_bonus_without_a_current_kv_or_cv_loan_at_the_bank(build, loan):
    ent = build.enterprise(credit_loans=(build.kv_loan("CQRCB", **loan),))
    r = pair_fits(build, ent, twin_products(build))
    assert not r["CQRCB/IPL"].parallel_track and not r["CCB/IPL"].parallel_track
    assert r["CQRCB/IPL"].fit == pytest.approx(r["CCB/IPL"].fit, abs=1e-12)


def test_bonus_is_the_configured_value(build):
    params = default_params().replace(parallel_track_bonus=0.35)
    r = pair_fits(build, build.enterprise(), twin_products(build), params)
    assert r["CQRCB/IPL"].fit - r["CCB/IPL"].fit == pytest.approx(0.35, abs=1e-12)
    off = pair_fits(build, build.enterprise(), twin_products(build), default_params().replace(parallel_track_bonus=0.0))
    assert off["CQRCB/IPL"].fit == pytest.approx(off["CCB/IPL"].fit, abs=1e-12)


def test_price_component_prefers_lower_interest(build):
    cheap = build.product(id="A", interest_rate_min=3.0, interest_rate_max=3.0)
    dear = build.product(id="B", interest_rate_min=5.0, interest_rate_max=6.0)
    r = pair_fits(build, build.enterprise(), [cheap, dear])
    assert r["A"].fit_components["price"] == pytest.approx(1.0)
    assert r["B"].fit_components["price"] == pytest.approx((8.0 - 5.5) / (8.0 - 3.0))
    assert r["A"].fit > r["B"].fit


def test_coverage_without_need_is_share_of_best_offer(build):
    small = build.product(id="SMALL", max_amount_fen=1_000_000 * Y)  # caps the ¥3M capacity at ¥1M
    r = pair_fits(build, build.enterprise(), [build.product(), small])
    assert r["CQRCB/IPL"].fit_components["coverage"] == pytest.approx(1.0)
    assert r["SMALL"].fit_components["coverage"] == pytest.approx(1 / 3)
    stated = pair_fits(build, build.enterprise(need_amount_fen=1_000_000 * Y), [build.product(), small])
    assert stated["SMALL"].fit_components["coverage"] == 1.0


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 1000))
def test_fit_formula_and_bonus_on_random_enterprises(seed):
    """On generated data: fit ∈ [0, 1], equals the documented formula, bonus iff the bank matches."""
    p = load_params()
    inst = generate(40, 8, seed=seed)
    wsum = p.weight_coverage + p.weight_price + p.weight_term
    for ent in inst.enterprises:
        banks = {
            loan.bank_code
            for loan in ent.credit_loans
            if loan.kind in ("knowledge_value", "commercial_value") and loan.is_current(inst.as_of)
        }
        for r in eligibility(ent, inst.products, inst.as_of):
            if not r.eligible:
                continue
            c = r.fit_components
            assert 0.0 <= r.fit <= 1.0
            assert r.parallel_track == (r.bank_code in banks) == (c["parallel_track"] == 1.0)
            base = (p.weight_coverage * c["coverage"] + p.weight_price * c["price"] + p.weight_term * c["term"]) / wsum
            assert r.fit == pytest.approx(
                (1 - p.parallel_track_bonus) * base + p.parallel_track_bonus * r.parallel_track
            )


def test_params_file_has_sources_and_round_trips():
    p = load_params()
    assert p.grade_order == ("A", "B", "C", "D", "E")
    assert p.default_term_months > 0 and 0 <= p.parallel_track_bonus < 1
    for key in ("grades", "term", "amount", "fit", "fit.weights", "fit.price", "parallel_track", "solver"):
        assert p.sources[key], key
    data = p.to_dict()
    assert data["parallel_track_loan_kinds"] == ["commercial_value", "knowledge_value"]
    with pytest.raises(ValueError):
        p.replace(parallel_track_bonus=1.0)
    with pytest.raises(ValueError):
        p.grade_rank("F")
