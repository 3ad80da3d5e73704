"""Money value by the income approach (relief from royalty), as a Monte Carlo interval.

For a patent alive now with current annual revenue ``Rev`` (of the products using it) and
remaining legal term ``R`` years, the value in draw *d* is (GB/T 42748-2023 income approach)::

    V_d = Rev · c · s_d · Σ_{t=1}^{⌈R⌉} w_t · P(alive at τ_t | alive now) · ((1 + g_d) / (1 + r_d))^t

* cash flows at the end of each year t, revenue growing at g (year-1 revenue = Rev·(1+g));
* ``w_t = min(1, R − (t−1))``: the last, partial year counts pro rata; τ_t = (t−1) + w_t;
* ``P(alive …)`` from the maintenance survival model (``survival.py``), 0 after expiry;
* ``s`` royalty share (分成率), triangular(low, mode, high) by IPC (``params/royalty.toml``);
  ``c`` the patent's contribution factor; ``g`` growth and ``r`` discount rate triangular
  (``params/income.toml``).

The interval expresses the uncertainty of the royalty share, growth and discount rate given
the stated revenue and the survival model. It does not include error in the revenue figure
itself or the randomness of one patent's future lapse (the survival probability enters as an
expectation), so the true value of a single patent falls outside [P10, P90] more often than
20 % of the time (on the simulated portfolios about three quarters of the time; see
tests/valuation/test_valuation_simulation.py).

With constant survival p per year, growth and rate the sum is the growing annuity
``q(1 − q^T)/(1 − q)``, q = p(1+g)/(1+r), which the tests check.

Vectorisation: the draws (u_s, g_d, r_d), d = 1..D, are common to all patents (common random
numbers). Each patent's marginal distribution — and so its P10/P50/P90 — is exactly what
independent draws per patent would give; the results do not depend on the order or the company
of other patents; and the year sum becomes one matrix product ``C @ Q`` with
``C[i, t] = w_t · P_it`` (n × T) and ``Q[t, d] = q_d^t`` (T × D). Quantiles use linear
interpolation between order statistics (numpy's default). Patents are processed in chunks so
memory stays at about ``chunk × D × 8`` bytes per worker thread; chunks run on a small thread
pool (numpy releases the GIL in the matrix product and the partition), each writing its own
rows, so the result does not depend on the number of threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from valuation.params import Params
from valuation.survival import SurvivalModel

QUANTILES = (0.10, 0.50, 0.90)


def triangular_ppf(
    u: np.ndarray, low: np.ndarray | float, mode: np.ndarray | float, high: np.ndarray | float
) -> np.ndarray:
    """Inverse CDF of the triangular distribution (broadcasting); degenerate ranges return low."""
    low, mode, high = (np.asarray(v, dtype=np.float64) for v in (low, mode, high))
    span = high - low
    safe = np.where(span > 0, span, 1.0)
    c = np.where(span > 0, (mode - low) / safe, 0.0)
    left = low + np.sqrt(u * span * (mode - low))
    right = high - np.sqrt((1.0 - u) * span * (high - mode))
    return np.where(span > 0, np.where(u < c, left, right), low)


@dataclass(frozen=True)
class Scenarios:
    """Common Monte Carlo draws: royalty-share quantile level, growth, discount rate."""

    share_u: np.ndarray
    growth: np.ndarray
    discount: np.ndarray

    @property
    def ratio(self) -> np.ndarray:
        return (1.0 + self.growth) / (1.0 + self.discount)


def draw_scenarios(draws: int, seed: int | np.random.Generator, params: Params) -> Scenarios:
    """``draws`` scenarios from ``np.random.default_rng(seed)`` (three uniforms per draw)."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    u = rng.random((3, int(draws)))
    income = params.income
    g, r = income["growth"], income["discount_rate"]
    return Scenarios(
        share_u=u[0],
        growth=triangular_ppf(u[1], g["low"], g["mode"], g["high"]),
        discount=triangular_ppf(u[2], r["low"], r["mode"], r["high"]),
    )


def yearly_weights(
    model: SurvivalModel, age: np.ndarray, remaining: np.ndarray, eta: np.ndarray, horizon: int | None = None
) -> np.ndarray:
    """C[i, t−1] = w_t · P(alive at τ_t | alive now) for t = 1..T (see module docstring)."""
    remaining = np.maximum(remaining, 0.0)
    if horizon is None:
        horizon = int(np.ceil(remaining.max())) if remaining.size else 0
    t = np.arange(1, horizon + 1, dtype=np.float64)
    w = np.clip(remaining[:, None] - (t[None, :] - 1.0), 0.0, 1.0)
    tau = (t[None, :] - 1.0) + w
    alive = model.conditional_survival(age[:, None], tau, eta[:, None])
    return w * alive


def _quantiles(values: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """Row quantiles with linear interpolation between order statistics (numpy's 'linear').

    Sorts each row in place: numpy's vectorised (SIMD) sort of 1,000 doubles is faster than a
    multi-kth partition.
    """
    d = values.shape[1]
    positions = np.array(qs) * (d - 1)
    lo = np.floor(positions).astype(np.int64)
    hi = np.minimum(lo + 1, d - 1)
    values.sort(axis=1)
    frac = positions - lo
    return values[:, lo] * (1.0 - frac) + values[:, hi] * frac


def value_quantiles(
    revenue: np.ndarray,
    weights: np.ndarray,
    royalty_group: np.ndarray,
    royalty_ranges: np.ndarray,
    scenarios: Scenarios,
    params: Params,
    chunk: int | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """(n, 3) P10/P50/P90 of V (yuan); NaN where the revenue is unknown or not positive."""
    n, horizon = weights.shape
    result = np.full((n, len(QUANTILES)), np.nan)
    has = np.isfinite(revenue) & (revenue > 0)
    if n == 0 or not has.any():
        return result
    contribution = float(params.royalty["patent_contribution"])
    shares = contribution * triangular_ppf(
        scenarios.share_u[None, :], royalty_ranges[:, 0:1], royalty_ranges[:, 1:2], royalty_ranges[:, 2:3]
    )  # (G, D)
    powers = np.power(scenarios.ratio[None, :], np.arange(1, horizon + 1, dtype=np.float64)[:, None])  # (T, D)
    chunk = int(chunk or params.income["chunk_patents"])
    # A patent with revenue but no remaining life (lapsed, expired, …) is worth 0 in every draw.
    alive = weights.any(axis=1)
    result[has & ~alive] = 0.0
    index = np.nonzero(has & alive)[0]

    def run(start: int) -> None:
        rows = index[start : start + chunk]
        discounted = weights[rows] @ powers  # (m, D) Σ_t w_t P_t q^t
        discounted *= shares[royalty_group[rows]]
        # Revenue is a positive factor per row: scale the quantiles, not the whole matrix.
        result[rows] = _quantiles(discounted, QUANTILES) * revenue[rows, None]

    starts = range(0, index.size, chunk)
    workers = min(int(threads or params.income.get("threads", 0) or os.cpu_count() or 1), len(starts))
    if workers <= 1:
        for start in starts:
            run(start)
    else:  # numpy releases the GIL in matmul and partition; chunks write disjoint rows
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, starts))
    return result


__all__ = ["QUANTILES", "Scenarios", "draw_scenarios", "triangular_ppf", "value_quantiles", "yearly_weights"]
