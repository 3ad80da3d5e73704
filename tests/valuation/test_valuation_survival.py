"""The maintenance survival model against independent references.

* lifelines' WeibullAFTFitter / WeibullFitter (with ``entry=`` for left truncation) on the same
  censored, truncated data. lifelines parametrises S(t|x) = exp(−(t/λ(x))^ρ) with
  λ(x) = exp(α₀ + xα); our PH form S = exp(−t^k·exp(b₀ + xβ)) maps as k = ρ, b₀ = −ρα₀,
  β = −ρα. Both maximise the same likelihood, so they must agree to optimiser precision:
  tolerance 1e-3 relative on k and λ, 2e-3 absolute on coefficients.
* Kaplan–Meier (lifelines, with entry) on data without covariates: the fitted conditional curve
  S(t)/S(t₀) stays within 0.02 of KM(t)/KM(t₀) for t₀ = 4 ≤ t ≤ 14 (n = 20,000).
* Recovery of known parameters from data simulated from the model: each estimate within
  4 standard errors of the truth (and the SEs are small: < 0.05).
* Expected remaining life against the closed form with the regularised incomplete gamma function
  (no tier steps; relative 1e-12), and against ``scipy.integrate.quad`` with the fee-tier ages as
  breakpoints on hazards stepped at every tier (absolute 1e-10 years).
"""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter, WeibullAFTFitter, WeibullFitter
from scipy.integrate import quad
from scipy.special import gamma, gammainc

from valuation import Portfolio, SurvivalModel, build_reference, fit_survival, load_params
from valuation.citations import citation_percentiles
from valuation.rules import legal_position
from valuation.simulation import simulate_portfolio
from valuation.survival import (
    FeeTiers,
    covariate_columns,
    default_model,
    fit_weibull_ph,
    kept_exactly,
    split_at_tiers,
    survival_data,
)

TRUE_K, TRUE_LAMBDA = 1.4, 9.0
TRUE_BETA = np.array([-0.8, 0.5])


