"""Maintenance survival model: Weibull proportional hazards with fee-tier steps and renewal economics.

Owners stop paying annual fees when a patent is no longer worth its fee (renewal models, Pakes
1986), so the age at which a patent lapses carries information about its value. We model the
age *t* in years since filing at which a patent lapses with a Weibull proportional-hazards model
(Kalbfleisch & Prentice 2002, §2.2) whose linear predictor steps at the fee tiers::

    h(t | x) = k t^(k−1) exp(η_j(x)),   t in fee tier j (ages [s_j, e_j) of the fee schedule)
    η_j(x)  = b₀ + xβ + γ·log fee_j + δ·m_j,   m_j = log(Rev · royalty / fee_j) where revenue is known
    H(a, b) = Σ_j exp(η_j) · (clip(b, s_j, e_j)^k − clip(a, s_j, e_j)^k)       cumulative hazard
    P(alive at b | alive at a) = exp(−H(a, b))

so a coefficient is a log hazard ratio (negative = keeps the patent alive longer). ``log fee`` is
the full annual fee of the tier (the hazard jumps when the fee does) and ``m`` the renewal margin:
the expected royalty (revenue × the industry's modal royalty share) against the coming fee — the
quantity an owner weighs when deciding to pay (``renewal_margin``; 0, with ``revenue_known`` = 0,
where revenue is unknown). With γ = δ = 0 the model is the plain Weibull PH.

Data (``survival_data``): a patent is observed only once it is granted (annual fees start at
grant), so each granted patent enters at its grant age *a* (**left truncation**) and leaves at

* its lapse age (**event**) if lapsed. CNIPA deems the patent ended from the due date of the first
  unpaid fee, so the lapse is dated at that due date (the ``fees_paid_through_year``-th anniversary
  of filing); where the fee record is missing, at the recorded ``lapse_date``; where both are
  missing, at the midpoint between grant and the valuation date (an imputation; such rows are rare).
  Every lapsed record is an event, whatever its recorded date;
* the due date of its first unpaid fee if the register says valid but the grace period has
  run out (the lapse is certain, only not yet recorded) (**event**);
* its age at the valuation date if valid (**right-censored**), or the end of its legal term if
  expired (censored: it survived as long as it could).

Pending, invalidated and ungranted records do not enter the fit. A patent's time at risk is split
at the fee-tier boundaries into episodes (entry, exit], each with its tier's covariates and the
event on the last; the likelihood of the episodes is exactly that of the patent (left truncation
at each episode's start), so ``fit_weibull_ph`` — the plain left-truncated Weibull PH estimator,
checked against lifelines — fits the stepped model too. The log-likelihood
``Σ dᵢ log h(tᵢ) − H(tᵢ) + H(aᵢ)`` minus an optional ridge penalty ``ridge/2 · Σβ'²`` on
standardised coefficients is maximised by Newton's method with the analytic gradient and Hessian
(a backtracking line search, the Hessian shifted where it is not positive definite; L-BFGS-B if
Newton fails); standard errors come from the analytic Hessian of the unpenalised log-likelihood.

Prediction for a patent alive at age *a* with remaining legal term R years: ``exp(−H(a, a + s))``
for s ≤ R, 0 beyond the term; expected remaining economic life ``E = ∫₀^R exp(−H(a, a + s)) ds``
exactly per fee tier (the curve is smooth inside a tier and kinked at its ends): on each tier's
piece of [a, a + R] by 8-node Gauss–Legendre, or by the incomplete-gamma closed form near age 0
and where the curve falls steeply (``tier_integral``); the tests hold it to 1e-12 of the closed
form for the unstepped model and to 1e-10 years of ``scipy.integrate.quad`` split at the tiers.

``fit_survival`` refits on the portfolio when it has at least ``survival.min_events`` lapses and
``survival.min_patents`` patents at risk, and otherwise returns the shipped reference model
(``params/reference.toml``); ``SurvivalModel.source`` says which.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np
from scipy import optimize, special

from valuation.fees import DESIGN, PATENT_TYPES, UTILITY_MODEL, add_years, expiry_dates, fee_status, fee_table
from valuation.industry import industry_cluster, royalty_ranges
from valuation.params import Params, load_params
from valuation.portfolio import EXPIRED, LAPSED, VALID, Portfolio
from valuation.unknowns import filled

YEAR = 365.25
# Covariates that change with the fee tier (one value per patent and tier), the others are fixed.
TIER_COVARIATES = ("log_fee", "renewal_margin")
NAT = np.datetime64("NaT", "D")
_MARGIN_BOUND = 8.0  # |log(royalty / fee)| beyond e^8 ≈ 3,000× carries no more information


@dataclass(frozen=True)
class FeeTiers:
    """Each patent's fee tiers as age intervals [start, end) in years since filing (n, J), the
    tier's full fee (yuan), and padding tiers of zero width where a type has fewer tiers."""

    start: np.ndarray
    end: np.ndarray
    fee: np.ndarray
    kind: np.ndarray | None = None  # the type codes the rows were built from (rows of one type are equal)

    @cached_property
    def tier_by_year(self) -> tuple[np.ndarray, int] | None:
        """(table, L): ``table[type code, y]`` the tier holding ages [y, y + 1) for y < L (the last
        tier from y = L − 1 on), when every tier starts at a whole age (fee years do) and the rows
        carry their type codes; None otherwise."""
        kind, start = self.kind, self.start
        if kind is None or kind.size == 0:
            return None
        real = start[np.isfinite(start)]
        if real.size == 0 or np.any(real != np.floor(real)):
            return None
        years = int(real.max()) + 1
        codes = np.nonzero(np.bincount(kind))[0]
        table = np.zeros((int(codes.max()) + 1, years), dtype=np.intp)
        for code in codes.tolist():
            first = start[int(np.argmax(kind == code))]
            table[code] = np.searchsorted(first[np.isfinite(first)], np.arange(years), side="right") - 1
        return table, years

    @classmethod
    def of(cls, kind: np.ndarray, params: Params) -> FeeTiers:
        table = fee_table(params)  # [type, fee year]
        rows = []
        for code in range(len(PATENT_TYPES)):
            fees = table[code, 1:][table[code, 1:] > 0]  # fee years 1..last of the schedule
            years = [k for k in range(1, fees.size) if fees[k] != fees[k - 1]]  # ages where a new tier starts
            starts = [0.0] + [float(y) for y in years]
            ends = [*starts[1:], np.inf]
            rows.append((starts, ends, [float(fees[int(s)]) for s in starts]))
        width = max(len(r[0]) for r in rows)

        def pad(values: list[float], fill: float) -> list[float]:
            return values + [fill] * (width - len(values))

        start = np.array([pad(r[0], np.inf) for r in rows])
        end = np.array([pad(r[1], np.inf) for r in rows])
        fee = np.array([pad(r[2], r[2][-1]) for r in rows])
        kind = np.asarray(kind, dtype=np.intp)
        return cls(
            start=np.take(start, kind, axis=0),
            end=np.take(end, kind, axis=0),
            fee=np.take(fee, kind, axis=0),
            kind=kind,
        )


