"""The targets projection against independent references.

References used, never the module's own earlier output:
* closed forms: scipy.stats.poisson / nbinom survival functions, E[total] = achieved + λ·t·E[X];
* scipy.stats.lognorm.fit for the size fit;
* simulation of a known compound Poisson process written here, by exponential gaps between
  arrivals (a different construction from the module's Poisson counts);
* calibration: histories simulated from known processes; among projections that said p, about
  a share p of the simulated futures reached the target.
"""

from __future__ import annotations

import ast
import doctest
import json
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import service.targets.projection as projection
from service.targets.projection import (
    DAYS_PER_MONTH,
    EmpiricalSizes,
    FixedSize,
    KnownProcess,
    LognormalSizes,
    RatePrior,
    monthly_series,
    project_count_to_deadline,
    project_to_deadline,
)

START = date(2022, 9, 22)
DEADLINE = date(2024, 12, 31)
WINDOW_DAYS = (DEADLINE - START).days + 1
YUAN = 100  # fen


def binomial_tolerance(p: float, *sample_sizes: int, z: float = 4.0) -> float:
    """z standard errors of a difference of independent binomial proportions around p."""
    variance = p * (1 - p) * sum(1 / m for m in sample_sizes)
    return z * math.sqrt(variance) + 1e-12


def history(
    rng: np.random.Generator, rate_per_day: float, days: int, mu: float, sigma: float, start: date = START
) -> list[tuple[date, int]]:
    """Registrations of a known compound Poisson process over `days` days from `start`."""
    n = rng.poisson(rate_per_day * days)
    offsets = rng.integers(0, days, size=n)
    amounts = np.maximum(np.rint(np.exp(mu + sigma * rng.standard_normal(n))), 1).astype(int)
    return [(start + timedelta(days=int(d)), int(a)) for d, a in zip(offsets, amounts, strict=True)]


def future_sums_by_gaps(rng: np.random.Generator, rate_per_day: float, days: float, size_draw, sims: int) -> np.ndarray:
    """Compound sums over `days` by exponential inter-arrival gaps (independent construction)."""
    width = int(rate_per_day * days + 12 * math.sqrt(rate_per_day * days + 1) + 20)
    gaps = rng.exponential(1 / rate_per_day, size=(sims, width))
    arrived = np.cumsum(gaps, axis=1) <= days
    assert not arrived[:, -1].any(), "gap matrix too narrow"
    return np.where(arrived, size_draw(rng, (sims, width)), 0.0).sum(axis=1)


# ---------------------------------------------------------------------------------------------
# Closed forms


def test_fixed_sizes_known_rate_match_poisson_survival():
    rate, size = 0.04, 1_000_000 * YUAN  # ¥1m each, 1.2 a month
    events = [(START + timedelta(days=10 * i), size) for i in range(4)]
    as_of = date(2023, 6, 30)
    t = (DEADLINE - as_of).days
    target = 10_000_000 * YUAN
    p = project_to_deadline(
        events, START, as_of, DEADLINE, target, draws=40_000, known=KnownProcess(rate, FixedSize(size))
    )
    needed = 6  # ¥4m achieved, ¥6m to go in ¥1m steps
    exact = stats.poisson.sf(needed - 1, rate * t)
    assert p.model["cross_check"]["method"] == "exact_count_survival"
    assert p.model["cross_check"]["probability"] == pytest.approx(exact, rel=1e-12)
    assert abs(p.probability - exact) <= binomial_tolerance(exact, 40_000)
    assert p.expected_total == round(4 * size + rate * t * size)
    assert p.days_left == t and p.remaining == 6 * size


def test_count_target_with_fitted_rate_matches_negative_binomial():
    as_of = date(2023, 9, 21)  # one year observed
    dates = [START + timedelta(days=d) for d in (5, 40, 200)]
    p = project_count_to_deadline(dates, START, as_of, DEADLINE, 5, draws=40_000)
    exposure, t = (as_of - START).days + 1, (DEADLINE - as_of).days
    # Jeffreys prior Gamma(0.5, 0): posterior Gamma(3.5, exposure); N ~ NB(3.5, T/(T+t)).
    exact = stats.nbinom.sf(2 - 1, 3 + 0.5, exposure / (exposure + t))
    assert p.unit == "count" and p.achieved == 3 and p.remaining == 2
    assert p.model["cross_check"]["probability"] == pytest.approx(exact, rel=1e-12)
    assert abs(p.probability - exact) <= binomial_tolerance(exact, 40_000)
    assert p.expected_total == pytest.approx(3 + 3.5 / exposure * t, abs=1e-4)
    posterior = p.model["arrivals"]["posterior"]
    assert posterior == {**posterior, "shape": 3.5, "rate_days": exposure}
    assert p.model["arrivals"]["rate_per_day_mle"] == pytest.approx(3 / exposure)


