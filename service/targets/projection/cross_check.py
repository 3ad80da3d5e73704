"""A deterministic cross-check of the simulated probability: the mixture over counts.

The same probability the Monte Carlo estimates is computed without random draws::

    P(S ≥ r) = Σ_n P(N = n) · P(X_1 + … + X_n ≥ r),     r = what remains to the target,

with P(N = n) exact — negative binomial NB(a, b/(b + t)) for the Gamma posterior, Poisson(λt)
for a known rate — summed over the counts between the 10⁻¹⁰ and 1 − 10⁻¹⁰ quantiles (the mass
left out is at most 2·10⁻¹⁰), and P(S_n ≥ r) by the Fenton–Wilkinson approximation: S_n taken
as lognormal with the exact mean n·m and variance n·v of the sum,

    σ_n² = ln(1 + v / (n·m²)),   μ_n = ln(n·m) − σ_n²/2,   P(S_n ≥ r) = Φ((μ_n − ln r) / σ_n),

with m = exp(μ + σ²/2), v = (exp(σ²) − 1)·m² for lognormal sizes, or the observed amounts' mean
and (population) variance for resampled ones. For fitted lognormal sizes this is averaged over
the size parameters' spread by quadrature: μ = μ̂ + √(s²/n)·Z on Gauss–Hermite (probabilists')
nodes, σ² = s²·χ²_{n−1}/(n−1) on midpoint quantile nodes, independent so the weights multiply.
For fixed sizes (count targets) the cross-check is exact: P = P(N ≥ ⌈r / size⌉).

Fenton–Wilkinson is rough in the tails when σ is large (about 0.02 off at σ_log = 1.5 with ~20
events), so the projection accepts agreement within 4 Monte Carlo standard errors plus
:data:`FW_TOLERANCE`, and within 4 standard errors alone for the exact count survival.

References
----------
Fenton, L. F. "The sum of log-normal probability distributions in scatter transmission
systems", *IRE Trans. Commun. Syst.* 8(1):57–67, 1960. Abramowitz, M. and Stegun, I. A.
*Handbook of Mathematical Functions*, §25.4.46 (Gauss–Hermite quadrature).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special, stats

from service.targets.projection.model import EmpiricalSizes, Fit, FixedSize, LognormalSizes, count_distribution

# Sum the count mixture over the counts between the COUNT_TAIL quantiles (the mass left out is
# at most 2 × COUNT_TAIL), and give up (method "none") beyond MAX_COUNTS counts.
COUNT_TAIL = 1e-10
MAX_COUNTS = 5_000
# ... and integrate over the size parameters with this many nodes for μ and for σ².
MU_NODES = 12
SIGMA2_NODES = 16
# Fenton–Wilkinson is an approximation whose error grows with the spread of sizes (about 0.02
# at σ_log = 1.5 with ~20 events); the cross-check is flagged when it and the Monte Carlo
# differ by more than 4 Monte Carlo standard errors plus this much.
FW_TOLERANCE = 0.03
EXACT = "exact_count_survival"


def count_mixture_probability(fit: Fit, days: float, remaining: float) -> dict[str, Any]:
    """P(S ≥ remaining) over ``days`` days by the count mixture: ``{"method", "probability"}``.

    ``{"method": "none", "reason": ...}`` when the counts span more than :data:`MAX_COUNTS`.
    """
    counts = count_distribution(fit, days)
    sizes = fit.sizes
    if isinstance(sizes, FixedSize):
        needed = -(-int(remaining) // sizes.amount)
        return {"method": EXACT, "probability": float(counts.sf(needed - 1))}
    n_min, n_max = max(int(counts.ppf(COUNT_TAIL)), 1), int(counts.isf(COUNT_TAIL)) + 1
    if n_max - n_min > MAX_COUNTS:
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


def tolerance(method: str, mc_standard_error: float, draws: int) -> float:
    """How far the Monte Carlo may be from the cross-check: 4 SE (at least 4/draws), + FW's slack."""
    return 4 * max(mc_standard_error, 1 / draws) + (0.0 if method == EXACT else FW_TOLERANCE)


def _size_parameter_nodes(fit: Fit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quadrature nodes (μ, σ², weight) over the lognormal size parameters' distribution.

    μ = μ̂ + √(s²/n)·Z by Gauss–Hermite (probabilists') nodes; σ² = s²·χ²_{n−1}/(n−1) by
    midpoint quantile nodes; independent, so the weights multiply.
    """
    sizes = fit.sizes
    assert isinstance(sizes, LognormalSizes)
    if fit.size_n is None:
        return np.array([sizes.mu]), np.array([sizes.sigma**2]), np.array([1.0])
    n, s2 = fit.size_n, fit.size_s2 or 0.0
    z, wz = special.roots_hermitenorm(MU_NODES)
    q = (np.arange(SIGMA2_NODES) + 0.5) / SIGMA2_NODES
    mu = sizes.mu + math.sqrt(s2 / n) * z
    sigma2 = s2 * stats.chi2.ppf(q, n - 1) / (n - 1)
    weights = np.outer(wz / wz.sum(), np.full(q.size, 1 / q.size))
    return np.repeat(mu, q.size), np.tile(sigma2, z.size), weights.ravel()
