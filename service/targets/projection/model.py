"""The compound Poisson model of target progress: its inputs and how it is fitted.

Model
-----
Registrations in a target's window form a compound Poisson process::

    total at deadline = achieved + S,    S = X_1 + … + X_N,
    N | λ ~ Poisson(λ·t),                t = days of the window after ``as_of``,
    λ | history ~ Gamma(a₀ + n, b₀ + T)  (shape, rate per day),
    X_i iid sizes, independent of N.

*Arrivals.* λ (registrations per day) is homogeneous over the window. Its maximum-likelihood
estimate is n / T (n registrations in T days of exposure). Parameter uncertainty is carried
through the conjugate Gamma posterior; the default prior is Jeffreys' prior for a Poisson rate,
π(λ) ∝ λ^(-1/2), i.e. Gamma(0.5, 0) (improper; proper as soon as T > 0). Integrating λ out,
N is negative binomial: N ~ NB(r = a₀ + n, p = (b₀ + T) / (b₀ + T + t)) (scipy's ``nbinom``),
with mean (a₀ + n)·t / (b₀ + T) (:func:`count_distribution`).

*Sizes.* With n ≥ :data:`MIN_EVENTS_FOR_LOGNORMAL` registrations, sizes are lognormal with
μ̂ = mean(ln x), σ̂ = MLE sd of ln x (ddof = 0). Parameter uncertainty is carried by drawing, for
each simulated future, (μ, σ²) from the parametric-bootstrap sampling distribution of the
estimates: μ = μ̂ + s·Z/√n, σ² = s²·χ²_{n−1}/(n−1), with s² the unbiased variance of ln x. (The
Bayesian posterior σ² ~ (n−1)s²/χ²_{n−1} would give sizes with an infinite mean; the bootstrap
keeps every moment finite.) Over that spread the mean size is
E[X] = exp(μ̂ + s²/(2n)) · (1 − s²/(n−1))^(−(n−1)/2), finite only when s² < n − 1
(:meth:`Fit.mean_size`; the χ² moment generating function). With 1 ≤ n < 5 registrations,
future sizes are resampled from the observed amounts (empirical bootstrap, size uncertainty
understated). With no registration, a caller-supplied size prior is used, or no projection is
made. Count targets have every size fixed at 1.

Assumptions: arrivals independent at a constant rate (no year-end peak), sizes independent of
each other and of timing, nothing counted is withdrawn. Time in days (a day observed whole),
months of 365.25 / 12 days; money in integer fen.

References
----------
Gelman, A. et al. *Bayesian Data Analysis*, 3rd ed., CRC Press, 2013, §2.6 (Poisson model,
Gamma prior, negative binomial predictive). Jeffreys, H. *Theory of Probability*, 3rd ed.,
Oxford, 1961 (the λ^(-1/2) prior). Efron, B. and Tibshirani, R. *An Introduction to the
Bootstrap*, Chapman & Hall, 1993, ch. 6 (parametric bootstrap).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

MODEL_NAME = "compound_poisson"
DAYS_PER_MONTH = 365.25 / 12
# Below this many observed amounts a lognormal fit (two parameters) is not trusted; sizes are
# resampled from the observed amounts instead.
MIN_EVENTS_FOR_LOGNORMAL = 5

Unit = Literal["fen", "count"]
# Where the size model came from: "known" (given), "count" (fixed at 1), "fitted_mle"
# (lognormal, n ≥ MIN_EVENTS_FOR_LOGNORMAL), "empirical" (resampled), "prior" (caller's lognormal),
# "unknown" (nothing to go on: no projection).
SizeSource = Literal["known", "count", "fitted_mle", "empirical", "prior", "unknown"]


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
# The fit


@dataclass(frozen=True)
class Fit:
    """What the simulation draws from: λ (fixed or Gamma) and sizes (with parameter spread).

    ``sizes`` is None when there is nothing to draw sizes from (no amount, no prior); the rate
    posterior is improper when ``rate_days`` ≤ 0. Either way no projection is made.
    """

    rate_known: float | None  # fixed λ per day, or None for the Gamma posterior
    rate_shape: float  # Gamma posterior shape a (NaN when λ is known)
    rate_days: float  # Gamma posterior rate b in days (NaN when λ is known)
    sizes: SizeModel | None
    size_source: SizeSource
    size_n: int | None = None  # lognormal fitted from n amounts: parameter uncertainty
    size_s2: float | None = None  # unbiased variance of ln amounts

    @property
    def rate_improper(self) -> bool:
        """The Gamma posterior is improper (no exposure and a rate-0 prior)."""
        return self.rate_known is None and self.rate_days <= 0

    @property
    def mean_rate(self) -> float:
        return self.rate_known if self.rate_known is not None else self.rate_shape / self.rate_days

    def mean_size(self) -> float:
        """E[X] over the size-parameter distribution; inf when it does not exist."""
        assert self.sizes is not None
        if isinstance(self.sizes, LognormalSizes) and self.size_n is not None:
            n, s2 = self.size_n, self.size_s2 or 0.0
            # E[exp(μ*)] · E[exp(σ*²/2)], μ* ~ N(μ̂, s²/n), σ*² ~ s²·χ²_{n−1}/(n−1).
            if s2 >= n - 1:
                return math.inf
            return math.exp(self.sizes.mu + s2 / (2 * n)) * (1 - s2 / (n - 1)) ** (-(n - 1) / 2)
        return self.sizes.mean


def fit_process(
    unit: Unit,
    observed_amounts: Sequence[int],
    exposure_days: int,
    rate_prior: RatePrior,
    size_prior: LognormalSizes | None,
    known: KnownProcess | None,
) -> Fit:
    """Fit λ's Gamma posterior and the size model to the amounts observed over ``exposure_days``.

    Posterior Gamma(a₀ + n, b₀ + T); sizes as the module docstring says: fixed at 1 for counts,
    lognormal MLE for n ≥ :data:`MIN_EVENTS_FOR_LOGNORMAL`, empirical for 1 ≤ n < 5, else
    ``size_prior`` (or none). ``known`` skips the fit.
    """
    if known is not None:
        return Fit(float(known.rate_per_day), math.nan, math.nan, known.sizes, "known")
    n = len(observed_amounts)
    shape, rate_days = rate_prior.shape + n, rate_prior.rate_days + exposure_days
    if unit == "count":
        return Fit(None, shape, rate_days, FixedSize(1), "count")
    if n >= MIN_EVENTS_FOR_LOGNORMAL:
        sizes, s2 = fit_lognormal(observed_amounts)
        return Fit(None, shape, rate_days, sizes, "fitted_mle", size_n=n, size_s2=s2)
    if n >= 1:
        return Fit(None, shape, rate_days, EmpiricalSizes(tuple(observed_amounts)), "empirical")
    if size_prior is not None:
        return Fit(None, shape, rate_days, size_prior, "prior")
    return Fit(None, shape, rate_days, None, "unknown")


def fit_lognormal(amounts: Sequence[int]) -> tuple[LognormalSizes, float]:
    """(μ̂, σ̂) by maximum likelihood on ln amounts, and s², the unbiased variance of ln amounts."""
    logs = np.log(np.asarray(amounts, dtype=float))
    return LognormalSizes(float(logs.mean()), float(logs.std(ddof=0))), float(logs.var(ddof=1))


def count_distribution(fit: Fit, days: float) -> Any:
    """Frozen scipy distribution of N over ``days``: Poisson (known λ) or negative binomial."""
    if fit.rate_known is not None:
        return stats.poisson(fit.rate_known * days)
    return stats.nbinom(fit.rate_shape, fit.rate_days / (fit.rate_days + days))