def test_count_target_with_known_rate_is_poisson():
    as_of = date(2024, 1, 1)
    t = (DEADLINE - as_of).days
    p = project_count_to_deadline([START], START, as_of, DEADLINE, 5, known_rate_per_day=0.01)
    assert p.model["cross_check"]["probability"] == pytest.approx(stats.poisson.sf(3, 0.01 * t))


def test_expected_total_lognormal_known_is_closed_form():
    rate, mu, sigma = 0.05, math.log(500_000 * YUAN), 0.8
    as_of = date(2023, 3, 1)
    t = (DEADLINE - as_of).days
    events = [(START, 300_000 * YUAN)]
    p = project_to_deadline(
        events, START, as_of, DEADLINE, 10_000_000 * YUAN, known=KnownProcess(rate, LognormalSizes(mu, sigma))
    )
    closed = 300_000 * YUAN + rate * t * math.exp(mu + sigma**2 / 2)
    assert p.expected_total == round(closed)
    # The simulated mean agrees with it (lognormal σ = 0.8: sd of a total ≈ 0.5 × mean).
    assert p.model["cross_check"]["mc_expected_total"] == pytest.approx(closed, rel=0.02)


def test_fitted_expected_total_uses_posterior_rate_and_bootstrap_size_mean():
    rng = np.random.default_rng(7)
    events = history(rng, 0.05, 300, math.log(400_000 * YUAN), 0.6)
    as_of = START + timedelta(days=299)
    p = project_to_deadline(events, START, as_of, DEADLINE, 20_000_000 * YUAN, draws=200_000)
    n = len(events)
    logs = np.log([a for _, a in events])
    s2 = logs.var(ddof=1)
    mean_size = math.exp(logs.mean() + s2 / (2 * n)) * (1 - s2 / (n - 1)) ** (-(n - 1) / 2)
    t = (DEADLINE - as_of).days
    closed = sum(a for _, a in events) + (n + 0.5) / 300 * t * mean_size
    assert p.expected_total == round(closed)
    assert p.model["cross_check"]["mc_expected_total"] == pytest.approx(closed, rel=0.01)