@dataclass(frozen=True)
class Hazard:
    """One portfolio's stepped Weibull hazard: shape k and η per patent and fee tier (n, J)."""

    shape: float
    eta: np.ndarray
    tiers: FeeTiers

    def cumulative(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """H(a, b) for ages a ≤ b; ``a`` (n,) or (n, m), ``b`` (n, m) or (n,).

        Through the cumulative hazard from age 0, ``H(a, b) = H₀(b) − H₀(a)`` with
        ``H₀(t) = C_j + w_j (t^k − s_j^k)`` for t in tier j (``w = exp η``, ``C_j`` the hazard of the
        tiers before j; tiers are contiguous from age 0, as ``FeeTiers.of`` builds them): one power
        per age instead of two per age and tier. Equal to
        :meth:`cumulative_by_tier` (the sum over tiers) to rounding (tests: 1e-12 relative).
        """
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        squeeze = b.ndim == 1
        if a.ndim == 1:
            a = a[:, None]
        if squeeze:
            b = b[:, None]
        total = np.maximum(self.from_birth(b) - self.from_birth(a), 0.0)
        return total[:, 0] if squeeze else total

    def from_birth(self, t: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """H₀(t) = H(0, t) for ages ``t`` (n,) or (n, m), row i at patent i's hazard (at patent
        ``rows[i]``'s when given)."""
        t = np.maximum(np.asarray(t, dtype=np.float64), 0.0)
        w, offset = self._prefix
        tiers = w.shape[1]
        rows = np.arange(t.shape[0]) if rows is None else rows
        column = (slice(None), None) if t.ndim == 2 else slice(None)
        by_year, kind = self.tiers.tier_by_year, self.tiers.kind
        if by_year is not None and kind is not None:  # tiers start at whole ages: the tier of t is that of ⌊t⌋
            table, years = by_year
            row_base = (kind.take(rows).astype(np.intp) * years)[column]
            tier = table.ravel().take(row_base + np.minimum(t, years - 1).astype(np.intp))
        else:
            start = self.tiers.start[rows]
            tier = np.zeros(t.shape, dtype=np.intp)
            for j in range(1, tiers):
                tier += t >= start[:, j][column]
        # One flat gather per array (row-major: row i's tiers at i·J … i·J + J − 1).
        tier += (rows * tiers)[column]
        return offset.ravel().take(tier) + w.ravel().take(tier) * np.power(t, self.shape)

    @cached_property
    def _prefix(self) -> tuple[np.ndarray, np.ndarray]:
        """(w, offset) per patent and tier: ``H₀(t) = offset_j + w_j t^k`` for t in tier j."""
        start, end, kind = self.tiers.start, self.tiers.end, self.tiers.kind
        if kind is not None and kind.size > 64:  # tiers depend on the type alone: powers per type
            codes = np.nonzero(np.bincount(kind))[0]
            first = np.array([np.argmax(kind == c) for c in codes.tolist()])
            table = np.zeros((int(codes.max()) + 1, 2, start.shape[1]))
            table[codes] = np.stack(self._powers(start[first], end[first]), axis=1)
            start_k, width = table[kind, 0], table[kind, 1]
        else:
            start_k, width = self._powers(start, end)
        with np.errstate(invalid="ignore", over="ignore"):
            w = np.exp(self.eta)
        w = np.where(np.isfinite(start) & ~np.isnan(w), w, 0.0)  # the sum over tiers ignores NaN parts
        before = np.zeros_like(w)
        np.cumsum((w * width)[:, :-1], axis=1, out=before[:, 1:])
        return w, before - w * start_k

    def _powers(self, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(s_j^k, e_j^k − s_j^k) per tier, 0 in padding tiers (start = end = inf) and as the width
        of the open last tier."""
        k = self.shape
        real = np.isfinite(start)
        start_k = np.where(real, np.power(np.where(real, start, 0.0), k), 0.0)
        closed = real & np.isfinite(end)
        return start_k, np.where(closed, np.power(np.where(closed, end, 0.0), k) - start_k, 0.0)

    def cumulative_by_tier(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """H(a, b) as the sum over tiers of the module docstring (the reference for ``cumulative``)."""
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        squeeze = b.ndim == 1
        if a.ndim == 1:
            a = a[:, None]
        if squeeze:
            b = b[:, None]
        start, end = self.tiers.start[:, None, :], self.tiers.end[:, None, :]
        k = self.shape
        lo = np.clip(np.maximum(a, 0.0)[:, :, None], start, end)
        hi = np.clip(np.maximum(b, 0.0)[:, :, None], start, end)
        with np.errstate(invalid="ignore"):  # inf − inf in zero-width padding tiers
            parts = np.exp(self.eta)[:, None, :] * (np.power(hi, k) - np.power(lo, k))
        total = np.nansum(np.where(hi > lo, parts, 0.0), axis=2)
        return total[:, 0] if squeeze else total

    def conditional_survival(self, age: np.ndarray, horizon: np.ndarray) -> np.ndarray:
        """P(alive at age + horizon | alive at age) (no legal-term cap); horizon (n,) or (n, m)."""
        age = np.asarray(age, dtype=np.float64)
        horizon = np.asarray(horizon, dtype=np.float64)
        end = (age[:, None] + horizon) if horizon.ndim == 2 else age + horizon
        return np.exp(-self.cumulative(age, end))

    def yearly_survival(self, age: np.ndarray, covered: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """(n, T) P(alive at age + t − 1 | alive at age), the survival at the start of year t, where
        ``covered`` (n, T) says year t is inside the patent's term, 0 elsewhere (those years carry
        no weight); row i at patent ``rows[i]``'s hazard. Every year is evaluated and the uncovered
        ones masked: about two thirds are covered, and gathering them costs more than the rest."""
        age = np.maximum(np.asarray(age, dtype=np.float64), 0.0)
        at_age = self.from_birth(age, rows)
        later = self.from_birth(age[:, None] + np.arange(covered.shape[1]), rows)
        return np.where(covered, np.exp(-np.maximum(later - at_age[:, None], 0.0)), 0.0)

    def take(self, rows: np.ndarray) -> Hazard:
        t = self.tiers
        tiers = FeeTiers(t.start[rows], t.end[rows], t.fee[rows], None if t.kind is None else t.kind[rows])
        if "tier_by_year" in t.__dict__:  # depends on the type codes present only: a superset's serves
            tiers.__dict__["tier_by_year"] = t.__dict__["tier_by_year"]
        taken = Hazard(self.shape, self.eta[rows], tiers)
        prefix = self.__dict__.get("_prefix")
        if prefix is not None:
            taken.__dict__["_prefix"] = (prefix[0][rows], prefix[1][rows])
        return taken

    def expected_remaining_life(self, age: np.ndarray, remaining: np.ndarray, chunk: int = 16384) -> np.ndarray:
        """E = ∫₀^R P(alive at a+s | alive at a) ds, R = remaining legal term (years); 0 where R ≤ 0.

        Exact per fee tier: the survival curve is smooth inside a tier and kinked at its ends, so E
        is the sum over the tiers [lo, hi] = [s_j, e_j] ∩ [a, a + R] of
        ``∫_lo^hi exp(H₀(a) − C_j' − w_j t^k) dt`` (``C_j' = C_j − w_j s_j^k``), each by
        :func:`tier_integral`. Rows run by fee-tier layout (one per patent type), in chunks that keep
        the (rows × nodes) arrays in cache; a tier crossed whole has the same nodes for every row of
        a layout, so their powers t^k are taken once.
        """
        remaining = np.maximum(np.asarray(remaining, dtype=np.float64), 0.0)
        age = np.maximum(np.asarray(age, dtype=np.float64), 0.0)
        result = np.zeros(remaining.shape)
        w_all, offset_all = self._prefix
        k = self.shape
        tasks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for rows, start, end in self._layouts(np.nonzero(remaining > 0)[0]):
            # per whole tier: the nodes' powers, and the fall of the curve w·(e^k − s^k) per unit w
            with np.errstate(invalid="ignore"):  # padding tiers: inf − inf
                whole = np.isfinite(end) & (start >= end - start)
            low, high = np.where(whole, start, 1.0), np.where(whole, end, 1.0)
            powers = np.power((low + high)[:, None] / 2 + ((high - low) / 2)[:, None] * _PIECE_NODES, k)
            spread = np.where(whole, np.power(high, k) - np.power(low, k), np.inf)
            tasks += [(rows[first : first + chunk], start, end, powers, spread) for first in range(0, rows.size, chunk)]

        def run(part: np.ndarray, start: np.ndarray, end: np.ndarray, powers: np.ndarray, spread: np.ndarray) -> None:
            a = age[part]
            b = a + remaining[part]
            w, offset = w_all[part], offset_all[part]
            h0 = self.from_birth(a, part)
            life = np.zeros(part.size)
            for j in np.nonzero(np.isfinite(start))[0].tolist():
                c = h0 - offset[:, j]
                crossed = (a <= start[j]) & (b >= end[j]) & (w[:, j] * spread[j] <= _PIECE_MAX_DROP)
                fast = np.nonzero(crossed)[0]
                if fast.size:
                    values = np.exp(c[fast, None] - w[fast, j, None] * powers[j])
                    life[fast] += ((end[j] - start[j]) / 2) * (values @ _PIECE_WEIGHTS)
                lo = np.maximum(a, start[j])
                hi = np.minimum(b, end[j])
                piece = np.nonzero((hi > lo) & ~crossed)[0]
                if piece.size:
                    life[piece] += tier_integral(lo[piece], hi[piece], w[piece, j], c[piece], k)
            result[part] = life

        for task in tasks:
            run(*task)
        return result

    def _layouts(self, rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``rows`` by fee-tier layout: (rows, tier starts (J,), tier ends (J,)) — one per patent type."""
        start, end, kind = self.tiers.start, self.tiers.end, self.tiers.kind
        if rows.size == 0:
            return []
        if kind is not None:
            codes = kind[rows]
            groups = [rows[codes == code] for code in np.nonzero(np.bincount(codes))[0].tolist()]
        else:
            _, inverse = np.unique(start[rows], axis=0, return_inverse=True)
            groups = [rows[inverse.ravel() == g] for g in range(int(inverse.max()) + 1)]
        return [(g, start[g[0]], end[g[0]]) for g in groups]


# Gauss–Legendre nodes for one tier piece, and when a piece is taken in closed form instead: near
# age 0 (t^k is not smooth at 0: the piece starts closer to 0 than its own width) or where the
# survival falls by more than e^-4 inside the piece. Elsewhere 8 nodes are exact to ~1e-12 years
# (the error bound of 8-node Gauss–Legendre for exp(−c (x + 1)) on [−1, 1], c ≤ 2: 2e-13).
_PIECE_NODES, _PIECE_WEIGHTS = np.polynomial.legendre.leggauss(8)
_PIECE_MAX_DROP = 4.0


def tier_integral(lo: np.ndarray, hi: np.ndarray, w: np.ndarray, c: np.ndarray, k: float) -> np.ndarray:
    """∫_lo^hi exp(c − w t^k) dt for 0 ≤ lo < hi, w > 0 (one fee tier of a patent, elementwise).

    Gauss–Legendre (8 nodes) where the integrand is smooth on the scale of the piece; else the
    closed form through the regularised incomplete gamma function (substitute u = w t^k)::

        ∫_lo^hi exp(−w t^k) dt = Γ(1/k) / (k w^(1/k)) · [P(1/k, w hi^k) − P(1/k, w lo^k)]

    with the upper function Q = 1 − P where w lo^k ≥ 1/k (no cancellation of two values near 1).
    """
    lo_k, hi_k = np.power(lo, k), np.power(hi, k)
    closed = (lo < hi - lo) | (w * (hi_k - lo_k) > _PIECE_MAX_DROP)
    out = np.empty(lo.shape)
    smooth = np.nonzero(~closed)[0]
    if smooth.size:
        mid = 0.5 * (lo[smooth] + hi[smooth])
        half = 0.5 * (hi[smooth] - lo[smooth])
        t = mid[:, None] + half[:, None] * _PIECE_NODES
        values = np.exp(c[smooth, None] - w[smooth, None] * np.power(t, k))
        out[smooth] = half * (values @ _PIECE_WEIGHTS)
    exact = np.nonzero(closed)[0]
    if exact.size:
        out[exact] = _tier_integral_closed(lo_k[exact], hi_k[exact], w[exact], c[exact], k)
    return out


def _tier_integral_closed(lo_k: np.ndarray, hi_k: np.ndarray, w: np.ndarray, c: np.ndarray, k: float) -> np.ndarray:
    """:func:`tier_integral` by the incomplete gamma function, given lo^k and hi^k."""
    shape = 1.0 / k
    x_lo, x_hi = w * lo_k, w * hi_k
    lower = x_lo < shape
    log_difference = np.empty(lo_k.shape)  # log of P(hi) − P(lo) = Q(lo) − Q(hi)
    p, q = np.nonzero(lower)[0], np.nonzero(~lower)[0]
    with np.errstate(divide="ignore"):
        log_difference[p] = np.log(special.gammainc(shape, x_hi[p]) - special.gammainc(shape, x_lo[p]))
        log_q_lo, log_q_hi = _log_upper_gamma(shape, x_lo[q]), _log_upper_gamma(shape, x_hi[q])
        log_difference[q] = log_q_lo + np.log1p(-np.exp(log_q_hi - log_q_lo))
    # In logarithms: exp(c) and Q may overflow and underflow where the piece is small but not 0.
    return np.exp(c + special.gammaln(shape) - np.log(k) - shape * np.log(w) + log_difference)


def _log_upper_gamma(a: float, x: np.ndarray) -> np.ndarray:
    """log Q(a, x), the regularised upper incomplete gamma function, for x ≥ a; past scipy's
    range (Q < 1e-300) by its continued fraction (Numerical Recipes §6.2, evaluated from the tail:
    it converges in a few terms for large x)."""
    q = special.gammaincc(a, x)
    out = np.empty(x.shape)
    fine = q > 1e-300
    with np.errstate(divide="ignore"):
        out[fine] = np.log(q[fine])
    far = x[~fine]
    if far.size:
        # Γ(a, x) = e^(−x) x^a / (x + 1 − a − 1(1 − a)/(x + 3 − a − 2(2 − a)/(x + 5 − a − …)))
        fraction = np.zeros(far.shape)
        for i in range(40, 0, -1):
            fraction = i * (i - a) / (far + 2 * i + 1 - a - fraction)
        out[~fine] = -far + a * np.log(far) - special.gammaln(a) - np.log(far + 1 - a - fraction)
    return out


@dataclass(frozen=True)
class SurvivalModel:
    """Fitted or reference Weibull PH parameters (see module docstring for the formulas).

    ``shape`` = k, ``scale_years`` = λ at x = 0 (b₀ = −k log λ), ``coefficients`` = β by covariate
    name (covariates not listed count 0). ``source`` is "fitted" or "reference"; ``n`` /
    ``events`` are the patents and lapses the fit used (0 for the shipped reference).
    """

    shape: float
    scale_years: float
    coefficients: dict[str, float]
    source: str
    version: str
    n: int = 0
    events: int = 0
    as_of: date | None = None
    log_likelihood: float | None = None
    standard_errors: dict[str, float] = field(default_factory=dict)
    converged: bool = True

    @property
    def covariates(self) -> list[str]:
        return list(self.coefficients)

    @property
    def intercept(self) -> float:
        """b₀ = −k log λ."""
        return -self.shape * np.log(self.scale_years)

    def linear_predictor(self, covariates: dict[str, np.ndarray], n: int) -> np.ndarray:
        """η = b₀ + xβ as an (n, J) array per fee tier, or (n, 1) when no covariate varies by tier."""
        eta = np.full((n, 1), self.intercept)
        for name, beta in self.coefficients.items():
            if beta != 0.0:
                x = np.asarray(covariates[name], dtype=np.float64)
                eta = eta + beta * (x if x.ndim == 2 else x[:, None])
        return eta

    def hazard(self, covariates: dict[str, np.ndarray], tiers: FeeTiers) -> Hazard:
        """The portfolio's hazard: η per patent and fee tier."""
        eta = self.linear_predictor(covariates, tiers.start.shape[0])
        return Hazard(self.shape, np.broadcast_to(eta, tiers.start.shape), tiers)

    def survival(self, age: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """S(t | x) at ``age`` years since filing, for a patent with one η (no tier steps)."""
        return np.exp(-np.power(np.maximum(age, 0.0), self.shape) * np.exp(eta))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe parameters (for the service's survival_fits table)."""
        return {
            "model": "weibull_ph_tiers",
            "shape": float(self.shape),
            "scale_years": float(self.scale_years),
            "coefficients": {k: float(v) for k, v in self.coefficients.items()},
            "standard_errors": {k: float(v) for k, v in self.standard_errors.items()},
            "source": self.source,
            "version": self.version,
            "n": int(self.n),
            "events": int(self.events),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "log_likelihood": None if self.log_likelihood is None else float(self.log_likelihood),
            "converged": bool(self.converged),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SurvivalModel:
        if data.get("model", "weibull_ph_tiers") != "weibull_ph_tiers":
            raise ValueError(f"unsupported survival model {data.get('model')!r}")
        return cls(
            shape=float(data["shape"]),
            scale_years=float(data["scale_years"]),
            coefficients={k: float(v) for k, v in data["coefficients"].items()},
            source=str(data["source"]),
            version=str(data["version"]),
            n=int(data.get("n", 0)),
            events=int(data.get("events", 0)),
            as_of=date.fromisoformat(data["as_of"]) if data.get("as_of") else None,
            log_likelihood=data.get("log_likelihood"),
            standard_errors={k: float(v) for k, v in data.get("standard_errors", {}).items()},
            converged=bool(data.get("converged", True)),
        )


def default_model(params: Params | None = None) -> SurvivalModel:
    """The shipped reference model of ``params/reference.toml``."""
    params = params or load_params()
    shipped = params.reference["survival"]
    names = params.survival["covariates"]
    return SurvivalModel(
        shape=float(shipped["shape"]),
        scale_years=float(shipped["scale_years"]),
        coefficients={name: float(shipped["coefficients"].get(name, 0.0)) for name in names},
        source="reference",
        version=str(params.reference["version"]),
        n=int(shipped.get("n", 0)),
        events=int(shipped.get("events", 0)),
    )


def expected_royalty(portfolio: Portfolio, params: Params) -> np.ndarray:
    """Revenue × the industry's modal royalty share × the patent's contribution (yuan/year; NaN unknown)."""
    group, ranges, _ = royalty_ranges(portfolio.ipc_codes, params)
    revenue = np.where(portfolio.revenue > 0, portfolio.revenue, np.nan)
    return revenue * ranges[group, 1] * float(params.royalty["patent_contribution"])


def covariate_columns(
    portfolio: Portfolio,
    citation_pct: np.ndarray,
    params: Params,
    cluster: np.ndarray | None = None,
    tiers: FeeTiers | None = None,
    rows: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The model's covariates (fixed transformations; unknown counts as the conservative value).

    Per patent: citation_pct: cohort percentile (0..1); log_claims: log(1 + claims), unknown → 0
    claims; log_family: log(family size), unknown → 1; granted_abroad: 0/1, unknown → 0;
    commercialization: stage/3, unknown → none; utility_model, design: type indicators;
    cluster_*: county industry cluster derived from the IPC (other = baseline); revenue_known.
    Per patent and fee tier (n, J): log_fee: log of the tier's full fee; renewal_margin:
    log(expected royalty / fee) clipped to ±8 where revenue is known, else 0.

    ``rows``: only these patents (``tiers`` then holds theirs), e.g. the living ones the engine
    predicts for.
    """
    if cluster is None:
        cluster = industry_cluster(portfolio, params)

    def pick(column: np.ndarray) -> np.ndarray:
        return column if rows is None else column[rows]

    kind = pick(portfolio.kind)
    if tiers is None:
        tiers = FeeTiers.of(kind, params)
    royalty = pick(expected_royalty(portfolio, params))
    known = np.isfinite(royalty)
    margin = np.where(
        known[:, None],
        np.clip(np.log(np.where(known, royalty, 1.0)[:, None] / tiers.fee), -_MARGIN_BOUND, _MARGIN_BOUND),
        0.0,
    )
    cluster = pick(cluster)
    return {
        "citation_pct": pick(citation_pct),
        "log_claims": np.log1p(filled(pick(portfolio.claims), 0.0)),
        "log_family": np.log(np.maximum(filled(pick(portfolio.family_size), 1.0), 1.0)),
        "granted_abroad": pick(portfolio.granted_abroad).astype(np.float64),
        "commercialization": np.maximum(pick(portfolio.commercialization), 0).astype(np.float64) / 3.0,
        "utility_model": (kind == UTILITY_MODEL).astype(np.float64),
        "design": (kind == DESIGN).astype(np.float64),
        "cluster_energy_electronics": (cluster == "energy_electronics").astype(np.float64),
        "cluster_equipment_manufacturing": (cluster == "equipment_manufacturing").astype(np.float64),
        "cluster_green_consumer": (cluster == "green_consumer").astype(np.float64),
        "revenue_known": known.astype(np.float64),
        "log_fee": np.log(tiers.fee),
        "renewal_margin": margin,
    }


@dataclass(frozen=True)
class SurvivalData:
    """Rows that enter the fit: entry (grant age), exit age, event flag, and the row index."""

    index: np.ndarray
    entry: np.ndarray
    exit: np.ndarray
    event: np.ndarray


def lapse_dates(portfolio: Portfolio, as_of: np.datetime64) -> np.ndarray:
    """When each lapsed patent ended: the due date of its first unpaid fee, else the recorded
    lapse date, else the midpoint of grant and ``as_of``; never after ``as_of`` (NaT elsewhere)."""
    paid = portfolio.fees_paid_through
    due = np.where(np.isfinite(paid) & (paid >= 1), add_years(portfolio.filing, filled(paid, 0.0)), NAT)
    midpoint = portfolio.grant + np.subtract(as_of, portfolio.grant) // 2
    when = np.where(~np.isnat(due), due, np.where(~np.isnat(portfolio.lapse), portfolio.lapse, midpoint))
    return np.where(portfolio.status == LAPSED, np.minimum(when, as_of), NAT)


def survival_data(portfolio: Portfolio, as_of: date, params: Params) -> SurvivalData:
    """Left-truncated, right-censored maintenance data at ``as_of`` (see module docstring)."""
    as_of64 = np.datetime64(as_of, "D")
    params = params.at(as_of64)
    filing = portfolio.filing
    granted = ~np.isnat(portfolio.grant) & (portfolio.grant <= as_of64)
    expiry = expiry_dates(portfolio.kind, filing, portfolio.term_compensation_days, params, grant=portfolio.grant)
    status = portfolio.status
    fees = fee_status(portfolio.kind, filing, portfolio.fees_paid_through, granted & (status == VALID), as_of64, params)

    def age(when: np.ndarray) -> np.ndarray:
        return (when - filing).astype(np.float64) / YEAR

    lapsed = (status == LAPSED) & granted
    exit_date = np.where(lapsed, lapse_dates(portfolio, as_of64), as_of64)
    exit_date = np.where(status == VALID, np.minimum(as_of64, expiry + np.timedelta64(1, "D")), exit_date)
    exit_date = np.where(fees.past_grace, fees.next_due, exit_date)
    exit_date = np.where(status == EXPIRED, expiry + np.timedelta64(1, "D"), exit_date)
    event = lapsed | fees.past_grace
    use = granted & ((status == VALID) | (status == EXPIRED) | lapsed)
    entry_age = age(np.where(granted, portfolio.grant, filing))
    # A lapse dated on the grant day (fees never paid after grant) still counts: one day at risk.
    exit_age = np.where(event, np.maximum(age(exit_date), entry_age + 1.0 / YEAR), age(exit_date))
    use &= exit_age > entry_age + 1e-6
    index = np.nonzero(use)[0]
    return SurvivalData(
        index=index, entry=entry_age[index], exit=exit_age[index], event=event[index].astype(np.float64)
    )


def split_at_tiers(
    data: SurvivalData, tiers: FeeTiers
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Episodes (row of ``data``, tier, entry, exit, event): each patent's time at risk cut at its
    fee-tier boundaries; the event, if any, falls in the last episode."""
    start = tiers.start[data.index]
    end = tiers.end[data.index]
    lo = np.maximum(data.entry[:, None], start)
    hi = np.minimum(data.exit[:, None], end)
    keep = hi > lo + 1e-9
    rows, tier = np.nonzero(keep)
    last = data.exit[rows] <= end[rows, tier]
    return rows, tier, lo[rows, tier], hi[rows, tier], data.event[rows] * last


def _negative_loglik(
    theta: np.ndarray,
    X: np.ndarray,
    entry: np.ndarray,
    exit: np.ndarray,
    event: np.ndarray,
    log_exit: np.ndarray,
    log_entry: np.ndarray,
    ridge: float,
) -> tuple[float, np.ndarray]:
    """−ℓ(θ)/n + penalty and its gradient; θ = (log k, b₀, β) on standardised covariates."""
    n = exit.shape[0]
    log_k, b0, beta = theta[0], theta[1], theta[2:]
    k = np.exp(log_k)
    # einsum, not BLAS: these products are small, and waking BLAS worker threads for them costs
    # more than the arithmetic (notably on two-core machines).
    eta = b0 + np.einsum("ij,j->i", X, beta) if beta.size else np.full(n, b0)
    e_eta = np.exp(eta)
    h_exit = np.exp(k * log_exit) * e_eta
    h_entry = np.where(entry > 0, np.exp(k * log_entry) * e_eta, 0.0)
    loglik = np.sum(event * (log_k + (k - 1.0) * log_exit + eta) - h_exit + h_entry)
    d_eta = event - h_exit + h_entry
    d_k = np.sum(event * log_exit - h_exit * log_exit + h_entry * log_entry)
    grad = np.empty_like(theta)
    grad[0] = event.sum() + k * d_k
    grad[1] = d_eta.sum()
    if beta.size:
        grad[2:] = np.einsum("ij,i->j", X, d_eta)
    value = -loglik / n + 0.5 * ridge * float(beta @ beta) / n
    gradient = -grad / n
    gradient[2:] += ridge * beta / n
    return value, gradient


_EPISODES_AT_ONCE = 1536  # p × p × 1,536 ≤ 262,144 (one OpenBLAS thread) for up to p = 13 covariates, the model's


def _negative_loglik_hessian(
    theta: np.ndarray,
    XT: np.ndarray,
    entry: np.ndarray,
    exit: np.ndarray,
    event: np.ndarray,
    log_exit: np.ndarray,
    log_entry: np.ndarray,
    ridge: float,
) -> tuple[float, np.ndarray, np.ndarray]:
    """−ℓ(θ)/n + penalty, its gradient and its Hessian; θ = (log k, b₀, β) as in ``_negative_loglik``,
    the covariates transposed (``XT``: (p, n), each covariate contiguous).

    With A = exp(η) t^k (the cumulative hazard to the exit), B = exp(η) a^k (to the entry),
    L = log t, M = log a and x̃ = (1, x) (k = e^ρ, ρ = log k, η = x̃·(b₀, β)), each episode's
    ℓ = d(ρ + (k−1)L + η) − A + B has ∂²ℓ/∂η² = −(A − B), ∂²ℓ/∂ρ∂η = −k(AL − BM) and
    ∂²ℓ/∂ρ² = k(dL − AL + BM) − k²(AL² − BM²). The tests hold it to central differences of the
    analytic gradient.
    """
    n = exit.shape[0]
    log_k, b0, beta = theta[0], theta[1], theta[2:]
    k = np.exp(log_k)
    eta = b0 + np.einsum("jn,j->n", XT, beta) if beta.size else np.full(n, b0)  # einsum: see below
    e_eta = np.exp(eta)
    h_exit = np.exp(k * log_exit) * e_eta
    h_entry = np.where(entry > 0, np.exp(k * log_entry) * e_eta, 0.0)
    loglik = np.sum(event * (log_k + (k - 1.0) * log_exit + eta) - h_exit + h_entry)
    a_l, b_m = h_exit * log_exit, h_entry * log_entry
    d_k = np.sum(event * log_exit - a_l + b_m)
    # Per episode: ∂ℓ/∂η, −∂²ℓ/∂ρ∂η and −∂²ℓ/∂η² (≥ 0: t > a), as the columns of one product with x.
    per_episode = np.empty((3, n))
    np.add(event - h_exit, h_entry, out=per_episode[0])
    np.multiply(a_l - b_m, k, out=per_episode[1])
    np.subtract(h_exit, h_entry, out=per_episode[2])
    p = theta.size
    grad = np.empty(p)
    hessian = np.empty((p, p))
    grad[0] = event.sum() + k * d_k
    grad[1], hessian[0, 1], hessian[1, 1] = per_episode.sum(axis=1)
    hessian[1, 0] = hessian[0, 1]
    hessian[0, 0] = -(k * d_k - k * k * np.sum(a_l * log_exit - b_m * log_entry))
    if beta.size:
        # Σ c x xᵀ as Σ w wᵀ with w = x √c (c ≥ 0: exp and log are monotone, so A ≥ B in floating
        # point too), by slices of episodes: each product small enough that OpenBLAS keeps it on
        # one thread (m·n·k ≤ 262,144) — waking its threads made the fit 2× slower on 2 shared
        # cores — and each slice's w in cache.
        root = np.sqrt(per_episode[2])
        by_covariate = np.zeros((beta.size, 3))
        inner = np.zeros((beta.size, beta.size))
        for first in range(0, n, _EPISODES_AT_ONCE):
            x = XT[:, first : first + _EPISODES_AT_ONCE]
            by_covariate += x @ per_episode[:, first : first + _EPISODES_AT_ONCE].T
            w = x * root[first : first + _EPISODES_AT_ONCE]
            inner += w @ w.T
        grad[2:] = by_covariate[:, 0]
        hessian[0, 2:] = hessian[2:, 0] = by_covariate[:, 1]
        hessian[1, 2:] = hessian[2:, 1] = by_covariate[:, 2]
        hessian[2:, 2:] = inner
    value = -loglik / n + 0.5 * ridge * float(beta @ beta) / n
    gradient = -grad / n
    gradient[2:] += ridge * beta / n
    hessian /= n
    hessian[2:, 2:] += np.eye(beta.size) * (ridge / n)
    return value, gradient, hessian


def _newton_step(gradient: np.ndarray, hessian: np.ndarray) -> np.ndarray | None:
    """s solving (H + μI) s = −g, μ ≥ 0 the least shift (0, then 1e-8·max|Hᵢᵢ|, doubling) that makes
    the matrix positive definite; None when no reasonable shift does."""
    shift = 0.0
    while shift <= 1e12:
        try:
            factor = np.linalg.cholesky(hessian + shift * np.eye(gradient.size))
        except np.linalg.LinAlgError:
            shift = max(2.0 * shift, 1e-8 * max(1.0, float(np.max(np.abs(np.diag(hessian))))))
            continue
        return -np.linalg.solve(factor.T, np.linalg.solve(factor, gradient))
    return None


def _newton(
    theta: np.ndarray, args: tuple[Any, ...], *, tolerance: float = 1e-10, max_iterations: int = 100
) -> tuple[np.ndarray, bool]:
    """Minimise ``_negative_loglik_hessian`` from ``theta`` by Newton's method: the step of
    ``_newton_step``, halved until the value decreases enough (Armijo). Converged when the largest
    gradient component is ≤ ``tolerance`` (the L-BFGS-B criterion it replaces; the tests check
    the optimum with a generic minimiser); (θ, False) when it does not get there."""
    value, gradient, hessian = _negative_loglik_hessian(theta, *args)
    for _ in range(max_iterations):
        finite = np.isfinite(value) and np.all(np.isfinite(gradient)) and np.all(np.isfinite(hessian))
        if not finite or np.max(np.abs(gradient)) <= tolerance:
            return theta, bool(finite)
        step = _newton_step(gradient, hessian)
        if step is None:
            return theta, False
        slope, size = float(gradient @ step), 1.0
        while True:
            trial = theta + size * step
            trial_value, trial_gradient, trial_hessian = _negative_loglik_hessian(trial, *args)
            if np.isfinite(trial_value) and (
                trial_value <= value + 1e-4 * size * slope  # Armijo
                or (trial_value <= value + 1e-12 * abs(value) and np.max(np.abs(trial_gradient)) <= tolerance)
            ):
                break
            size *= 0.5
            if size < 1e-10:  # no decrease along a descent direction: optimal to rounding, or stuck
                return theta, bool(np.max(np.abs(gradient)) <= 1e3 * tolerance)
        theta, value, gradient, hessian = trial, trial_value, trial_gradient, trial_hessian
    return theta, False


def fit_weibull_ph(
    entry: np.ndarray, exit: np.ndarray, event: np.ndarray, X: np.ndarray | None = None, *, ridge: float = 0.0
) -> dict[str, Any]:
    """Maximum-likelihood Weibull PH fit with left truncation (entry) and right censoring.

    Parameters
    ----------
    entry, exit : ages in years (0 ≤ entry < exit); entry = 0 means no truncation.
    event : 1 where the exit is a lapse, 0 where censored.
    X : (n, p) covariates on their natural scale (standardised internally; a constant column
        gets coefficient 0).
    ridge : penalty ``ridge/2 · Σβ'²`` on standardised coefficients (0 = plain MLE).

    Returns ``shape`` k, ``scale_years`` λ, ``intercept`` b₀, ``coefficients`` β (natural
    scale), ``standard_errors`` (of log k, b₀ and β, from the observed information),
    ``log_likelihood``, ``converged``.
    """
    entry = np.asarray(entry, dtype=np.float64)
    exit = np.asarray(exit, dtype=np.float64)
    event = np.asarray(event, dtype=np.float64)
    n = exit.shape[0]
    X = np.zeros((n, 0)) if X is None else np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0) if n else np.zeros(X.shape[1])
    sd = X.std(axis=0) if n else np.ones(X.shape[1])
    active = sd > 1e-12
    # Standardised, one covariate per contiguous row (the Hessian's products read them in turn).
    ZT = np.ascontiguousarray((X[:, active] - mean[active]).T)
    ZT /= sd[active][:, None]
    Z = ZT.T
    log_exit = np.log(exit)
    log_entry = np.log(np.where(entry > 0, entry, 1.0))
    events = max(event.sum(), 1.0)
    exposure = max(np.sum(exit - entry), 1e-9)
    theta0 = np.zeros(2 + Z.shape[1])
    theta0[0] = np.log(1.5)
    theta0[1] = np.log(events / np.sum(exit**1.5 - entry**1.5)) if exposure > 0 else 0.0
    args = (Z, entry, exit, event, log_exit, log_entry, ridge)
    theta, converged = _newton(theta0, (ZT, *args[1:]))
    if not converged:  # Newton did not settle (a flat or odd likelihood): the quasi-Newton search
        result = optimize.minimize(
            _negative_loglik,
            theta0,
            args=args,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 2000, "gtol": 1e-10, "ftol": 1e-14},
        )
        theta, converged = result.x, bool(result.success)
    # Observed information: the analytic Hessian of the unpenalised log-likelihood, ×n.
    value, _, hessian = _negative_loglik_hessian(theta, ZT, *args[1:-1], 0.0)
    hessian = hessian * n
    try:
        cov_std = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        cov_std = np.full_like(hessian, np.nan)
    k = float(np.exp(theta[0]))
    beta = np.zeros(X.shape[1])
    beta[active] = theta[2:] / sd[active]
    b0 = float(theta[1] - np.sum(theta[2:] * mean[active] / sd[active]))
    # Delta method to the natural scale: b₀ = b₀' − Σ β'ⱼ mⱼ/sⱼ, βⱼ = β'ⱼ/sⱼ.
    jac = np.zeros((2 + X.shape[1], theta.size))
    jac[0, 0] = 1.0
    jac[1, 1] = 1.0
    jac[1, 2:] = -mean[active] / sd[active]
    jac[2 + np.nonzero(active)[0], 2 + np.arange(active.sum())] = 1.0 / sd[active]
    cov = np.einsum("ij,jk,lk->il", jac, cov_std, jac)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    loglik = -value * n
    return {
        "shape": k,
        "scale_years": float(np.exp(-b0 / k)),
        "intercept": b0,
        "coefficients": beta,
        "standard_errors": {"log_shape": float(se[0]), "intercept": float(se[1]), "coefficients": se[2:]},
        "covariance": cov,
        "log_likelihood": float(loglik),
        "converged": converged,
    }


def kept_exactly(fit: dict[str, Any]) -> bool:
    """Whether a fit of ``fit_weibull_ph`` survives being kept as the model keeps it — (shape k,
    scale λ at x = 0, β), b₀ = −k log λ: λ = exp(−b₀/k) overflows or underflows to 0 where b₀/k
    is past floating point, as when the likelihood's maximum lies at the boundary k → 0 (a hazard
    falling as 1/age: seen on a small county's 567 patents, k = 5e-8); such a model predicts NaN."""
    shape, scale = fit["shape"], fit["scale_years"]
    if not (0.0 < shape < np.inf and 0.0 < scale < np.inf):
        return False
    return bool(np.isclose(-shape * np.log(scale), fit["intercept"], rtol=1e-9, atol=1e-12))


def fit_survival(
    portfolio: Portfolio,
    as_of: date,
    *,
    params: Params | None = None,
    citation_pct: np.ndarray | None = None,
    data: SurvivalData | None = None,
) -> SurvivalModel:
    """Fit the maintenance model on ``portfolio`` as of ``as_of``, or return the shipped reference.

    Refits when the data have at least ``survival.min_events`` lapses and
    ``survival.min_patents`` patents; otherwise (or if the optimiser fails, or its optimum cannot
    be kept: ``kept_exactly``) returns :func:`default_model` — check ``.source``. ``citation_pct``
    defaults to the percentiles against the shipped citation reference; ``data`` to
    ``survival_data(portfolio, as_of, params)`` (a caller that has it already passes it).
    """
    params = (params or load_params()).at(as_of)
    config = params.survival
    data = survival_data(portfolio, as_of, params) if data is None else data
    n, events = int(data.index.size), int(data.event.sum())
    if events < int(config["min_events"]) or n < int(config["min_patents"]):
        return default_model(params)
    if citation_pct is None:
        from valuation.citations import CitationReference, citation_percentiles

        citation_pct = citation_percentiles(portfolio, as_of, CitationReference.shipped(params))
    names = list(config["covariates"])
    columns = covariate_columns(portfolio, citation_pct, params)
    rows, tier, entry, exit, event = split_at_tiers(data, FeeTiers.of(portfolio.kind, params))
    patient = data.index[rows]
    X = (
        np.column_stack(
            [columns[name][patient, tier] if name in TIER_COVARIATES else columns[name][patient] for name in names]
        )
        if names
        else None
    )
    with np.errstate(over="ignore"):
        fit = fit_weibull_ph(entry, exit, event, X, ridge=float(config["ridge"]))
    if not fit["converged"] or not np.isfinite(fit["log_likelihood"]) or not kept_exactly(fit):
        return default_model(params)
    coefficients = {name: float(b) for name, b in zip(names, fit["coefficients"], strict=True)}
    se = {"log_shape": fit["standard_errors"]["log_shape"], "intercept": fit["standard_errors"]["intercept"]}
    se.update({name: float(s) for name, s in zip(names, fit["standard_errors"]["coefficients"], strict=True)})
    digest = hashlib.sha256(
        json.dumps([fit["shape"], fit["scale_years"], coefficients, n, events], sort_keys=True).encode()
    ).hexdigest()[:8]
    return SurvivalModel(
        shape=fit["shape"],
        scale_years=fit["scale_years"],
        coefficients=coefficients,
        source="fitted",
        version=f"wph-f-{digest}",
        n=n,
        events=events,
        as_of=as_of,
        log_likelihood=fit["log_likelihood"],
        standard_errors=se,
        converged=fit["converged"],
    )


__all__ = [
    "FeeTiers",
    "Hazard",
    "SurvivalData",
    "SurvivalModel",
    "covariate_columns",
    "default_model",
    "expected_royalty",
    "fit_survival",
    "fit_weibull_ph",
    "kept_exactly",
    "lapse_dates",
    "split_at_tiers",
    "survival_data",
]
