"""Will a target be reached by its deadline? A compound Poisson projection of target progress.

Pure numerics (numpy, scipy): no database, no web framework. The targets API turns rows into
``(registration date, amount in fen)`` pairs and calls :func:`project_to_deadline`, or
:func:`project_count_to_deadline` for count targets (certified enterprises), and
:func:`monthly_series` for the chart.

Model
-----
Registrations in the window form a compound Poisson process::

    total at deadline = achieved + S,    S = X_1 + … + X_N,
    N | λ ~ Poisson(λ·t),                t = days of the window after ``as_of``,
    λ | history ~ Gamma(a₀ + n, b₀ + T)  (shape, rate per day),
    X_i iid sizes, independent of N.

*Arrivals.* λ (registrations per day) is homogeneous over the window. Its maximum-likelihood
estimate is n / T (n registrations in T days of exposure). Parameter uncertainty is carried
through the conjugate Gamma posterior; the default prior is Jeffreys' prior for a Poisson rate,
π(λ) ∝ λ^(-1/2), i.e. Gamma(0.5, 0) (improper; proper as soon as T > 0). Integrating λ out,
N is negative binomial: N ~ NB(r = a₀ + n, p = (b₀ + T) / (b₀ + T + t)) (scipy's ``nbinom``),
with mean (a₀ + n)·t / (b₀ + T). Reference: Gelman et al., *Bayesian Data Analysis*, 3rd ed.,
§2.6 (Poisson model, Gamma prior, negative binomial predictive).

*Sizes.* With n ≥ :data:`MIN_EVENTS_FOR_LOGNORMAL` registrations, sizes are lognormal with
μ̂ = mean(ln x), σ̂ = MLE sd of ln x (ddof = 0). Parameter uncertainty is carried by drawing, for
each simulated future, (μ, σ²) from the parametric-bootstrap sampling distribution of the
estimates: μ = μ̂ + s·Z/√n, σ² = s²·χ²_{n−1}/(n−1), with s² the unbiased variance of ln x. (The
Bayesian posterior σ² ~ (n−1)s²/χ²_{n−1} would give sizes with an infinite mean; the bootstrap
keeps every moment finite.) With 1 ≤ n < 5 registrations, future sizes are resampled from the
observed amounts (empirical bootstrap, size uncertainty understated; a warning says so). With no
registration, a caller-supplied ``size_prior`` is used, or no projection is made.

*Probability.* P(achieved + S ≥ target) is estimated by ``draws`` seeded Monte Carlo futures,
all drawn at once (numpy ``Generator``; no Python loop per draw). As a cross-check the same
probability is computed by the mixture over counts,
P = Σ_n P(N = n) · P(X_1 + … + X_n ≥ remaining), with the negative binomial (or Poisson, for a
known rate) P(N = n) exact and P(S_n ≥ r) by the Fenton–Wilkinson approximation: S_n taken as
lognormal with the exact mean n·m and variance n·v of the sum (Fenton 1960, IRE Trans. Commun.
Syst. 8(1):57–67), averaged over the size parameters' spread by quadrature (no random draws).
For fixed sizes (count targets) v = 0 and the cross-check is exact: P = P(N ≥ ⌈remaining /
size⌉). Fenton–Wilkinson is rough in the tails when σ is large, so the two are expected to agree
within 4 Monte Carlo standard errors + 0.03; ``model["cross_check"]`` reports both and a
warning is added when they do not. The expected total is exact: achieved + E[λ]·t·E[X].

Time: days, a day observed whole (a registration dated ``as_of`` is achieved), months of
365.25 / 12 days. Money: integer fen in and out; simulated sums are floats internally.

Example
-------
>>> from datetime import date
>>> events = [(date(2024, 1, 10), 50_000_000), (date(2024, 3, 2), 80_000_000)]
>>> p = project_to_deadline(events, date(2024, 1, 1), date(2024, 6, 30), date(2024, 12, 31),
...                         400_000_000, draws=2000)
>>> p.status, p.achieved, p.remaining
('projected', 130000000, 270000000)
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
from scipy import special, stats

MODEL_NAME = "compound_poisson"
DAYS_PER_MONTH = 365.25 / 12
# Below this many observed amounts a lognormal fit (two parameters) is not trusted; sizes are
# resampled from the observed amounts instead.
MIN_EVENTS_FOR_LOGNORMAL = 5
DEFAULT_DRAWS = 20_000
# Memory bound for one batch of simulated sizes (8 bytes each); futures are simulated in
# batches of draws so that no batch holds more sizes than this.
_MAX_SIZES_PER_BATCH = 4_000_000
# Cross-check: sum the count mixture over the counts between the _COUNT_TAIL quantiles (the
# mass left out is at most 2 × _COUNT_TAIL), and give up (method "none") beyond
# _CROSS_CHECK_MAX_COUNT counts.
_COUNT_TAIL = 1e-10
_CROSS_CHECK_MAX_COUNT = 5_000
# ... and integrate over the size parameters with this many nodes for μ and for σ².
_MU_NODES = 12
_SIGMA2_NODES = 16
# Fenton–Wilkinson is an approximation whose error grows with the spread of sizes (about 0.02
# at σ_log = 1.5 with ~20 events); the cross-check is flagged when it and the Monte Carlo
# differ by more than 4 Monte Carlo standard errors plus this much.
_FW_TOLERANCE = 0.03

Unit = Literal["fen", "count"]
Status = Literal["projected", "reached", "final", "unavailable"]


# --------------------------------------------------------------------------------------------
# Model inputs a caller may supply


@dataclass(frozen=True)
class RatePrior:
    """Gamma(shape, rate_days) prior on λ, the arrival rate in registrations per day.

    ``rate_days`` acts as prior exposure in days and ``shape`` as prior events (plus ½). The
    default, shape ½ and rate 0, is Jeffreys' prior π(λ) ∝ λ^(-1/2): improper, so a projection
    before any exposure (``as_of`` before the window opens) needs a proper prior, e.g.
    ``RatePrior(shape=2.5, rate_days=60)`` for "about 2 registrations per 60 days, weakly".
    """

    shape: float = 0.5
    rate_days: float = 0.0

    def __post_init__(self) -> None:
        if not (self.shape > 0 and self.rate_days >= 0):
            raise ValueError("RatePrior needs shape > 0 and rate_days ≥ 0")

    @property
    def proper(self) -> bool:
        return self.rate_days > 0

    def describe(self) -> dict[str, Any]:
        name = "jeffreys" if (self.shape == 0.5 and self.rate_days == 0) else "gamma"
        return {
            "family": "gamma",
            "name": name,
            "shape": float(self.shape),
            "rate_days": float(self.rate_days),
            "proper": self.proper,
        }


JEFFREYS = RatePrior()


@dataclass(frozen=True)
class LognormalSizes:
    """Sizes X with ln X ~ Normal(mu, sigma²); X in the target's unit (fen)."""

    mu: float
    sigma: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mu) and self.sigma >= 0):
            raise ValueError("LognormalSizes needs a finite mu and sigma ≥ 0")

    @classmethod
    def from_median(cls, median: float, sigma: float) -> LognormalSizes:
        return cls(mu=math.log(median), sigma=sigma)

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    def describe(self) -> dict[str, Any]:
        return {
            "distribution": "lognormal",
            "mu_log": float(self.mu),
            "sigma_log": float(self.sigma),
            "median": float(math.exp(self.mu)),
            "mean": self.mean,
        }


