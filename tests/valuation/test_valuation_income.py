"""Money value: closed forms and independent references for the path Monte Carlo.

* No spread, no lapse, no fee: the value equals the growing annuity Rev·s·√(1+r)·q(1 − q^T)/(1 − q),
  q = e^g/(1+r) (rel. 1e-10), at function level and end to end through ``valuate`` (fees included,
  remaining term exactly 4 years, fee year 17 onwards: ¥8,000 a year).
* Lapse only: V is a step function of the lapse uniform U, so P10/P50/P90 are the sums over the
  years whose survival exceeds 0.9 / 0.5 / 0.1.
* The owner's option: the path stops in the first year the royalty does not cover the fee.
* Grant probability p: a pending application is worth 0 in a share 1 − p of the draws.
* Triangular inverse CDF against scipy.stats.triang; row quantiles against np.quantile; chunking
  and threads do not change results; a wider revenue volatility widens the interval.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from scipy import stats

from valuation import Portfolio, SurvivalModel, valuate
from valuation.income import Scenarios, _quantiles, draw_scenarios, triangular_ppf, value_quantiles, yearly_grid
from valuation.reference import Reference, shipped_reference


def scenarios(d: int, *, g=0.0, r=0.1, lapse_u=None, grant_u=None, years=21, share_u=None) -> Scenarios:
    t = np.arange(1, years + 1)
    return Scenarios(
        share_u=np.full(d, 0.5) if share_u is None else share_u,
        discount=np.full(d, r),
        revenue_path=np.exp(g * t)[None, :].repeat(d, axis=0),
        lapse_u=np.zeros(d) if lapse_u is None else lapse_u,
        grant_u=np.zeros(d) if grant_u is None else grant_u,
    )


def run(params, revenue, survival, weights, fees, scen, share=0.04, grant=None):
    n = len(revenue)
    return value_quantiles(
        np.asarray(revenue, dtype=float),
        survival,
        weights,
        fees,
        np.ones(n) if grant is None else grant,
        np.zeros(n, dtype=int),
        np.array([[share, share, share]]),
        scen,
        params,
    )


def growing_annuity(q: float, years: int) -> float:
    return q * (1 - q**years) / (1 - q)


def test_no_spread_no_lapse_no_fee_is_the_growing_annuity(params):
    g, r, share, revenue = 0.03, 0.12, 0.04, 1_000_000.0
    w, _ = yearly_grid(np.array([7.0, 1.0, 12.0]))
    got = run(params, [revenue] * 3, np.ones_like(w), w, np.zeros_like(w), scenarios(1000, g=g, r=r), share)
    q = np.exp(g) / (1 + r)
    for i, years in enumerate([7, 1, 12]):
        np.testing.assert_allclose(got[i], revenue * share * np.sqrt(1 + r) * growing_annuity(q, years), rtol=1e-10)


def test_partial_last_year_is_pro_rata():
    w, start = yearly_grid(np.array([2.5]), years=4)
    np.testing.assert_allclose(w[0], [1.0, 1.0, 0.5, 0.0])
    np.testing.assert_allclose(start[0], [0.0, 1.0, 2.0, 3.0])


def test_lapse_quantiles_are_step_sums(params):
    mu, r, d = 0.21, 0.1, 20_000
    w, tau = yearly_grid(np.array([10.0]))
    survival = np.exp(-mu * tau)  # keep the steps away from 0.1/0.5/0.9 (checked below)
    assert np.min(np.abs(survival[0, :10, None] - np.array([0.1, 0.5, 0.9])[None, :])) > 0.005
    u = (np.arange(d) + 0.5) / d
    got = run(params, [1e6], survival, w, np.zeros_like(w), scenarios(d, r=r, lapse_u=u))[0]
    cash = 1e6 * 0.04 * (1 + r) ** -(np.arange(1, 11) - 0.5)
    s = survival[0, :10]
    expected = [cash[s > level].sum() for level in (0.9, 0.5, 0.1)]
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_owner_stops_paying_when_royalty_no_longer_covers_the_fee(params):
    w, _ = yearly_grid(np.array([6.0]))
    fees = np.where(np.arange(21) < 2, 1_000.0, 50_000.0)[None, :] * (w > 0)  # year 3 fee > 40,000 royalty
    got = run(params, [1e6], np.ones_like(w), w, fees, scenarios(1000, r=0.1))[0]
    expected = sum((40_000 - 1_000) * 1.1 ** -(t - 0.5) for t in (1, 2))
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_pending_application_counts_only_when_granted(params):
    w, _ = yearly_grid(np.array([5.0]))
    d = 10_000
    grant_u = (np.arange(d) + 0.5) / d
    scen = scenarios(d, grant_u=grant_u)
    full = run(params, [1e6], np.ones_like(w), w, np.zeros_like(w), scen)[0, 1]
    got = run(params, [1e6], np.ones_like(w), w, np.zeros_like(w), scen, grant=np.array([0.55]))[0]
    assert got[0] == 0.0 and got[1] == pytest.approx(full) and got[2] == pytest.approx(full)


def test_end_to_end_through_valuate_with_fees(params, make_record):
    """Remaining term exactly 4 years, no spread, (practically) no lapse: fee years 17–20 at ¥8,000."""
    g, r, share = 0.02, 0.10, 0.05
    fixed = params.with_overrides(
        {
            "income": {
                "trend": {"low": g, "mode": g, "high": g},
                "discount_rate": {"low": r, "mode": r, "high": r},
                "revenue_volatility": 0.0,
                "revenue_level_sd": 0.0,
            },
            "royalty": {"by_ipc": {"H01": {"low": share, "mode": share, "high": share}}},
        }
    )
    forever = SurvivalModel(shape=1.0, scale_years=1e12, coefficients={}, source="reference", version="t")
    reference = Reference("test", shipped_reference(fixed).citations, forever)
    record = make_record(annual_revenue_yuan=Decimal("3000000"), fees_paid_through_year=20)
    as_of = date(2037, 7, 24) + timedelta(days=1) - timedelta(days=1461)
    row = valuate(Portfolio.from_records([record]), as_of, reference=reference, params=fixed).records()[0]
    expected = sum((3_000_000 * share * np.exp(g * t) - 8_000) * (1 + r) ** -(t - 0.5) for t in range(1, 5))
    assert row["remaining_term_years"] == 4.0
    for key in ("value_p10_yuan", "value_p50_yuan", "value_p90_yuan"):
        assert row[key] == Decimal(f"{expected:.2f}")
    rate = Decimal(str(fixed.income["pledge_rate"]))
    assert row["max_loan_yuan"] == (rate * row["value_p10_yuan"]).quantize(Decimal("0.01"))
    assert "25%" in row["max_loan_basis"] and f"{expected:,.0f}" in row["value_note"]


def test_more_revenue_volatility_widens_the_interval(params):
    w, tau = yearly_grid(np.array([10.0]))
    widths = []
    for sigma in (0.05, 0.3):
        p = params.with_overrides({"income": {"revenue_volatility": sigma}})
        got = value_quantiles(
            np.array([1e6]),
            np.ones_like(tau),
            w,
            np.zeros_like(w),
            np.ones(1),
            np.zeros(1, dtype=int),
            np.array([[0.03, 0.04, 0.05]]),
            draw_scenarios(4096, 7, p),
            p,
        )[0]
        widths.append(got[2] / got[0])
    assert widths[1] > 1.3 * widths[0]


def test_triangular_ppf_matches_scipy():
    u = np.linspace(0.0, 1.0, 101)
    for low, mode, high in [(0.01, 0.02, 0.05), (0.1, 0.1, 0.2), (0.1, 0.2, 0.2), (-0.08, 0.02, 0.10)]:
        ref = stats.triang.ppf(u, (mode - low) / (high - low), loc=low, scale=high - low)
        np.testing.assert_allclose(triangular_ppf(u, low, mode, high), ref, atol=1e-12)


def test_row_quantiles_match_numpy():
    values = np.random.default_rng(0).lognormal(size=(50, 1000))
    np.testing.assert_allclose(
        _quantiles(values.copy(), (0.1, 0.5, 0.9)), np.quantile(values, [0.1, 0.5, 0.9], axis=1).T, rtol=1e-12
    )


def test_chunking_and_threads_do_not_change_results(params):
    rng = np.random.default_rng(1)
    n = 257
    w, tau = yearly_grid(rng.uniform(0.5, 15, n))
    survival = np.exp(-rng.uniform(0.01, 0.3, n)[:, None] * tau)
    fees = np.where(w > 0, 2_000.0, 0.0)
    revenue = rng.lognormal(12, 1, n)
    revenue[::7] = np.nan
    scen = draw_scenarios(1024, 3, params)
    ranges = np.array([[0.01, 0.02, 0.03], [0.03, 0.04, 0.05]])
    group = rng.integers(0, 2, n)
    args = (revenue, survival, w, fees, np.ones(n), group, ranges, scen, params)
    whole = value_quantiles(*args, chunk=10_000, threads=1)
    chunked = value_quantiles(*args, chunk=16, threads=2)
    np.testing.assert_array_equal(whole, chunked)
    assert np.isnan(whole[::7]).all() and np.isfinite(np.delete(whole, np.s_[::7], axis=0)).all()
    assert (np.delete(whole, np.s_[::7], axis=0) >= 0).all()


def test_scenarios_of_an_integer_seed_are_drawn_once_and_equal_a_fresh_draw():
    """draw_scenarios caches an integer seed's draws (a one-patent estimate redrew them every time):
    the cached draws equal drawing again with the same seed, and cannot be changed in place."""
    from valuation.income import _SCENARIOS
    from valuation.params import load_params

    params = load_params().at(date(2025, 6, 30))
    _SCENARIOS.clear()
    first = draw_scenarios(1024, 7, params)
    assert draw_scenarios(1024, 7, params) is first
    fresh = draw_scenarios(1024, np.random.default_rng(7), params)  # a Generator is never cached
    for name in ("share_u", "discount", "revenue_path", "lapse_u", "grant_u"):
        assert np.array_equal(getattr(first, name), getattr(fresh, name)), name
        with pytest.raises(ValueError):
            getattr(first, name)[0] = 0.5
    assert not np.array_equal(draw_scenarios(1024, 8, params).discount, first.discount)


def _plain_value_quantiles(revenue, survival, weights, fees, grant, group, ranges, scen, params):
    """The module docstring's sum written out one patent at a time with ``np.where`` (no chunks,
    no reused buffers, no shortcuts): the reference for ``value_quantiles``' large-n loop."""
    shares = scen.royalty_shares(ranges, float(params.royalty["patent_contribution"]))
    horizon = weights.shape[1]
    path, discount = scen.revenue_path[:, :horizon], scen.discount_factors()[:, :horizon]
    result = np.full((len(revenue), 3), np.nan)
    for i in range(len(revenue)):
        if not (np.isfinite(revenue[i]) and revenue[i] > 0):
            continue
        base = revenue[i] * shares[group[i]]
        alive = np.ones(base.shape, dtype=bool)
        value = np.zeros(base.shape)
        for t in range(horizon):
            royalty = base * path[:, t]
            alive &= (survival[i, t] > scen.lapse_u) & (royalty >= fees[i, t])
            value += np.where(alive, (royalty - fees[i, t]) * (weights[i, t] * discount[:, t]), 0.0)
        value *= scen.grant_u < grant[i]
        result[i] = _quantiles(value[None, :], (0.10, 0.50, 0.90))[0]
    return result