def test_lognormal_fit_matches_scipy():
    rng = np.random.default_rng(3)
    events = history(rng, 0.08, 200, math.log(800_000 * YUAN), 0.9)
    assert len(events) >= projection.MIN_EVENTS_FOR_LOGNORMAL
    p = project_to_deadline(events, START, START + timedelta(days=199), DEADLINE, 10**12, draws=1000)
    shape, _, scale = stats.lognorm.fit([a for _, a in events], floc=0)
    sizes = p.model["sizes"]
    assert sizes["distribution"] == "lognormal" and sizes["source"] == "fitted_mle"
    assert sizes["sigma_log"] == pytest.approx(shape, rel=1e-6)
    assert sizes["mu_log"] == pytest.approx(math.log(scale), rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Simulation with known truth


def test_known_process_probability_matches_independent_simulation():
    rate, mu, sigma = 0.03, math.log(600_000 * YUAN), 0.9
    as_of = date(2023, 12, 31)
    t = (DEADLINE - as_of).days
    events = [(date(2023, 2, 1), 2_000_000 * YUAN), (date(2023, 8, 1), 1_000_000 * YUAN)]
    target = 10_000_000 * YUAN
    draws, sims = 20_000, 20_000
    p = project_to_deadline(
        events,
        START,
        as_of,
        DEADLINE,
        target,
        draws=draws,
        seed=11,
        known=KnownProcess(rate, LognormalSizes(mu, sigma)),
    )

    def lognormal(rng, shape):
        return np.exp(mu + sigma * rng.standard_normal(shape))

    sums = future_sums_by_gaps(np.random.default_rng(2024), rate, t, lognormal, sims)
    frequency = float(np.mean(3_000_000 * YUAN + sums >= target))
    assert 0.2 < frequency < 0.8  # a case where the probability is informative
    assert abs(p.probability - frequency) <= binomial_tolerance(frequency, draws, sims)
    assert p.model["cross_check"]["agrees"]
    # Quantiles of the total agree too (within 3% of the median).
    assert p.total_p50 == pytest.approx(3_000_000 * YUAN + np.median(sums), rel=0.03)


def test_empirical_sizes_known_process_matches_independent_simulation():
    pool = (300_000 * YUAN, 1_000_000 * YUAN, 2_500_000 * YUAN)
    rate = 0.01
    as_of = date(2023, 12, 31)
    t = (DEADLINE - as_of).days
    p = project_to_deadline(
        [], START, as_of, DEADLINE, 5_000_000 * YUAN, draws=20_000, known=KnownProcess(rate, EmpiricalSizes(pool))
    )

    def resample(rng, shape):
        return np.asarray(pool, dtype=float)[rng.integers(0, 3, size=shape)]

    sums = future_sums_by_gaps(np.random.default_rng(5), rate, t, resample, 20_000)
    frequency = float(np.mean(sums >= 5_000_000 * YUAN))
    assert abs(p.probability - frequency) <= binomial_tolerance(frequency, 20_000, 20_000)


def _calibration(model, histories: int, seed: int) -> list[tuple[float, float, float, float]]:
    """Bins (mean predicted, observed frequency, tolerance, count) over simulated histories.

    Each history: a known compound Poisson process (λ ∈ [0.03, 0.08] per day, lognormal sizes
    with median ¥500k and σ ∈ [0.5, 1.2]) observed for a year, then projected a year ahead. The
    target is set from what is observable (a random multiple of the naive run-rate projection),
    never from the true parameters, which the model cannot see. The future is then simulated
    from the true process, and we record whether the target was reached.
    """
    rng = np.random.default_rng(seed)
    exposure = t = 365
    as_of = START + timedelta(days=exposure - 1)
    deadline = as_of + timedelta(days=t)
    predicted, reached = [], []
    for h in range(histories):
        rate, mu, sigma = rng.uniform(0.03, 0.08), math.log(500_000 * YUAN), rng.uniform(0.5, 1.2)
        events = history(rng, rate, exposure, mu, sigma)
        achieved = sum(a for _, a in events)
        logs = np.log([a for _, a in events]) if events else np.array([mu])
        naive = max(len(events), 1) / exposure * t * math.exp(logs.mean() + logs.var() / 2)
        target = achieved + int(rng.uniform(0.3, 1.8) * naive)
        future = np.exp(mu + sigma * rng.standard_normal(rng.poisson(rate * t))).sum()
        reached.append(achieved + future >= target)
        predicted.append(model(events, as_of, deadline, target, h, (rate, mu, sigma)))
    p, hit = np.array(predicted), np.array(reached, dtype=float)
    bins = []
    for lo in np.arange(0.0, 1.0, 0.2):
        mask = (p >= lo) & ((p < lo + 0.2) if lo < 0.8 else (p <= 1.0))
        if mask.sum() < 40:
            continue
        # 3 binomial standard errors of the bin's frequency + 0.02 for the prior's influence
        # and Monte Carlo noise in each p (2,000 draws).
        tolerance = 3 * math.sqrt(np.sum(p[mask] * (1 - p[mask]))) / mask.sum() + 0.02
        bins.append((float(p[mask].mean()), float(hit[mask].mean()), tolerance, int(mask.sum())))
    return bins


def _fitted(events, as_of, deadline, target, h, truth):
    return project_to_deadline(events, START, as_of, deadline, target, seed=h, draws=2000).probability


def test_fitted_projection_is_calibrated_on_simulated_histories():
    bins = _calibration(_fitted, histories=800, seed=0)
    assert len(bins) == 5
    for predicted, observed, tolerance, count in bins:
        assert abs(observed - predicted) <= tolerance, (predicted, observed, tolerance, count)


def test_calibration_check_rejects_a_model_with_a_biased_rate():
    """The harness has power: a model told a rate 30% too high fails it."""

    def biased(events, as_of, deadline, target, h, truth):
        rate, mu, sigma = truth
        return project_to_deadline(
            events,
            START,
            as_of,
            deadline,
            target,
            seed=h,
            draws=2000,
            known=KnownProcess(1.3 * rate, LognormalSizes(mu, sigma)),
        ).probability

    bins = _calibration(biased, histories=400, seed=0)
    assert any(abs(observed - predicted) > tolerance for predicted, observed, tolerance, _ in bins)


# ---------------------------------------------------------------------------------------------
# Window edges and special cases


def test_window_edges_are_inclusive():
    events = [
        (START - timedelta(days=1), 1 * YUAN),  # before the window
        (START, 10 * YUAN),  # first day: counts
        (DEADLINE, 100 * YUAN),  # last day: counts
        (DEADLINE + timedelta(days=1), 1000 * YUAN),  # after the window
    ]
    final = project_to_deadline(events, START, DEADLINE, DEADLINE, 110 * YUAN)
    assert final.status == "final" and final.achieved == 110 * YUAN
    assert final.probability == 1.0 and final.days_left == 0
    assert final.model["inputs"]["events_outside_window"] == 2
    assert final.model["inputs"]["exposure_days"] == WINDOW_DAYS


def test_as_of_day_is_observed_and_later_events_are_ignored():
    as_of = date(2023, 5, 10)
    events = [(START + timedelta(days=7 * i), 50 * YUAN) for i in range(6)]
    events += [(as_of, 7 * YUAN), (as_of + timedelta(days=1), 1_000 * YUAN)]
    p = project_to_deadline(events, START, as_of, DEADLINE, 10**6 * YUAN, draws=2000)
    assert p.achieved == 300 * YUAN + 7 * YUAN
    inputs = p.model["inputs"]
    assert inputs["events"] == 7 and inputs["events_after_as_of"] == 1
    assert inputs["exposure_days"] == (as_of - START).days + 1
    assert inputs["exposure_days"] + inputs["remaining_days"] == WINDOW_DAYS
    assert "events_after_as_of_ignored" in {w["code"] for w in p.warnings}
    assert p.rate_per_month == round(p.achieved / (inputs["exposure_days"] / DAYS_PER_MONTH))
    assert p.required_rate_per_month == round(p.remaining / (inputs["remaining_days"] / DAYS_PER_MONTH))


@pytest.mark.parametrize("as_of", [DEADLINE, DEADLINE + timedelta(days=1), date(2026, 1, 1)])
def test_closed_window_gives_the_final_result_without_simulation(as_of):
    events = [(date(2023, 1, 1), 6_000_000 * YUAN), (date(2024, 6, 1), 3_000_000 * YUAN)]
    missed = project_to_deadline(events, START, as_of, DEADLINE, 10_000_000 * YUAN)
    assert missed.status == "final" and missed.probability == 0.0
    assert missed.model["method"] == "final" and missed.model["draws"] is None
    assert missed.expected_total == missed.total_p10 == missed.total_p90 == 9_000_000 * YUAN
    assert missed.required_rate_per_month is None and missed.days_left == 0
    made = project_to_deadline(events, START, as_of, DEADLINE, 9_000_000 * YUAN)
    assert made.status == "final" and made.probability == 1.0 and made.remaining == 0


def test_target_already_reached_is_certain():
    events = [(date(2023, 1, 1) + timedelta(days=30 * i), 2_000_000 * YUAN) for i in range(6)]
    p = project_to_deadline(events, START, date(2023, 9, 1), DEADLINE, 10_000_000 * YUAN, draws=2000)
    assert p.status == "reached" and p.probability == 1.0
    assert p.remaining == 0 and p.required_rate_per_month == 0
    assert p.total_p10 >= p.achieved  # the projected total still grows


def test_no_history_amount_target_needs_a_size_prior():
    as_of = date(2023, 1, 31)
    p = project_to_deadline([], START, as_of, DEADLINE, 10_000_000 * YUAN)
    assert p.status == "unavailable" and p.probability is None
    assert {"rate_unknown", "size_unknown"} <= {w["code"] for w in p.warnings}
    assert p.rate_per_month == 0 and p.achieved == 0
    json.dumps(p.to_dict(), allow_nan=False)

    prior = LognormalSizes.from_median(1_000_000 * YUAN, 0.8)
    q = project_to_deadline([], START, as_of, DEADLINE, 10_000_000 * YUAN, size_prior=prior)
    assert q.status == "projected" and 0 < q.probability < 1
    assert "rate_unknown" in {w["code"] for w in q.warnings}
    assert q.model["sizes"]["source"] == "prior"
    exposure = (as_of - START).days + 1
    assert q.model["arrivals"]["posterior"]["shape"] == 0.5
    assert q.model["arrivals"]["posterior"]["rate_days"] == exposure
    assert q.model["cross_check"]["agrees"]


def test_no_history_count_target_uses_the_prior_and_zero_events():
    as_of = date(2023, 3, 31)
    p = project_count_to_deadline([], START, as_of, DEADLINE, 5, draws=40_000)
    exposure, t = (as_of - START).days + 1, (DEADLINE - as_of).days
    exact = stats.nbinom.sf(4, 0.5, exposure / (exposure + t))
    assert p.model["cross_check"]["probability"] == pytest.approx(exact, rel=1e-12)
    assert abs(p.probability - exact) <= binomial_tolerance(exact, 40_000)
    assert "rate_unknown" in {w["code"] for w in p.warnings}


def test_as_of_before_window_start_is_prior_only():
    as_of = START - timedelta(days=10)
    early = [(as_of - timedelta(days=3), 5 * YUAN)]  # before the window: never counted
    p = project_count_to_deadline([d for d, _ in early], START, as_of, DEADLINE, 5)
    assert p.status == "unavailable" and p.achieved == 0  # Jeffreys is improper without exposure
    assert "rate_prior_improper" in {w["code"] for w in p.warnings}
    assert p.days_left == (DEADLINE - as_of).days

    prior = RatePrior(shape=3.0, rate_days=120.0)  # about 2.5 in 120 days, weakly held
    q = project_count_to_deadline([], START, as_of, DEADLINE, 5, rate_prior=prior, draws=40_000)
    assert q.model["inputs"]["exposure_days"] == 0
    assert q.model["inputs"]["remaining_days"] == WINDOW_DAYS
    exact = stats.nbinom.sf(4, 3.0, 120 / (120 + WINDOW_DAYS))
    assert q.model["cross_check"]["probability"] == pytest.approx(exact, rel=1e-12)
    assert abs(q.probability - exact) <= binomial_tolerance(exact, 40_000)
    assert q.rate_per_month is None


def test_few_events_use_the_empirical_sizes_and_say_so():
    events = [(date(2023, 1, 5), 800_000 * YUAN), (date(2023, 4, 5), 1_200_000 * YUAN)]
    p = project_to_deadline(events, START, date(2023, 6, 30), DEADLINE, 10_000_000 * YUAN)
    assert p.model["sizes"]["distribution"] == "empirical"
    assert p.model["sizes"]["amounts"] == [800_000 * YUAN, 1_200_000 * YUAN]
    assert "few_events_empirical_sizes" in {w["code"] for w in p.warnings}


def test_seed_reproducibility():
    rng = np.random.default_rng(1)
    events = history(rng, 0.05, 400, math.log(500_000 * YUAN), 0.9)
    as_of = START + timedelta(days=399)
    args = (events, START, as_of, DEADLINE, 15_000_000 * YUAN)
    a = project_to_deadline(*args, seed=42)
    b = project_to_deadline(*args, seed=42)
    c = project_to_deadline(*args, seed=43)
    assert a.to_dict() == b.to_dict()
    assert a.model["seed"] == 42 and a.model["draws"] == projection.DEFAULT_DRAWS
    assert a.probability != c.probability or a.total_p50 != c.total_p50
    assert abs(a.probability - c.probability) <= binomial_tolerance(a.probability, 20_000, 20_000)


def test_batched_simulation_draws_the_same_stream(monkeypatch):
    rng = np.random.default_rng(2)
    events = history(rng, 0.1, 300, math.log(500_000 * YUAN), 1.0)
    args = (events, START, START + timedelta(days=299), DEADLINE, 30_000_000 * YUAN)
    whole = project_to_deadline(*args, draws=5000)
    monkeypatch.setattr(projection.simulation, "MAX_SIZES_PER_BATCH", 997)
    assert project_to_deadline(*args, draws=5000).to_dict() == whole.to_dict()


def test_result_is_json_ready_and_states_the_model():
    rng = np.random.default_rng(4)
    events = history(rng, 0.05, 300, math.log(500_000 * YUAN), 0.9)
    p = project_to_deadline(events, START, START + timedelta(days=299), DEADLINE, 10_000_000 * YUAN, draws=2000)
    d = p.to_dict()
    text = json.dumps(d, ensure_ascii=False, allow_nan=False)
    assert json.loads(text) == d
    model = d["model"]
    assert model["name"] == "compound_poisson"
    assert model["arrivals"]["prior"]["name"] == "jeffreys"
    assert model["arrivals"]["rate_per_month"] == pytest.approx(model["arrivals"]["rate_per_day"] * DAYS_PER_MONTH)
    assert model["inputs"]["as_of"] == "2023-07-18" and model["draws"] == 2000
    assert all(a["en"] and a["zh"] for a in model["assumptions"])
    assert isinstance(d["achieved"], int) and isinstance(d["total_p50"], int)
    assert d["total_p10"] <= d["total_p50"] <= d["total_p90"]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40))