@dataclass(frozen=True)
class EmpiricalSizes:
    """Sizes resampled with replacement from observed amounts."""

    amounts: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.amounts or min(self.amounts) <= 0:
            raise ValueError("EmpiricalSizes needs at least one positive amount")

    @property
    def mean(self) -> float:
        return float(np.mean(self.amounts))

    def describe(self) -> dict[str, Any]:
        return {"distribution": "empirical", "amounts": [int(a) for a in self.amounts], "mean": self.mean}


@dataclass(frozen=True)
class FixedSize:
    """Every event adds the same amount (1 for count targets)."""

    amount: int = 1

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("FixedSize needs a positive amount")

    @property
    def mean(self) -> float:
        return float(self.amount)

    def describe(self) -> dict[str, Any]:
        return {"distribution": "fixed", "amount": int(self.amount), "mean": float(self.amount)}


SizeModel = LognormalSizes | EmpiricalSizes | FixedSize


@dataclass(frozen=True)
class KnownProcess:
    """Known parameters, bypassing the fit (for tests and what-if questions)."""

    rate_per_day: float
    sizes: SizeModel

    def __post_init__(self) -> None:
        if not (self.rate_per_day >= 0 and math.isfinite(self.rate_per_day)):
            raise ValueError("KnownProcess needs a finite rate_per_day ≥ 0")