@pytest.mark.parametrize("huge", [False, True])
def test_large_n_loop_is_bit_identical_to_the_plain_sum(params, huge):
    """Chunks, reused buffers, ``flow × alive`` for ``np.where`` and w·disc = disc in whole years
    change no bit: equal to the plain per-patent sum, with partial last years, fees exactly equal
    to a royalty, pending applications, no revenue, no life left — and (``huge``) a revenue so
    large that a flow overflows, where the masked form is used."""
    rng = np.random.default_rng(5)
    n = 300
    w, tau = yearly_grid(np.concatenate([rng.uniform(0.2, 19, n - 20), np.floor(rng.uniform(1, 10, 10)), np.zeros(10)]))
    survival = np.where(w > 0, np.exp(-rng.uniform(0.0, 0.4, n)[:, None] * tau), 0.0)
    survival[:5] = np.where(w[:5] > 0, 1.0, 0.0)
    fees = np.where(w > 0, rng.choice([900.0, 2_000.0, 8_000.0], size=(n, 1)) * (1 + tau / 5), 0.0)
    revenue = rng.lognormal(11, 1.5, n)
    revenue[::11] = np.nan
    revenue[1::13] = 0.0
    if huge:
        revenue[7] = 1e307
    scen = draw_scenarios(1024, 9, params)
    ranges = np.array([[0.01, 0.02, 0.03], [0.03, 0.04, 0.05], [0.0, 0.0, 0.0]])
    group = rng.integers(0, 3, n)
    shares = scen.royalty_shares(ranges, float(params.royalty["patent_contribution"]))
    fees[3, :2] = revenue[3] * shares[group[3], 0] * scen.revenue_path[0, :2]  # a royalty exactly at the fee
    grant = np.where(rng.uniform(size=n) < 0.3, 0.6, 1.0)
    args = (revenue, survival, w, fees, grant, group, ranges, scen, params)
    expected = _plain_value_quantiles(*args)
    for chunk, threads in ((128, 1), (7, 2)):
        got = value_quantiles(*args, chunk=chunk, threads=threads)
        assert np.array_equal(got, expected, equal_nan=True), (chunk, threads)
    assert np.isfinite(expected[np.isfinite(revenue) & (revenue > 0)]).all() or huge
    # Every draw's royalty exactly at the fee in year 1: the patent is kept (royalty ≥ fee), and
    # earns in the years after.
    tied = scenarios(1024, g=0.0, r=0.1)
    w1, _ = yearly_grid(np.array([5.0, 5.0]))
    royalty = 1e6 * tied.royalty_shares(np.array([[0.04] * 3]), float(params.royalty["patent_contribution"]))[0, 0]
    fees1 = np.where(w1 > 0, royalty / 2, 0.0)
    fees1[:, 0] = royalty
    args1 = (np.array([1e6, 1e6]), np.where(w1 > 0, 1.0, 0.0), w1, fees1, np.ones(2), np.zeros(2, dtype=int))
    args1 += (np.array([[0.04] * 3]), tied, params)
    got = value_quantiles(*args1)
    assert np.array_equal(got, _plain_value_quantiles(*args1)) and (got > 0).all()