def test_probability_falls_as_the_target_rises(low, extra):
    """With one seed every target is judged against the same simulated futures."""
    events = [(START + timedelta(days=20 * i), (i % 4 + 1) * 500_000 * YUAN) for i in range(8)]
    as_of = date(2023, 6, 1)
    p_low = project_to_deadline(events, START, as_of, DEADLINE, low * 1_000_000 * YUAN, draws=2000).probability
    p_high = project_to_deadline(
        events, START, as_of, DEADLINE, (low + extra) * 1_000_000 * YUAN, draws=2000
    ).probability
    assert p_high <= p_low


def test_default_draws_are_fast():
    import time

    rng = np.random.default_rng(9)
    events = history(rng, 0.06, 400, math.log(500_000 * YUAN), 1.0)
    started = time.perf_counter()
    project_to_deadline(events, START, START + timedelta(days=399), DEADLINE, 10**10)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"deadline": START - timedelta(days=1)}, "before the window start"),
        ({"target": 0}, "target must be positive"),
        ({"events": [(START, -5)]}, "positive"),
        ({"draws": 0}, "draws"),
    ],
)
def test_invalid_input_is_refused(kwargs, message):
    args = {"events": [], "deadline": DEADLINE, "target": 100, "draws": 10} | kwargs
    with pytest.raises(ValueError, match=message):
        project_to_deadline(args["events"], START, START, args["deadline"], args["target"], draws=args["draws"])


