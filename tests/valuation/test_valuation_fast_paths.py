"""The engine's fast paths equal their reference implementations (performance work, issue 15).

* ``add_months`` through day and month lookup tables == element-by-element datetime arithmetic;
* ``Hazard.cumulative`` through the cumulative hazard from age 0 == the sum over fee tiers
  (rounding only: 1e-9 relative on H, 1e-12 absolute on survival), and so is the yearly survival
  evaluated only inside each patent's term;
* a ``take`` that keeps its parent's IPC codes values every patent as a freshly built portfolio;
* ``match_strategic`` with the caller's IPC codes == with its own string sort;
* a portfolio valued in row blocks == valued in one.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation import Portfolio, valuate
from valuation.citations import citation_percentiles
from valuation.fees import add_months, add_months_direct
from valuation.income import yearly_grid
from valuation.portfolio import day_array
from valuation.reference import build_reference
from valuation.rules import legal_position
from valuation.simulation import simulate_portfolio
from valuation.strategic import match_strategic
from valuation.survival import FeeTiers, covariate_columns

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def world(params):
    sim = simulate_portfolio(6000, AS_OF, seed=3, params=params)
    portfolio = Portfolio.from_records(sim.records)
    return sim.records, portfolio, build_reference(portfolio, AS_OF, params)


@pytest.fixture(scope="module")
def params():
    from valuation import load_params

    return load_params().at(AS_OF)


@pytest.mark.parametrize("size", [50, 20_000])
def test_add_months_table_equals_direct(size):
    rng = np.random.default_rng(size)
    days = (np.datetime64("1996-02-01") + rng.integers(0, 12_000, size)).astype("datetime64[D]")
    days[rng.random(size) < 0.1] = np.datetime64("NaT")
    days[:5] = np.datetime64("2020-02-29")  # leap day: 28 February in common years
    for months in (6, 18, rng.integers(0, 21, size) * 12, rng.integers(-40, 300, size)):
        got, want = add_months(days, months), add_months_direct(days, months)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want, equal_nan=True)
    grid = add_months(days[:, None], np.array([0, 12, 24])[None, :])  # broadcasting, as lapse dates use it
    assert np.array_equal(grid, add_months_direct(days[:, None], np.array([0, 12, 24])[None, :]), equal_nan=True)
    assert np.isnat(add_months(np.full(size, np.datetime64("NaT"), "datetime64[D]"), 3)).all()
    # before 1970 (negative day and month numbers), across 1900 and 2100 (not leap years), and a
    # span too wide for the tables (element by element)
    for start, span in (("1890-01-31", 30_000), ("2090-02-28", 8_000), ("1601-01-01", 200_000)):
        wide = (np.datetime64(start) + rng.integers(0, span, size)).astype("datetime64[D]")
        months = rng.integers(-1_300, 1_300, size)
        assert np.array_equal(add_months(wide, months), add_months_direct(wide, months))


def test_cumulative_hazard_equals_sum_over_tiers(world, params):
    _, portfolio, reference = world
    pct = citation_percentiles(portfolio, AS_OF, reference.citations)
    tiers = FeeTiers.of(portfolio.kind, params)
    hazard = reference.survival.hazard(covariate_columns(portfolio, pct, params, tiers=tiers), tiers)
    age = legal_position(portfolio, AS_OF, params, 12).age_years
    rng = np.random.default_rng(0)
    later = age[:, None] + rng.random((len(age), 7)) * 25.0  # across every tier boundary and beyond the last
    for a, b in ((age, later), (age - 1.0, later), (age, age + 3.0), (later[:, :1] * 0.5, later)):
        fast, slow = hazard.cumulative(a, b), hazard.cumulative_by_tier(a, b)
        np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(np.exp(-fast), np.exp(-slow), rtol=0, atol=1e-12)
    rows = np.arange(0, len(age), 7)
    np.testing.assert_allclose(
        hazard.take(rows).cumulative(age[rows], later[rows]), hazard.cumulative(age, later)[rows]
    )
    untyped = FeeTiers(tiers.start, tiers.end, tiers.fee)  # no type codes: the powers per row
    plain = type(hazard)(hazard.shape, hazard.eta, untyped)
    np.testing.assert_allclose(plain.cumulative(age, later), hazard.cumulative(age, later), rtol=1e-12, atol=1e-14)


def test_take_keeps_ipc_codes_and_values_like_a_fresh_portfolio(world, params):
    records, portfolio, reference = world
    rows = np.random.default_rng(1).choice(len(records), 2500)
    assert portfolio.ipc_codes  # computed on the parent: the take reuses them
    taken = portfolio.take(rows)
    assert "ipc_codes" in taken.__dict__
    fresh = Portfolio.from_records([records[i] for i in rows.tolist()])
    a = valuate(taken, AS_OF, reference=reference, params=params, with_money=False)
    b = valuate(fresh, AS_OF, reference=reference, params=params, with_money=False)
    np.testing.assert_array_equal(a.score, b.score)
    np.testing.assert_array_equal(a.strategic_industry, b.strategic_industry)
    np.testing.assert_array_equal(a.p_alive_5y, b.p_alive_5y)
    assert a.records() == b.records()


def test_p_alive_equals_the_tier_sum(world, params):
    _, portfolio, reference = world
    result = valuate(portfolio, AS_OF, reference=reference, params=params, with_money=False)
    pct = citation_percentiles(portfolio, AS_OF, reference.citations)
    tiers = FeeTiers.of(portfolio.kind, params)
    hazard = reference.survival.hazard(covariate_columns(portfolio, pct, params, tiers=tiers), tiers)
    pos = result.position
    for years, got in ((1.0, result.p_alive_1y), (3.0, result.p_alive_3y), (5.0, result.p_alive_5y)):
        want = np.exp(-hazard.cumulative_by_tier(pos.age_years, pos.age_years + years))
        want = np.where(pos.alive & (pos.remaining_years >= years), want, 0.0)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_yearly_survival_equals_the_tier_sum_inside_the_term(world, params):
    _, portfolio, reference = world
    pct = citation_percentiles(portfolio, AS_OF, reference.citations)
    tiers = FeeTiers.of(portfolio.kind, params)
    hazard = reference.survival.hazard(covariate_columns(portfolio, pct, params, tiers=tiers), tiers)
    pos = legal_position(portfolio, AS_OF, params, 12)
    rows = np.nonzero(pos.alive)[0]
    weights, start = yearly_grid(pos.remaining_years[rows])
    got = hazard.yearly_survival(pos.age_years[rows], weights > 0, rows)
    want = np.exp(-hazard.take(rows).cumulative_by_tier(pos.age_years[rows], pos.age_years[rows, None] + start))
    np.testing.assert_allclose(got, np.where(weights > 0, want, 0.0), rtol=0, atol=1e-12)


@pytest.mark.parametrize("with_money", [False, True])
def test_valuation_in_row_blocks_equals_one_block(world, params, monkeypatch, with_money):
    """Large portfolios are valued in row blocks and joined (``engine._CHUNK_ROWS``): the same results,
    the explanations and the loan ends of each patent included."""
    import valuation.engine as engine

    _, portfolio, reference = world
    loan_ends = np.datetime64(AS_OF, "D") + np.arange(len(portfolio)) % 900
    kwargs = {"reference": reference, "params": params, "with_money": with_money, "loan_ends": loan_ends}
    whole = valuate(portfolio, AS_OF, **kwargs)
    monkeypatch.setattr(engine, "_CHUNK_ROWS", 700)  # blocks of 700 and a last one of 400
    blocks = valuate(portfolio, AS_OF, **kwargs)
    assert blocks.portfolio is portfolio
    for name in ("rule_hits", "risk_hits", "eligible", "high_value", "strategic_industry", "grade"):
        np.testing.assert_array_equal(getattr(blocks, name), getattr(whole, name))
    # Rounding only (a matrix product's order of additions may depend on the block): 1e-9.
    for name in ("score", "expected_life_years", "p_alive_3y", "income_value", "value_p10", "max_loan"):
        np.testing.assert_allclose(getattr(blocks, name), getattr(whole, name), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(blocks.scores.contributions, whole.scores.contributions, rtol=0, atol=1e-9)
    assert blocks.records() == whole.records()


def test_strategic_match_with_given_codes(world):
    _, portfolio, _ = world
    own = match_strategic(portfolio.ipc, portfolio.title)
    given = match_strategic(portfolio.ipc, portfolio.title, portfolio.ipc_codes["group"])
    for field in ("hit", "ipc_only", "industry", "rule"):
        np.testing.assert_array_equal(getattr(own, field), getattr(given, field))
    assert own.hit.any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.dates(), st.datetimes()), max_size=30))
def test_day_array_is_numpys_own_conversion(values):
    """Dates (datetimes: their day), None as NaT; ISO text takes numpy's own way."""
    expected = np.array(values, dtype="datetime64[D]")
    assert np.array_equal(day_array(values), expected, equal_nan=True)
    assert day_array(values).dtype == expected.dtype
    text = [None if v is None else v.isoformat()[:10] for v in values]
    assert np.array_equal(day_array(text), expected, equal_nan=True)
