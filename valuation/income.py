"""Money value by the income approach (relief from royalty), as a predictive Monte Carlo interval.

The value of a patent to its owner is what it saves in royalties over the life it will actually
have, net of the annual fees the owner pays to keep it (GB/T 42748-2023, income approach). Each
draw *d* simulates one path of the patent's future, year t = 1..T of its remaining term::

    royalty_dt = Rev · s_d · exp(σ₀ z_d + Σ_{τ≤t} (g_d − σ²/2 + σ ε_dτ))     revenue × own royalty share
    alive_dt   = alive_d,t−1 · [S(a, t−1) > U_d] · [royalty_dt ≥ fee_t]        lapse draw, owner's option
    V_d        = G_d · Σ_t alive_dt · w_t · (royalty_dt − fee_t) / (1 + r_d)^(t − ½)

* ``Rev`` stated annual revenue of the products using the patent (yuan); ``z_d`` its error
  (``income.revenue_level_sd``): the stated figure is one noisy year, not the patent's level;
* ``s_d`` the patent's own royalty share, triangular over its industry's range (``royalty.toml``),
  times the patent's contribution factor;
* ``g_d`` the product's own trend (triangular, ``income.trend``) and ``ε`` year-to-year shocks
  (``income.revenue_volatility``): products rise, plateau and decline;
* ``U_d`` uniform: the patent earns year t if it is still alive at the start of the year, i.e. while
  the maintenance survival ``S(a, t−1) = P(alive at a + t − 1 | alive at a)`` (``survival.py``) is
  above ``U_d`` (so a longer remaining term never lowers a path's value);
* the owner's option: the owner stops paying the annual fee — and the patent lapses — in the first
  year its royalty no longer covers the fee (``fee_t`` full fee of the fee year then due, yuan),
  so every year counted earns at least its fee and V ≥ 0;
* ``w_t = min(1, R − (t−1))`` the last, partial year pro rata; cash flows at mid-year, discount rate
  ``r_d`` triangular (``income.discount_rate``);
* ``G_d``: a pending application is worth something only if granted (``income.grant_probability``).

P10/P50/P90 are quantiles of V over the draws: a *predictive* interval for the value the patent
will turn out to have (lapse, revenue path, share, rate), not only for the parameters. With all
spreads set to zero, no lapse and no fee the sum is the growing annuity ``q(1 − q^T)/(1 − q)``
(q = (1+g)/(1+r)), which the tests check; the coverage of the interval is checked on a simulated
world with known truth (tests/valuation/test_valuation_calibration.py).

Vectorisation: the draws (s quantile, g, ε, z, r, U, grant) are common to all patents (common
random numbers). Each patent's marginal distribution — and so its P10/P50/P90 — is exactly what
independent draws per patent would give, and results do not depend on the order or company of
other patents. Patents run in chunks (memory ≈ chunk × draws × 8 bytes × a few arrays) on a small
thread pool (numpy releases the GIL), each chunk writing its own rows; a chunk's year loop works
in place in a few reused arrays, and is bit-identical to the plain per-patent sum (tested).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special
from scipy.stats import qmc

from valuation.params import Params

QUANTILES = (0.10, 0.50, 0.90)
MAX_YEARS = 21  # a 20-year term plus compensation fits in 21 yearly steps


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
    """Common Monte Carlo draws (D draws, T years)."""

    share_u: np.ndarray  # (D,) quantile level of the royalty share
    discount: np.ndarray  # (D,)
    revenue_path: np.ndarray  # (D, T) revenue relative to the stated figure, year t
    lapse_u: np.ndarray  # (D,)
    grant_u: np.ndarray  # (D,)

    def discount_factors(self) -> np.ndarray:
        """(D, T) 1/(1 + r_d)^(t − ½) (computed once per scenario set, read-only)."""
        derived = self._derived()
        if "discount" not in derived:
            t = np.arange(1, self.revenue_path.shape[1] + 1, dtype=np.float64)
            derived["discount"] = _read_only(np.power(1.0 + self.discount[:, None], -(t[None, :] - 0.5)))
        return derived["discount"]

    def royalty_shares(self, royalty_ranges: np.ndarray, contribution: float) -> np.ndarray:
        """(G, D) each royalty group's share in each draw: ``contribution`` × the triangular
        (low, mode, high) of its row of ``royalty_ranges`` at ``share_u`` (computed once per scenario
        set and table: a one-patent estimate would otherwise spend a tenth of its time here)."""
        derived = self._derived()
        key = ("shares", royalty_ranges.tobytes(), royalty_ranges.shape, float(contribution))
        if key not in derived:
            ppf = triangular_ppf(
                self.share_u[None, :], royalty_ranges[:, 0:1], royalty_ranges[:, 1:2], royalty_ranges[:, 2:3]
            )
            derived[key] = _read_only(contribution * ppf)
        return derived[key]

    def _derived(self) -> dict[tuple[Any, ...] | str, np.ndarray]:
        """Arrays derived from these draws alone, kept with them (a racing thread at worst
        computes one twice)."""
        return self.__dict__.setdefault("_derived_arrays", {})


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


# Scenarios of an integer seed, by (draws, seed, years, parameter digest): the same every time, and
# drawing them (scipy's Sobol' set-up and scrambling) was a third of a one-patent estimate.
_SCENARIOS: dict[tuple[int, int, int, str], Scenarios] = {}
_SCENARIOS_KEPT = 8


def draw_scenarios(draws: int, seed: int | np.random.Generator, params: Params, years: int = MAX_YEARS) -> Scenarios:
    """``draws`` scenarios: a scrambled Sobol' sequence (scipy.stats.qmc, seeded by ``seed``) over the
    6 + ``years`` dimensions, so 1,024 draws give quantiles about as stable as several times as
    many independent ones; normals by the inverse CDF. For an integer seed the draws are made
    once and reused (read-only arrays)."""
    if isinstance(seed, np.random.Generator):
        return _draw(draws, seed, params, years)
    key = (int(draws), int(seed), int(years), params.digest)
    cached = _SCENARIOS.get(key)
    if cached is None:
        cached = _draw(draws, np.random.default_rng(seed), params, years)
        for array in (cached.share_u, cached.discount, cached.revenue_path, cached.lapse_u, cached.grant_u):
            array.flags.writeable = False
        if len(_SCENARIOS) >= _SCENARIOS_KEPT:
            _SCENARIOS.clear()
        _SCENARIOS[key] = cached
    return cached


def _draw(draws: int, rng: np.random.Generator, params: Params, years: int) -> Scenarios:
    income = params.income
    d = int(draws)
    points = qmc.Sobol(d=6 + years, scramble=True, seed=rng).random(d)
    points = np.clip(points, 1e-12, 1 - 1e-12)  # keep the normal inverse finite
    u = points[:, :5].T
    level = special.ndtri(points[:, 5])
    shocks = special.ndtri(points[:, 6:])
    g, r = income["trend"], income["discount_rate"]
    sigma, sigma0 = float(income["revenue_volatility"]), float(income["revenue_level_sd"])
    trend = triangular_ppf(u[1], g["low"], g["mode"], g["high"])
    log_path = sigma0 * level[:, None] + np.cumsum(trend[:, None] - 0.5 * sigma**2 + sigma * shocks, axis=1)
    return Scenarios(
        share_u=u[0],
        discount=triangular_ppf(u[2], r["low"], r["mode"], r["high"]),
        revenue_path=np.exp(log_path - 0.5 * sigma0**2),
        lapse_u=u[3],
        grant_u=u[4],
    )


def yearly_grid(remaining: np.ndarray, years: int = MAX_YEARS) -> tuple[np.ndarray, np.ndarray]:
    """(w, start): the share of year t inside the remaining term (n, T), and the start t − 1 of
    year t (n, T), where its survival is read."""
    t = np.arange(1, years + 1, dtype=np.float64)
    w = np.clip(np.maximum(remaining, 0.0)[:, None] - (t[None, :] - 1.0), 0.0, 1.0)
    return w, np.broadcast_to(t[None, :] - 1.0, w.shape)


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
    survival: np.ndarray,
    weights: np.ndarray,
    fees: np.ndarray,
    grant_probability: np.ndarray,
    royalty_group: np.ndarray,
    royalty_ranges: np.ndarray,
    scenarios: Scenarios,
    params: Params,
    chunk: int | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """(n, 3) P10/P50/P90 of V (yuan); NaN where the revenue is unknown or not positive.

    ``survival`` (n, T) P(alive at the start of year t | alive now), ``weights`` (n, T) w_t, ``fees`` (n, T) the
    full fee of the fee year due in year t (yuan), ``grant_probability`` (n,) 1 for granted patents.
    """
    n, horizon = weights.shape
    result = np.full((n, len(QUANTILES)), np.nan)
    has = np.isfinite(revenue) & (revenue > 0)
    if n == 0 or not has.any():
        return result
    shares = scenarios.royalty_shares(royalty_ranges, float(params.royalty["patent_contribution"]))  # (G, D)
    path = scenarios.revenue_path[:, :horizon]  # (D, T)
    discount = scenarios.discount_factors()[:, :horizon]  # (D, T)
    lapse_u = scenarios.lapse_u[None, :]
    chunk = int(chunk or params.income["chunk_patents"])
    # A patent with revenue but no remaining life (lapsed, expired, …) is worth 0 in every draw.
    alive_now = weights.any(axis=1)
    result[has & ~alive_now] = 0.0
    index = np.nonzero(has & alive_now)[0]
    # Chunks of patents with similar terms: a chunk runs as many years as its longest term, and each
    # patent's value depends on its own row only (the order changes no result).
    index = index[np.argsort(np.count_nonzero(weights[index] > 0, axis=1), kind="stable")]

    path_by_year = np.ascontiguousarray(path.T)  # (T, D): year t's row is contiguous
    discount_by_year = np.ascontiguousarray(discount.T)
    # The year's discounted flow is added as ``flow × alive`` (a dead draw adds ±0, which leaves
    # the non-negative sum's bits as they are) rather than ``np.where``: exact while every flow is
    # finite, i.e. unless Rev × share × path overflows (then the masked form).
    finite = index.size == 0 or bool(np.max(revenue[index]) * np.max(shares) * np.max(path) < 1e300)

    def run(start: int) -> None:
        rows = index[start : start + chunk]
        base = revenue[rows, None] * shares[royalty_group[rows]]  # (m, D) royalty at the stated revenue
        row_weights, row_fees, row_survival = weights[rows], fees[rows], survival[rows]
        alive = np.ones(base.shape, dtype=bool)
        value = np.zeros(base.shape)
        # Working arrays reused year after year: temporaries of a chunk's size are mapped and
        # unmapped afresh by the allocator, and their page faults cost more than the arithmetic.
        flow = np.empty(base.shape)
        holds = np.empty(base.shape, dtype=bool)
        last = int(np.nonzero(row_weights.any(axis=0))[0].max()) + 1  # years any row still covers
        whole = (row_weights[:, :last] == 1.0).all(axis=0)  # w_t = 1 for every row: w_t·disc = disc
        for t in range(last):
            fee = row_fees[:, t, None]
            np.multiply(base, path_by_year[t], out=flow)  # royalty_dt
            np.greater_equal(flow, fee, out=holds)
            alive &= holds
            np.greater(row_survival[:, t, None], lapse_u, out=holds)
            alive &= holds
            np.subtract(flow, fee, out=flow)
            weight = discount_by_year[t] if whole[t] else row_weights[:, t, None] * discount_by_year[t]
            np.multiply(flow, weight, out=flow)
            if finite:
                flow *= alive
                value += flow
            else:
                np.add(value, flow, out=value, where=alive)
        value *= scenarios.grant_u[None, :] < grant_probability[rows, None]
        result[rows] = _quantiles(value, QUANTILES)

    starts = range(0, index.size, chunk)
    workers = min(int(threads or params.income.get("threads", 0) or os.cpu_count() or 1), len(starts))
    if workers <= 1:
        for start in starts:
            run(start)
    else:  # numpy releases the GIL in the array arithmetic and the sort; chunks write disjoint rows
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, starts))
    return result


def central_value(
    revenue: np.ndarray, survival: np.ndarray, weights: np.ndarray, shares: np.ndarray, params: Params
) -> np.ndarray:
    """A deterministic central value (yuan): Rev · modal share · Σ_t w_t P_t q^(t−½) with the modal
    trend and rate — what the score's economic indicator uses, so scores never depend on draws."""
    income = params.income
    q = (1.0 + float(income["trend"]["mode"])) / (1.0 + float(income["discount_rate"]["mode"]))
    t = np.arange(1, weights.shape[1] + 1, dtype=np.float64)
    annuity = (weights * survival) @ np.power(q, t - 0.5)
    return np.where(np.isfinite(revenue) & (revenue > 0), revenue * shares * annuity, np.nan)


__all__ = [
    "MAX_YEARS",
    "QUANTILES",
    "Scenarios",
    "central_value",
    "draw_scenarios",
    "triangular_ppf",
    "value_quantiles",
    "yearly_grid",
]