def simulate(n: int, seed: int, beta: np.ndarray = TRUE_BETA):
    """Weibull PH lapse ages, observed from entry ~ U(0.5, 4) (left truncation), censored at
    entry + U(0, 15). T | T > a is drawn exactly: H(T) = H(a) + E, E ~ Exp(1)."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.random(n), rng.random(n) < 0.4]).astype(float)[:, : beta.size]
    b0 = -TRUE_K * np.log(TRUE_LAMBDA)
    rate = np.exp(b0 + X @ beta)
    entry = rng.uniform(0.5, 4.0, n)
    lapse = ((entry**TRUE_K * rate + rng.exponential(size=n)) / rate) ** (1 / TRUE_K)
    censor = entry + rng.uniform(0.0, 15.0, n)
    exit = np.minimum(lapse, censor)
    event = (lapse <= censor).astype(float)
    return X, entry, exit, event


def test_matches_lifelines_weibull_aft_with_covariates_and_entry():
    X, entry, exit, event = simulate(4000, seed=11)
    ours = fit_weibull_ph(entry, exit, event, X, ridge=0.0)
    df = pd.DataFrame({"T": exit, "E": event, "entry": entry, "x1": X[:, 0], "x2": X[:, 1]})
    aft = WeibullAFTFitter().fit(df, "T", "E", entry_col="entry")
    rho = float(np.exp(aft.params_.loc[("rho_", "Intercept")]))
    alpha0 = float(aft.params_.loc[("lambda_", "Intercept")])
    alpha = np.array([aft.params_.loc[("lambda_", "x1")], aft.params_.loc[("lambda_", "x2")]])
    assert ours["converged"]
    assert ours["shape"] == pytest.approx(rho, rel=1e-3)
    assert ours["intercept"] == pytest.approx(-rho * alpha0, rel=1e-3, abs=2e-3)
    np.testing.assert_allclose(ours["coefficients"], -rho * alpha, atol=2e-3)
    assert ours["log_likelihood"] == pytest.approx(aft.log_likelihood_, rel=1e-5)


def _records_from_ages(entry: np.ndarray, exit: np.ndarray, event: np.ndarray, as_of: date) -> list[dict]:
    """Patents whose filing date makes their exit age land on as_of (censored) or on the lapse
    date (event); grant at the entry age."""
    records = []
    for i, (a, t, e) in enumerate(zip(entry, exit, event, strict=True)):
        if e:
            filing = as_of - timedelta(days=round(t * 365.25) + 30)
            lapse = filing + timedelta(days=round(t * 365.25))
        else:
            filing = as_of - timedelta(days=round(t * 365.25))
            lapse = None
        grant = filing + timedelta(days=round(a * 365.25))
        if (lapse or as_of) <= grant:  # the import rejects lapse ≤ grant; such rows cannot exist
            continue
        # Fee record up to date at as_of (fee year containing as_of) for censored patents.
        elapsed = as_of.year - filing.year - ((as_of.month, as_of.day) < (filing.month, filing.day))
        paid = min(elapsed + 1, 20)
        records.append(
            {
                "application_no": f"T{i}",
                "patent_type": "invention",
                "ipc": "H01M 10/052",
                "filing_date": filing,
                "grant_date": grant,
                "legal_status": "lapsed" if e else "valid",
                "lapse_date": lapse,
                # A lapsed record without its fee record: the lapse is dated at the recorded date.
                "fees_paid_through_year": None if e else paid,
            }
        )
    return records


def test_fit_survival_on_records_matches_lifelines_weibull_fitter(params):
    """End to end: dates → (entry at grant, exit at lapse or as_of) → fit, vs WeibullFitter on
    durations computed here from the same dates."""
    _, entry, exit, event = simulate(1500, seed=5, beta=np.zeros(0))
    as_of = date(2025, 6, 30)
    records = _records_from_ages(entry, np.minimum(exit, 19.0), event, as_of)
    plain = params.with_overrides({"survival": {"covariates": [], "ridge": 0.0}})
    model = fit_survival(Portfolio.from_records(records), as_of, params=plain)
    assert model.source == "fitted"
    durations, entries, events = [], [], []
    for r in records:
        end = r["lapse_date"] or as_of
        durations.append((end - r["filing_date"]).days / 365.25)
        entries.append((r["grant_date"] - r["filing_date"]).days / 365.25)
        events.append(r["lapse_date"] is not None)
    wf = WeibullFitter().fit(np.array(durations), np.array(events), entry=np.array(entries))
    assert model.shape == pytest.approx(wf.rho_, rel=1e-3)
    assert model.scale_years == pytest.approx(wf.lambda_, rel=1e-3)
    assert model.events == int(np.sum(events)) and model.n == len(records)


def test_fitted_curve_agrees_with_kaplan_meier():
    _, entry, exit, event = simulate(20000, seed=7, beta=np.zeros(0))
    fit = fit_weibull_ph(entry, exit, event, None, ridge=0.0)
    model = SurvivalModel(
        shape=fit["shape"], scale_years=fit["scale_years"], coefficients={}, source="fitted", version="test"
    )
    km = KaplanMeierFitter().fit(exit, event, entry=entry)
    t0 = 4.0
    grid = np.linspace(t0, 14.0, 41)
    km_cond = km.survival_function_at_times(grid).to_numpy() / km.survival_function_at_times(t0).to_numpy()[0]
    eta = np.full(grid.size, model.intercept)
    ours = model.survival(grid, eta) / model.survival(np.array([t0]), eta[:1])[0]
    assert np.max(np.abs(ours - km_cond)) < 0.02


def test_recovers_known_parameters():
    X, entry, exit, event = simulate(20000, seed=3)
    fit = fit_weibull_ph(entry, exit, event, X, ridge=0.0)
    se = fit["standard_errors"]
    truth_b0 = -TRUE_K * np.log(TRUE_LAMBDA)
    assert abs(np.log(fit["shape"]) - np.log(TRUE_K)) < 4 * se["log_shape"]
    assert abs(fit["intercept"] - truth_b0) < 4 * se["intercept"]
    assert np.all(np.abs(fit["coefficients"] - TRUE_BETA) < 4 * se["coefficients"])
    assert se["log_shape"] < 0.05 and np.all(se["coefficients"] < 0.05)


def test_a_fit_at_the_boundary_k_to_0_is_not_kept_and_a_regular_one_is():
    """Lapse ages of a hazard falling as 1/age (Pareto: S(t | a) = (a/t)^0.8) put the likelihood's
    maximum at k → 0, where λ = exp(−b₀/k) underflows to 0 (the engine's hazards are then NaN);
    the fit converges there all the same. ``fit_survival`` then uses the shipped model."""
    rng = np.random.default_rng(0)
    entry = rng.uniform(1, 3, 50_000)
    exit = entry * rng.uniform(size=entry.size) ** (-1 / 0.8)
    with np.errstate(over="ignore"):
        fit = fit_weibull_ph(entry, exit, np.ones(entry.size))
    assert fit["converged"] and fit["shape"] < 0.01 and fit["scale_years"] == 0.0
    kept = SurvivalModel(shape=fit["shape"], scale_years=fit["scale_years"], coefficients={}, source="t", version="t")
    with np.errstate(divide="ignore"):
        assert kept.intercept == np.inf and np.isfinite(fit["intercept"])  # the fit is lost in keeping it
    assert not kept_exactly(fit)
    X, entry, exit, event = simulate(2000, seed=3)
    assert kept_exactly(fit_weibull_ph(entry, exit, event, X))


def test_expected_remaining_life_matches_incomplete_gamma_closed_form():
    # ∫_a^b exp(−c u^k) du = c^(−1/k)/k · Γ(1/k) · [P(1/k, c b^k) − P(1/k, c a^k)], divided by S(a).
    # Without tier covariates the stepped hazard is the plain Weibull, whatever the tiers.
    model = SurvivalModel(shape=1.7, scale_years=11.0, coefficients={"x": 0.6}, source="reference", version="t")
    age = np.array([0.5, 3.0, 8.0, 12.0, 2.0])
    remaining = np.array([19.0, 10.0, 12.0, 1.5, 0.0])
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    hazard = model.hazard({"x": x}, FeeTiers.of(np.zeros(5, dtype=int), load_params().at(date(2025, 6, 30))))
    got = hazard.expected_remaining_life(age, remaining)
    eta = model.intercept + 0.6 * x
    k, c = model.shape, np.exp(eta)
    b = age + remaining
    integral = c ** (-1 / k) / k * gamma(1 / k) * (gammainc(1 / k, c * b**k) - gammainc(1 / k, c * age**k))
    expected = integral / np.exp(-c * age**k)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def _quad_life(hazard, i: int, age: float, remaining: float) -> float:
    """∫₀^R exp(−H(a, a + s)) ds by adaptive quadrature, split at the fee-tier ages (the kinks); the
    hazard summed over tiers (``cumulative_by_tier``), not through the prefix sums."""
    row = hazard.take(np.array([i]))
    starts = row.tiers.start[0]
    kinks = [float(s) - age for s in starts if np.isfinite(s) and age < s < age + remaining]
    # The curve can fall steeply right after age a (a lapse within days): a ladder of small steps
    # there, so that the quadrature sees it.
    ladder = [x for x in 10.0 ** np.arange(-12.0, 0.0) if x < min([remaining, *kinks])]
    edges = [0.0, *ladder, *kinks, remaining]

    def curve(s: float) -> float:
        return float(np.exp(-row.cumulative_by_tier(np.array([age]), np.array([age + s]))[0]))

    return sum(quad(curve, lo, hi, epsabs=1e-14, epsrel=1e-13, limit=200)[0] for lo, hi in itertools.pairwise(edges))


@pytest.mark.parametrize(
    ("shape", "scale_years", "fee_beta"),
    [(0.59, 5862.0, 0.80), (0.66, 1111.0, 0.0), (1.7, 11.0, 0.5), (0.5, 40.0, 1.5), (1.2, 3.0, 0.3)],
)
def test_expected_remaining_life_is_the_integral_of_the_stepped_curve(shape, scale_years, fee_beta):
    """Every type's tiers, ages from 0 (filed today: the curve is not smooth at age 0 when k ≠ 1) to
    old, hazards from negligible to a lapse within weeks (a fall of many e-folds inside one tier)."""
    params = load_params().at(date(2025, 6, 30))
    rng = np.random.default_rng(int(shape * 100))
    n = 120
    kind = rng.integers(0, 3, n)
    age = np.concatenate([[0.0, 1e-4, 0.003], rng.uniform(0.0, 18.0, n - 3)])
    remaining = np.where(kind == 0, 20.0, 10.0) + rng.uniform(0.0, 4.0, n) - np.minimum(age, 9.5)
    x = rng.normal(0.0, 1.5, n)
    tiers = FeeTiers.of(kind, params)
    model = SurvivalModel(
        shape=shape,
        scale_years=scale_years,
        coefficients={"x": 1.0, "log_fee": fee_beta},
        source="reference",
        version="t",
    )
    hazard = model.hazard({"x": x, "log_fee": np.log(tiers.fee)}, tiers)
    got = hazard.expected_remaining_life(age, remaining)
    want = np.array([_quad_life(hazard, i, age[i], remaining[i]) for i in range(n)])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    assert (got <= remaining + 1e-12).all()


def test_expected_remaining_life_of_a_fitted_model_on_simulated_patents():
    """The bench's kind of data: a model fitted on simulated patents (tier covariates: log fee,
    renewal margin), the patents alive at the valuation date, 150 drawn at random."""
    as_of = date(2025, 6, 30)
    params = load_params().at(as_of)
    portfolio = Portfolio.from_records(simulate_portfolio(6000, as_of, seed=11).records)
    reference = build_reference(portfolio, as_of, params)
    assert reference.survival.source == "fitted"
    position = legal_position(portfolio, as_of, params, 12)
    pct = citation_percentiles(portfolio, as_of, reference.citations)
    tiers = FeeTiers.of(portfolio.kind, params)
    hazard = reference.survival.hazard(covariate_columns(portfolio, pct, params, tiers=tiers), tiers)
    rows = np.random.default_rng(0).choice(np.nonzero(position.alive)[0], 150, replace=False)
    age, remaining = position.age_years[rows], position.remaining_years[rows]
    got = hazard.take(rows).expected_remaining_life(age, remaining)
    want = np.array([_quad_life(hazard, int(i), a, r) for i, a, r in zip(rows, age, remaining, strict=True)])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_defaults_when_too_few_lapses(params, make_record):
    portfolio = Portfolio.from_records([make_record(application_no=f"P{i}") for i in range(10)])
    model = fit_survival(portfolio, date(2025, 6, 30), params=params)
    assert model.source == "reference"
    assert model.to_dict() == default_model(params).to_dict()


def test_model_round_trips_through_json(params):
    _, entry, exit, event = simulate(3000, seed=2, beta=np.zeros(0))
    records = _records_from_ages(entry, np.minimum(exit, 19.0), event, date(2025, 6, 30))
    model = fit_survival(Portfolio.from_records(records), date(2025, 6, 30), params=params)
    restored = SurvivalModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert restored == model
    assert restored.source == "fitted" and restored.version.startswith("wph-f-")


def test_survival_data_censoring_and_truncation(params, make_record):
    as_of = date(2025, 6, 30)
    records = [
        make_record(application_no="valid"),
        make_record(
            application_no="lapsed", legal_status="lapsed", lapse_date=date(2023, 7, 25), fees_paid_through_year=6
        ),
        make_record(
            application_no="expired",
            legal_status="expired",
            filing_date=date(2004, 3, 1),
            grant_date=date(2006, 3, 1),
            fees_paid_through_year=20,
        ),
        make_record(application_no="pending", legal_status="pending", grant_date=None),
        make_record(application_no="invalidated", legal_status="invalidated"),
        make_record(application_no="unpaid", fees_paid_through_year=6),  # year 7 due 2023-07-25: past grace
    ]
    data = survival_data(Portfolio.from_records(records), as_of, params)
    names = [records[i]["application_no"] for i in data.index]
    assert names == ["valid", "lapsed", "expired", "unpaid"]

    def years(a: date, b: date) -> float:
        return (b - a).days / 365.25

    filing = date(2017, 7, 25)
    np.testing.assert_allclose(
        data.entry,
        [years(filing, date(2020, 3, 10))] * 2
        + [years(date(2004, 3, 1), date(2006, 3, 1)), years(filing, date(2020, 3, 10))],
    )
    np.testing.assert_allclose(
        data.exit,
        [
            years(filing, as_of),
            years(filing, date(2023, 7, 25)),
            years(date(2004, 3, 1), date(2024, 3, 1)),
            years(filing, date(2023, 7, 25)),
        ],
    )
    assert data.event.tolist() == [0.0, 1.0, 0.0, 1.0]


def _stepped_lapse_ages(n: int, seed: int, gamma_fee: float, tiers: FeeTiers, b0: float, k: float):
    """Exact draws from the stepped hazard: H(T) − H(a) = E, E ~ Exp(1), solved tier by tier."""
    rng = np.random.default_rng(seed)
    entry = rng.uniform(0.5, 4.0, n)
    target = rng.exponential(size=n)
    rate = np.exp(b0 + gamma_fee * np.log(tiers.fee))  # (n, J)
    t = entry.copy()
    lapse = np.full(n, np.inf)
    for j in range(tiers.start.shape[1]):
        lo = np.maximum(t, tiers.start[:, j])
        hi = tiers.end[:, j]
        width = np.where(hi > lo, rate[:, j] * (hi**k - lo**k), 0.0)
        done = np.isinf(lapse) & (width >= target) & (hi > lo)
        lapse[done] = ((target[done] / rate[done, j]) + lo[done] ** k) ** (1 / k)
        target = np.where(np.isinf(lapse), target - width, target)
        t = np.where(hi > lo, np.maximum(t, hi), t)
    return entry, lapse


def test_stepped_hazard_fit_matches_lifelines_on_the_same_episodes(params):
    """The fee-tier model: our fit of patients split at the tiers against lifelines'
    WeibullAFTFitter on episodes built here by hand, and the known γ recovered."""
    n, k, b0, gamma_fee = 6000, 1.3, -6.0, 0.5
    tiers = FeeTiers.of(np.zeros(n, dtype=int), params)
    entry, lapse = _stepped_lapse_ages(n, 8, gamma_fee, tiers, b0, k)
    censor = entry + np.random.default_rng(9).uniform(0.0, 16.0, n)
    exit = np.minimum(lapse, censor)
    event = (lapse <= censor).astype(float)
    from valuation.survival import SurvivalData

    data = SurvivalData(index=np.arange(n), entry=entry, exit=exit, event=event)
    rows, tier, e_in, e_out, e_event = split_at_tiers(data, tiers)
    ours = fit_weibull_ph(e_in, e_out, e_event, np.log(tiers.fee[rows, tier])[:, None], ridge=0.0)
    # Episodes by hand: cut each (entry, exit] at ages 3, 6, 9, 12, 15.
    cuts = [0.0, 3.0, 6.0, 9.0, 12.0, 15.0, np.inf]
    fees = [900, 1200, 2000, 4000, 6000, 8000]
    rows_ = []
    for a, t, d in zip(entry, exit, event, strict=True):
        for j in range(6):
            lo, hi = max(a, cuts[j]), min(t, cuts[j + 1])
            if hi > lo + 1e-9:
                rows_.append((lo, hi, d if t <= cuts[j + 1] else 0.0, np.log(fees[j])))
    df = pd.DataFrame(rows_, columns=["entry", "T", "E", "log_fee"])
    assert len(df) == rows.size
    aft = WeibullAFTFitter().fit(df, "T", "E", entry_col="entry")
    rho = float(np.exp(aft.params_.loc[("rho_", "Intercept")]))
    assert ours["shape"] == pytest.approx(rho, rel=2e-3)
    assert ours["coefficients"][0] == pytest.approx(-rho * aft.params_.loc[("lambda_", "log_fee")], abs=3e-3)
    se = ours["standard_errors"]["coefficients"][0]
    assert abs(ours["coefficients"][0] - gamma_fee) < 4 * se


def test_lapses_are_dated_at_the_due_date_of_the_first_unpaid_fee(params, make_record):
    as_of = date(2025, 6, 30)
    records = [
        # fees paid through year 6: year 7 was due on 2023-07-25 — the register recorded it later
        make_record(
            application_no="late", legal_status="lapsed", lapse_date=date(2025, 9, 1), fees_paid_through_year=6
        ),
        make_record(
            application_no="recorded", legal_status="lapsed", lapse_date=date(2022, 2, 1), fees_paid_through_year=None
        ),
        make_record(application_no="undated", legal_status="lapsed", lapse_date=None, fees_paid_through_year=None),
    ]
    data = survival_data(Portfolio.from_records(records), as_of, params)
    assert data.event.tolist() == [1.0, 1.0, 1.0]
    filing, grant = date(2017, 7, 25), date(2020, 3, 10)
    midpoint = grant + (as_of - grant) // 2
    expected = [(d - filing).days / 365.25 for d in (date(2023, 7, 25), date(2022, 2, 1), midpoint)]
    np.testing.assert_allclose(data.exit, expected)


def _standardised(X: np.ndarray, fit: dict) -> tuple[np.ndarray, np.ndarray]:
    """(Z, θ): the covariates standardised as ``fit_weibull_ph`` does, and the fit's parameters on
    that scale, (log k, b₀ + Σ βⱼ mⱼ, βⱼ sⱼ)."""
    mean, sd = X.mean(axis=0), X.std(axis=0)
    beta = fit["coefficients"] * sd
    return (X - mean) / sd, np.r_[np.log(fit["shape"]), fit["intercept"] + fit["coefficients"] @ mean, beta]


@pytest.mark.parametrize("ridge", [0.0, 0.5])
def test_newton_fit_is_the_optimum_a_generic_minimiser_finds_from_elsewhere(ridge):
    """Newton's optimum is the optimum: the gradient of ``_negative_loglik`` (computed on its own,
    with einsum) is below 1e-10 there, and scipy's BFGS — a different method, from a different
    start, with the gradient only — reaches the same θ within 1e-6 (standardised scale) and no
    lower value. With a ridge penalty and left truncation, on 5,000 simulated patents and a third,
    continuous covariate."""
    from scipy import optimize

    from valuation.survival import _negative_loglik

    X, entry, exit, event = simulate(5000, seed=21)
    X = np.column_stack([X, np.random.default_rng(2).normal(size=exit.size)])
    fit = fit_weibull_ph(entry, exit, event, X, ridge=ridge)
    assert fit["converged"]
    Z, theta = _standardised(X, fit)
    args = (Z, entry, exit, event, np.log(exit), np.log(entry), ridge)
    value, gradient = _negative_loglik(theta, *args)
    assert np.max(np.abs(gradient)) < 1e-10
    start = np.r_[0.0, -1.0, np.full(Z.shape[1], 0.3)]
    other = optimize.minimize(_negative_loglik, start, args=args, jac=True, method="BFGS", options={"gtol": 1e-12})
    np.testing.assert_allclose(other.x, theta, rtol=0, atol=1e-6)
    assert value <= other.fun + 1e-15
    assert fit["log_likelihood"] == pytest.approx(-_negative_loglik(theta, *args[:-1], 0.0)[0] * exit.size, rel=1e-12)


def test_analytic_hessian_matches_differences_of_the_gradient():
    """The Newton step's Hessian (and the standard errors') against central differences of the
    separately written gradient ``_negative_loglik``, with left truncation and a ridge penalty."""
    from valuation.survival import _negative_loglik, _negative_loglik_hessian

    X, entry, exit, event = simulate(3000, seed=8)
    entry[::3] = 0.0  # some episodes not truncated
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    args = (Z, entry, exit, event, np.log(exit), np.log(np.where(entry > 0, entry, 1.0)), 0.7)
    theta = np.array([np.log(1.3), -2.5, -0.4, 0.2])
    value, gradient, hessian = _negative_loglik_hessian(theta, np.ascontiguousarray(Z.T), *args[1:])
    reference_value, reference_gradient = _negative_loglik(theta, *args)
    assert value == pytest.approx(reference_value, rel=1e-13)
    np.testing.assert_allclose(gradient, reference_gradient, rtol=1e-11, atol=1e-14)
    differences = np.empty_like(hessian)
    for j in range(theta.size):
        step = np.zeros_like(theta)
        step[j] = 1e-6
        differences[:, j] = (_negative_loglik(theta + step, *args)[1] - _negative_loglik(theta - step, *args)[1]) / 2e-6
    np.testing.assert_allclose(hessian, differences, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(hessian, hessian.T)