def test_module_stays_free_of_orm_and_web_framework():
    """The numerical core imports only the standard library, numpy, scipy and itself."""
    nodes = [
        node
        for path in Path(projection.__file__).parent.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
    ]
    roots = {alias.name.split(".")[0] for node in nodes if isinstance(node, ast.Import) for alias in node.names}
    modules = {node.module for node in nodes if isinstance(node, ast.ImportFrom) and node.module}
    roots |= {module.split(".")[0] for module in modules if not module.startswith("service.targets.projection")}
    assert roots <= {
        "__future__",
        "copy",
        "math",
        "collections",
        "dataclasses",
        "datetime",
        "typing",
        "numpy",
        "scipy",
    }, roots


# ---------------------------------------------------------------------------------------------
# Monthly series


def test_monthly_series_includes_empty_months_and_crosses_years():
    events = [
        (date(2022, 9, 22), 100),
        (date(2022, 9, 30), 50),
        (date(2023, 1, 31), 7),
        (date(2022, 9, 21), 10_000),
        (date(2023, 2, 1), 10_000),
    ]
    series = monthly_series(events, date(2022, 9, 22), date(2023, 1, 31))
    assert [m["month"] for m in series] == ["2022-09", "2022-10", "2022-11", "2022-12", "2023-01"]
    assert [m["amount_fen"] for m in series] == [150, 0, 0, 0, 7]
    assert [m["count"] for m in series] == [2, 0, 0, 0, 1]
    assert [m["cumulative_fen"] for m in series] == [150, 150, 150, 150, 157]
    assert monthly_series(events, date(2023, 1, 1), date(2022, 12, 31)) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.dates(date(2021, 1, 1), date(2026, 12, 31)), st.integers(1, 10**12)), max_size=60),
    st.dates(date(2022, 1, 1), date(2024, 6, 30)),
    st.integers(0, 900),
)
def test_monthly_series_sums_equal_the_input_sums(events, start, length):
    end = start + timedelta(days=length)
    series = monthly_series(events, start, end)
    inside = [(d, a) for d, a in events if start <= d <= end]
    assert sum(m["amount_fen"] for m in series) == sum(a for _, a in inside)
    assert sum(m["count"] for m in series) == len(inside)
    assert series[-1]["cumulative_fen"] == sum(a for _, a in inside)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    assert len(series) == months
    assert series[0]["month"] == f"{start:%Y-%m}" and series[-1]["month"] == f"{end:%Y-%m}"


def test_module_docstring_examples_run():
    for module in (projection, projection.series):
        assert doctest.testmod(module).failed == 0, module.__name__