# --------------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True)
class Projection:
    """Progress of one target and its projection to the deadline.

    ``unit`` is ``"fen"`` for amount targets (every amount field is integer fen) and
    ``"count"`` for count targets. ``probability`` is P(total at deadline ≥ target); for a
    closed window (``status == "final"``) it is 1.0 or 0.0; it is None when no projection can
    be made (``status == "unavailable"``; ``warnings`` say why). ``total_p10/p50/p90`` are
    quantiles of the projected total at the deadline. ``rate_per_month`` is the actual run-rate
    (achieved per month of exposure), ``required_rate_per_month`` the rate needed over the days
    left. ``model`` states the model, its fitted parameters, prior, assumptions and inputs.
    """

    unit: Unit
    status: Status
    achieved: int
    target: int
    remaining: int
    days_left: int
    probability: float | None
    expected_total: int | float | None
    total_p10: int | None
    total_p50: int | None
    total_p90: int | None
    rate_per_month: int | float | None
    required_rate_per_month: int | float | None
    model: dict[str, Any]
    warnings: tuple[dict[str, str], ...] = ()

    @property
    def share(self) -> float:
        """Share of the target achieved (may exceed 1)."""
        return self.achieved / self.target

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (plain ints, floats, strings, lists and dicts)."""
        out = asdict(self)
        out["share"] = self.share
        out["warnings"] = [dict(w) for w in self.warnings]
        out["model"] = copy.deepcopy(self.model)
        return out


# --------------------------------------------------------------------------------------------
# Public API


def project_to_deadline(
    events: Sequence[tuple[date, int]],
    window_start: date,
    as_of: date,
    deadline: date,
    target_fen: int,
    *,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    rate_prior: RatePrior = JEFFREYS,
    size_prior: LognormalSizes | None = None,
    known: KnownProcess | None = None,
) -> Projection:
    """Project an amount target (fen) to its deadline with a compound Poisson model.

    Parameters
    ----------
    events : (registration date, amount in fen) pairs. Pairs outside
        ``[window_start, deadline]`` are ignored; pairs dated after ``as_of`` are ignored with a
        warning (they are not known at ``as_of``).
    window_start, deadline : the target's window, both days included.
    as_of : the day of the report, included. ``as_of ≥ deadline`` gives the final result.
    target_fen : the target figure in fen (> 0).
    seed, draws : Monte Carlo seed and number of simulated futures.
    rate_prior : Gamma prior on λ per day (default Jeffreys).
    size_prior : lognormal sizes to use when no amount has been observed yet.
    known : known λ and size distribution; skips fitting (no parameter uncertainty).
    """
    dates, amounts = _split_events(events)
    return _project(
        "fen",
        dates,
        amounts,
        window_start,
        as_of,
        deadline,
        target_fen,
        seed=seed,
        draws=draws,
        rate_prior=rate_prior,
        size_prior=size_prior,
        known=known,
    )


def project_count_to_deadline(
    event_dates: Sequence[date],
    window_start: date,
    as_of: date,
    deadline: date,
    target_count: int,
    *,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    rate_prior: RatePrior = JEFFREYS,
    known_rate_per_day: float | None = None,
) -> Projection:
    """Project a count target (e.g. newly certified enterprises): Poisson arrivals of +1 events.

    The same model as :func:`project_to_deadline` with every size fixed at 1, so the probability
    has the exact negative binomial form P(N ≥ remaining), N ~ NB(a₀ + n, (b₀ + T)/(b₀ + T + t)).
    It fits flows (events dated inside the window). A stock that can also fall (high-value
    patents held, which lapse) is only approximated by it.
    """
    dates = list(event_dates)
    known = None if known_rate_per_day is None else KnownProcess(known_rate_per_day, FixedSize(1))
    return _project(
        "count",
        dates,
        [1] * len(dates),
        window_start,
        as_of,
        deadline,
        target_count,
        seed=seed,
        draws=draws,
        rate_prior=rate_prior,
        size_prior=None,
        known=known,
    )


def monthly_series(events: Iterable[tuple[date, int]], window_start: date, end: date) -> list[dict[str, Any]]:
    """Amount and count per calendar month from ``window_start``'s month to ``end``'s month.

    Only events with ``window_start ≤ date ≤ end`` count. Every month in range appears, with
    zeros when nothing happened; ``cumulative_fen`` runs from the window start. Empty when
    ``end < window_start``.
    """
    if end < window_start:
        return []
    first = window_start.year * 12 + window_start.month - 1
    last = end.year * 12 + end.month - 1
    amount = [0] * (last - first + 1)
    count = [0] * (last - first + 1)
    for day, fen in events:
        if window_start <= day <= end:
            index = day.year * 12 + day.month - 1 - first
            amount[index] += int(fen)
            count[index] += 1
    series, cumulative = [], 0
    for index in range(last - first + 1):
        year, month0 = divmod(first + index, 12)
        cumulative += amount[index]
        series.append(
            {
                "month": f"{year:04d}-{month0 + 1:02d}",
                "amount_fen": amount[index],
                "count": count[index],
                "cumulative_fen": cumulative,
            }
        )
    return series


# --------------------------------------------------------------------------------------------
# Fitting


@dataclass(frozen=True)
class _Fit:
    """What the simulation draws from: λ (fixed or Gamma) and sizes (with parameter spread)."""

    rate_known: float | None  # fixed λ per day, or None for the Gamma posterior
    rate_shape: float  # Gamma posterior shape a
    rate_days: float  # Gamma posterior rate b (days)
    sizes: SizeModel
    size_n: int | None = None  # lognormal fitted from n amounts: parameter uncertainty
    size_s2: float | None = None  # unbiased variance of ln amounts

    @property
    def mean_rate(self) -> float:
        return self.rate_known if self.rate_known is not None else self.rate_shape / self.rate_days

    def mean_size(self) -> float:
        """E[X] over the size-parameter distribution; inf when it does not exist."""
        if isinstance(self.sizes, LognormalSizes) and self.size_n is not None:
            n, s2 = self.size_n, self.size_s2 or 0.0
            # E[exp(μ*)] · E[exp(σ*²/2)], μ* ~ N(μ̂, s²/n), σ*² ~ s²·χ²_{n−1}/(n−1).
            if s2 >= n - 1:
                return math.inf
            return math.exp(self.sizes.mu + s2 / (2 * n)) * (1 - s2 / (n - 1)) ** (-(n - 1) / 2)
        return self.sizes.mean


def _fit_lognormal(amounts: Sequence[int]) -> tuple[LognormalSizes, float]:
    logs = np.log(np.asarray(amounts, dtype=float))
    return LognormalSizes(float(logs.mean()), float(logs.std(ddof=0))), float(logs.var(ddof=1))


# --------------------------------------------------------------------------------------------
# Simulation


def _simulate_totals(fit: _Fit, days: float, draws: int, rng: np.random.Generator) -> np.ndarray:
    """S for ``draws`` simulated futures of ``days`` days, vectorised over draws."""
    if fit.rate_known is not None:
        rates = np.full(draws, fit.rate_known)
    else:
        rates = rng.gamma(fit.rate_shape, 1.0 / fit.rate_days, size=draws)
    counts = rng.poisson(rates * days)
    sizes = fit.sizes
    if isinstance(sizes, FixedSize):
        return counts.astype(float) * sizes.amount
    mu, sigma = _size_parameters(fit, draws, rng)
    sums = np.zeros(draws)
    # Batches of draws, each holding at most _MAX_SIZES_PER_BATCH sizes (usually one batch).
    ends = np.cumsum(counts)
    start = 0
    while start < draws:
        base = ends[start - 1] if start else 0
        stop = max(int(np.searchsorted(ends, base + _MAX_SIZES_PER_BATCH, side="right")), start + 1)
        block = counts[start:stop]
        owner = np.repeat(np.arange(start, stop), block)
        if isinstance(sizes, EmpiricalSizes):
            pool = np.asarray(sizes.amounts, dtype=float)
            x = pool[rng.integers(0, pool.size, size=owner.size)]
        else:
            x = np.exp(mu[owner] + sigma[owner] * rng.standard_normal(owner.size))
        sums[start:stop] = np.bincount(owner - start, weights=x, minlength=stop - start)
        start = stop
    return sums


def _size_parameters(fit: _Fit, draws: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per-draw (μ, σ) of lognormal sizes: the fitted spread of the estimates, or constants."""
    sizes = fit.sizes
    if not isinstance(sizes, LognormalSizes):
        return np.zeros(draws), np.zeros(draws)
    if fit.size_n is None:
        return np.full(draws, sizes.mu), np.full(draws, sizes.sigma)
    n, s2 = fit.size_n, fit.size_s2 or 0.0
    mu = sizes.mu + math.sqrt(s2 / n) * rng.standard_normal(draws)
    sigma = np.sqrt(s2 * rng.chisquare(n - 1, size=draws) / (n - 1))
    return mu, sigma


# --------------------------------------------------------------------------------------------
# Cross-check: the mixture over counts


def _count_distribution(fit: _Fit, days: float) -> Any:
    """Frozen scipy distribution of N over ``days``: Poisson (known λ) or negative binomial."""
    if fit.rate_known is not None:
        return stats.poisson(fit.rate_known * days)
    return stats.nbinom(fit.rate_shape, fit.rate_days / (fit.rate_days + days))


def _cross_check(fit: _Fit, days: float, remaining: float) -> dict[str, Any]:
    """P(S ≥ remaining) = Σ_n P(N = n)·P(S_n ≥ remaining), deterministic (no random draws).

    P(N = n) is the exact negative binomial (or Poisson) mass; P(S_n ≥ r) is Fenton–Wilkinson
    (S_n lognormal with the exact mean and variance of the sum), averaged over the size
    parameters' spread by quadrature: Gauss–Hermite nodes for μ and midpoint quantile nodes
    for σ². For fixed sizes the answer is exact: P(N ≥ ⌈r / size⌉).
    """
    counts = _count_distribution(fit, days)
    sizes = fit.sizes
    if isinstance(sizes, FixedSize):
        needed = -(-int(remaining) // sizes.amount)
        return {"method": "exact_count_survival", "probability": float(counts.sf(needed - 1))}
    n_min, n_max = max(int(counts.ppf(_COUNT_TAIL)), 1), int(counts.isf(_COUNT_TAIL)) + 1
    if n_max - n_min > _CROSS_CHECK_MAX_COUNT:
        return {"method": "none", "reason": "too many possible events for the count mixture"}
    n = np.arange(n_min, n_max + 1, dtype=float)
    pmf = counts.pmf(n)
    if isinstance(sizes, EmpiricalSizes):
        pool = np.asarray(sizes.amounts, dtype=float)
        m1, v1, weights = np.array([pool.mean()]), np.array([pool.var()]), np.array([1.0])
        method = "count_mixture_fenton_wilkinson_moments"
    else:
        mu, sigma2, weights = _size_parameter_nodes(fit)
        m1 = np.exp(mu + sigma2 / 2)
        v1 = np.expm1(sigma2) * m1**2
        method = "count_mixture_fenton_wilkinson_quadrature"
    mean_n = n[None, :] * m1[:, None]  # E[S_n]
    with np.errstate(divide="ignore", invalid="ignore"):
        s2_n = np.log1p(v1[:, None] / (n[None, :] * m1[:, None] ** 2))  # FW log-variance
        z = (math.log(remaining) - (np.log(mean_n) - s2_n / 2)) / np.sqrt(s2_n)
    survival = np.where(s2_n > 0, special.ndtr(-z), (mean_n >= remaining).astype(float))
    return {"method": method, "probability": float(weights @ (survival @ pmf))}


def _size_parameter_nodes(fit: _Fit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quadrature nodes (μ, σ², weight) over the lognormal size parameters' distribution.

    μ = μ̂ + √(s²/n)·Z by Gauss–Hermite (probabilists') nodes; σ² = s²·χ²_{n−1}/(n−1) by
    midpoint quantile nodes; independent, so the weights multiply.
    """
    sizes = fit.sizes
    assert isinstance(sizes, LognormalSizes)
    if fit.size_n is None:
        return np.array([sizes.mu]), np.array([sizes.sigma**2]), np.array([1.0])
    n, s2 = fit.size_n, fit.size_s2 or 0.0
    z, wz = special.roots_hermitenorm(_MU_NODES)
    q = (np.arange(_SIGMA2_NODES) + 0.5) / _SIGMA2_NODES
    mu = sizes.mu + math.sqrt(s2 / n) * z
    sigma2 = s2 * stats.chi2.ppf(q, n - 1) / (n - 1)
    weights = np.outer(wz / wz.sum(), np.full(q.size, 1 / q.size))
    return np.repeat(mu, q.size), np.tile(sigma2, z.size), weights.ravel()


# --------------------------------------------------------------------------------------------
# The projection


def _split_events(events: Iterable[tuple[date, int]]) -> tuple[list[date], list[int]]:
    dates, amounts = [], []
    for day, amount in events:
        dates.append(day)
        amounts.append(int(amount))
    return dates, amounts


def _warning(code: str, en: str, zh: str) -> dict[str, str]:
    return {"code": code, "en": en, "zh": zh}


def _in_unit(unit: Unit, value: float | None) -> int | float | None:
    if value is None or not math.isfinite(value):
        return None
    return int(round(value)) if unit == "fen" else round(float(value), 4)


def _project(
    unit: Unit,
    dates: list[date],
    amounts: list[int],
    window_start: date,
    as_of: date,
    deadline: date,
    target: int,
    *,
    seed: int,
    draws: int,
    rate_prior: RatePrior,
    size_prior: LognormalSizes | None,
    known: KnownProcess | None,
) -> Projection:
    if deadline < window_start:
        raise ValueError(f"deadline {deadline} is before the window start {window_start}")
    if int(target) <= 0:
        raise ValueError(f"target must be positive, got {target}")
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    if any(a <= 0 for a in amounts):
        raise ValueError("every amount must be positive (fen)")
    target = int(target)

    # What is known at as_of: window days [window_start, min(as_of, deadline)], both included.
    in_window = [(d, a) for d, a in zip(dates, amounts, strict=True) if window_start <= d <= deadline]
    observed = [(d, a) for d, a in in_window if d <= as_of]
    not_yet_known = len(in_window) - len(observed)
    achieved = sum(a for _, a in observed)
    n = len(observed)
    closed = as_of >= deadline
    exposure_days = 0 if as_of < window_start else (min(as_of, deadline) - window_start).days + 1
    last_known = max(as_of, window_start - timedelta(days=1))
    remaining_days = 0 if closed else (deadline - last_known).days
    days_left = max((deadline - as_of).days, 0)
    remaining = max(target - achieved, 0)
    rate_per_month = (achieved / (exposure_days / DAYS_PER_MONTH)) if exposure_days else None
    if remaining == 0:
        required = 0.0
    else:
        required = remaining / (remaining_days / DAYS_PER_MONTH) if remaining_days else None

    inputs = {
        "events": n,
        "exposure_days": exposure_days,
        "remaining_days": remaining_days,
        "window_start": window_start.isoformat(),
        "as_of": as_of.isoformat(),
        "deadline": deadline.isoformat(),
        "events_outside_window": len(dates) - len(in_window),
        "events_after_as_of": not_yet_known,
    }
    warnings: list[dict[str, str]] = []
    if not_yet_known and not closed:
        warnings.append(
            _warning(
                "events_after_as_of_ignored",
                f"{not_yet_known} registration(s) dated after {as_of} were ignored.",
                f"已忽略{not_yet_known}笔登记日期晚于{as_of}的记录。",
            )
        )

    def result(
        status: Status,
        probability: float | None,
        expected: float | None,
        quantiles: tuple[float, float, float] | None,
        model: dict[str, Any],
    ) -> Projection:
        q = quantiles or (None, None, None)
        return Projection(
            unit=unit,
            status=status,
            achieved=achieved,
            target=target,
            remaining=remaining,
            days_left=days_left,
            probability=probability,
            expected_total=_in_unit(unit, expected),
            total_p10=_in_unit("fen", q[0]),
            total_p50=_in_unit("fen", q[1]),
            total_p90=_in_unit("fen", q[2]),
            rate_per_month=_in_unit(unit, rate_per_month),
            required_rate_per_month=_in_unit(unit, required),
            model=model,
            warnings=tuple(warnings),
        )

    if closed:
        model = {
            "name": MODEL_NAME,
            "method": "final",
            "inputs": inputs,
            "assumptions": [_assumption_final(deadline)],
            "draws": None,
            "seed": None,
        }
        return result(
            "final", 1.0 if achieved >= target else 0.0, float(achieved), (achieved, achieved, achieved), model
        )

    # ---- fit
    size_n: int | None = None
    size_s2: float | None = None
    sizes: SizeModel | None
    size_source: str
    if known is not None:
        sizes, size_source = known.sizes, "known"
        rate_known, shape, rate_days = float(known.rate_per_day), math.nan, math.nan
    else:
        rate_known = None
        shape, rate_days = rate_prior.shape + n, rate_prior.rate_days + exposure_days
        observed_amounts = [a for _, a in observed]
        if unit == "count":
            sizes, size_source = FixedSize(1), "count"
        elif n >= MIN_EVENTS_FOR_LOGNORMAL:
            sizes, size_s2 = _fit_lognormal(observed_amounts)
            size_n, size_source = n, "fitted_mle"
        elif n >= 1:
            sizes, size_source = EmpiricalSizes(tuple(observed_amounts)), "empirical"
            warnings.append(
                _warning(
                    "few_events_empirical_sizes",
                    f"Only {n} registration(s) so far: future amounts are resampled from them, which "
                    "understates how much amounts vary.",
                    f"目前仅{n}笔登记：未来金额从已有金额中重抽样，会低估金额的波动。",
                )
            )
        elif size_prior is not None:
            sizes, size_source = size_prior, "prior"
        else:
            sizes, size_source = None, "unknown"
        if n == 0:
            warnings.append(
                _warning(
                    "rate_unknown",
                    "Nothing recorded in the window yet: the rate is unknown and the projection rests "
                    "on the prior alone.",
                    "窗口内尚无记录：速率未知，预测仅依据先验。",
                )
            )

    fit_problem = None
    if known is None and rate_days <= 0:
        fit_problem = _warning(
            "rate_prior_improper",
            "The window has not started and the rate prior is improper (rate_days = 0, as "
            "Jeffreys' is): no projection. Supply a proper rate prior.",
            "窗口尚未开始且速率先验为非正常先验（rate_days = 0，如Jeffreys先验）：无法预测，"
            "请提供正常（proper）的速率先验。",
        )
    elif sizes is None:
        fit_problem = _warning(
            "size_unknown",
            "No amount observed yet and no size prior given: no projection.",
            "尚无金额数据且未提供金额先验：无法预测。",
        )

    arrivals = _describe_arrivals(known, rate_prior, n, exposure_days, shape, rate_days)
    model: dict[str, Any] = {
        "name": MODEL_NAME,
        "arrivals": arrivals,
        "sizes": _describe_sizes(sizes, size_source, size_n, size_s2),
        "inputs": inputs,
        "seed": seed,
        "draws": draws,
    }
    if fit_problem is not None:
        warnings.append(fit_problem)
        model.update(method="none", assumptions=[])
        return result("unavailable", None, None, None, model)

    assert sizes is not None
    fit = _Fit(rate_known, shape, rate_days, sizes, size_n, size_s2)
    rng = np.random.default_rng(seed)
    totals = achieved + _simulate_totals(fit, float(remaining_days), draws, rng)
    mc_probability = float(np.mean(totals >= target))
    mc_se = math.sqrt(mc_probability * (1 - mc_probability) / draws)
    mean_size = fit.mean_size()
    expected = achieved + fit.mean_rate * remaining_days * mean_size
    if not math.isfinite(mean_size):
        warnings.append(
            _warning(
                "size_mean_undefined",
                "Amounts vary so much relative to their number that the expected total is undefined.",
                "金额离散程度相对样本量过大，期望总额无定义。",
            )
        )
    quantiles = tuple(float(v) for v in np.quantile(totals, [0.1, 0.5, 0.9]))

    model["method"] = "monte_carlo"
    model["mc_standard_error"] = mc_se
    model["assumptions"] = _assumptions(unit, size_source, known is not None, draws, mc_se)
    if remaining > 0:
        check = _cross_check(fit, float(remaining_days), float(remaining))
    else:
        check = {"method": "none", "reason": "target already reached"}
    if "probability" in check:
        check["difference"] = mc_probability - check["probability"]
        exact = check["method"] == "exact_count_survival"
        check["tolerance"] = 4 * max(mc_se, 1 / draws) + (0.0 if exact else _FW_TOLERANCE)
        check["agrees"] = abs(check["difference"]) <= check["tolerance"]
        if not check["agrees"]:
            warnings.append(
                _warning(
                    "cross_check_disagrees",
                    "The simulation and the count-mixture cross-check disagree beyond their tolerance.",
                    "模拟结果与计数混合交叉核对结果的差异超出容差。",
                )
            )
    check["mc_expected_total"] = float(totals.mean())
    model["cross_check"] = check

    if remaining == 0:
        return result("reached", 1.0, expected, quantiles, model)
    return result("projected", mc_probability, expected, quantiles, model)


# --------------------------------------------------------------------------------------------
# Descriptions (what the response states about the model)


def _describe_arrivals(
    known: KnownProcess | None, prior: RatePrior, n: int, exposure: int, shape: float, rate_days: float
) -> dict[str, Any]:
    mle = n / exposure if exposure else None
    base: dict[str, Any] = {
        "process": "homogeneous_poisson",
        "rate_per_day_mle": mle,
        "rate_per_month_mle": None if mle is None else mle * DAYS_PER_MONTH,
    }
    if known is not None:
        base.update(
            source="known",
            rate_per_day=known.rate_per_day,
            rate_per_month=known.rate_per_day * DAYS_PER_MONTH,
            prior=None,
            posterior=None,
        )
        return base
    base.update(source="fitted", prior=prior.describe())
    if rate_days <= 0:
        base.update(rate_per_day=None, rate_per_month=None, posterior=None)
        return base
    base.update(
        rate_per_day=shape / rate_days,
        rate_per_month=shape / rate_days * DAYS_PER_MONTH,
        posterior={
            "family": "gamma",
            "shape": shape,
            "rate_days": float(rate_days),
            "rate_per_month_p10": _gamma_quantile(shape, rate_days, 0.1) * DAYS_PER_MONTH,
            "rate_per_month_p90": _gamma_quantile(shape, rate_days, 0.9) * DAYS_PER_MONTH,
        },
        predictive_counts="negative_binomial",
    )
    return base


def _gamma_quantile(shape: float, rate: float, q: float) -> float:
    return float(special.gammaincinv(shape, q)) / rate


def _describe_sizes(sizes: SizeModel | None, source: str, n: int | None, s2: float | None) -> dict[str, Any]:
    if sizes is None:
        return {"distribution": None, "source": source}
    out = {**sizes.describe(), "source": source}
    if n is not None:
        out.update(
            fit="maximum_likelihood_on_log_amounts",
            n=n,
            sigma_log_unbiased=math.sqrt(s2 or 0.0),
            parameter_uncertainty="parametric_bootstrap: mu ~ N(mu_hat, s²/n), sigma² ~ s²·chi²(n−1)/(n−1)",
        )
    elif source in ("known", "prior", "empirical"):
        out["parameter_uncertainty"] = "none"
    return out


def _assumption_final(deadline: date) -> dict[str, str]:
    return {
        "en": f"The window closed on {deadline}; this is the final result, not a projection.",
        "zh": f"窗口已于{deadline}结束；此为最终结果，不是预测。",
    }


def _assumptions(unit: Unit, size_source: str, known: bool, draws: int, mc_se: float) -> list[dict[str, str]]:
    items = [
        {
            "en": "Registrations arrive independently at a constant average rate over the window "
            "(a homogeneous Poisson process); seasonal peaks such as year-end are not modelled.",
            "zh": "登记在窗口内以恒定平均速率独立发生（齐次泊松过程），不考虑年末冲量等季节性高峰。",
        }
    ]
    if known:
        items.append(
            {
                "en": "The rate and the size distribution are given, not estimated.",
                "zh": "速率和金额分布为给定值，并非估计。",
            }
        )
    else:
        items.append(
            {
                "en": "The rate is estimated from this window's registrations so far; its uncertainty "
                "is carried by a Gamma posterior (Jeffreys prior unless another is stated), so "
                "the number of future registrations is negative binomial.",
                "zh": "速率由本窗口迄今的登记估计；其不确定性由伽马后验传递（除另有说明外为Jeffreys先验），"
                "故未来登记数服从负二项分布。",
            }
        )
    if unit == "count":
        items.append(
            {
                "en": "Each event adds exactly one; nothing counted is taken away.",
                "zh": "每个事件计数加一；已计入的不会减少。",
            }
        )
    else:
        sizes_en = {
            "fitted_mle": "follow a lognormal distribution fitted to the amounts so far (maximum "
            "likelihood on log amounts, with the estimates' own uncertainty)",
            "empirical": f"are drawn from the amounts so far (fewer than {MIN_EVENTS_FOR_LOGNORMAL} registrations)",
            "prior": "follow the stated prior lognormal distribution (no amount observed yet)",
            "known": "follow the given distribution",
        }[size_source]
        sizes_zh = {
            "fitted_mle": "服从由已有金额拟合的对数正态分布（对数金额的极大似然估计，并计入估计本身的不确定性）",
            "empirical": f"从已有金额中抽取（登记不足{MIN_EVENTS_FOR_LOGNORMAL}笔）",
            "prior": "服从给定的先验对数正态分布（尚无金额数据）",
            "known": "服从给定分布",
        }[size_source]
        items.append(
            {
                "en": f"Amounts are independent of each other and of timing, and {sizes_en}.",
                "zh": f"各笔金额相互独立、与发生时间无关，且{sizes_zh}。",
            }
        )
        items.append(
            {"en": "Registrations already counted are not withdrawn or revised.", "zh": "已计入的登记不会撤销或更改。"}
        )
    items.append(
        {
            "en": f"The probability is estimated from {draws} seeded simulations (standard error ±{mc_se:.4f}).",
            "zh": f"概率由{draws}次带种子的模拟估计（标准误±{mc_se:.4f}）。",
        }
    )
    return items
