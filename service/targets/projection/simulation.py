"""Monte Carlo futures of the compound Poisson model: S = X_1 + … + X_N for each draw.

For each of ``draws`` futures, in this order from one seeded ``numpy.random.Generator``:

1. λ ~ Gamma(a, 1/b) (or the known λ), for all draws at once;
2. N ~ Poisson(λ·t);
3. for lognormal sizes with parameter uncertainty, μ = μ̂ + √(s²/n)·Z and
   σ = √(s²·χ²_{n−1}/(n−1)) per draw;
4. the N sizes of every draw — lognormal exp(μ + σ·Z) or resampled from the observed amounts —
   summed per draw with ``np.bincount``.

No Python loop per draw: sizes are drawn for many futures at once, in batches holding at most
:data:`MAX_SIZES_PER_BATCH` sizes (8 bytes each) so memory stays bounded; the batches consume
the generator's stream in the same order as one batch would, so the result does not depend on
the batch size. Fixed sizes (count targets) need no size draws: S = N · size.

P(achieved + S ≥ target) is the share of draws reaching the target, with Monte Carlo standard
error √(p(1 − p)/draws).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from service.targets.projection.model import EmpiricalSizes, Fit, FixedSize, LognormalSizes

DEFAULT_DRAWS = 20_000
# Memory bound for one batch of simulated sizes (8 bytes each); futures are simulated in
# batches of draws so that no batch holds more sizes than this.
MAX_SIZES_PER_BATCH = 4_000_000


def simulate_totals(fit: Fit, days: float, draws: int, rng: np.random.Generator) -> np.ndarray:
    """S for ``draws`` simulated futures of ``days`` days, vectorised over draws."""
    if fit.rate_known is not None:
        rates = np.full(draws, fit.rate_known)
    else:
        rates = rng.gamma(fit.rate_shape, 1.0 / fit.rate_days, size=draws)
    counts = rng.poisson(rates * days)
    sizes = fit.sizes
    if isinstance(sizes, FixedSize):
        return counts.astype(float) * sizes.amount
    if isinstance(sizes, EmpiricalSizes):
        pool = np.asarray(sizes.amounts, dtype=float)
        return _sum_per_draw(counts, lambda owner: pool[rng.integers(0, pool.size, size=owner.size)])
    assert isinstance(sizes, LognormalSizes)
    mu, sigma = _lognormal_parameters(fit, sizes, draws, rng)

    def lognormal(owner: np.ndarray) -> np.ndarray:
        return np.exp(mu[owner] + sigma[owner] * rng.standard_normal(owner.size))

    return _sum_per_draw(counts, lognormal)


def _sum_per_draw(counts: np.ndarray, draw_sizes: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Σ of ``counts[i]`` sizes for every draw i, in batches of at most MAX_SIZES_PER_BATCH sizes.

    ``draw_sizes`` takes the draw index of each size wanted (so per-draw parameters can be
    looked up) and returns one size for each.
    """
    draws = counts.size
    sums = np.zeros(draws)
    ends = np.cumsum(counts)
    start = 0
    while start < draws:
        base = ends[start - 1] if start else 0
        stop = max(int(np.searchsorted(ends, base + MAX_SIZES_PER_BATCH, side="right")), start + 1)
        owner = np.repeat(np.arange(start, stop), counts[start:stop])
        sums[start:stop] = np.bincount(owner - start, weights=draw_sizes(owner), minlength=stop - start)
        start = stop
    return sums


def _lognormal_parameters(
    fit: Fit, sizes: LognormalSizes, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per-draw (μ, σ) of lognormal sizes: the fitted spread of the estimates, or constants."""
    if fit.size_n is None:
        return np.full(draws, sizes.mu), np.full(draws, sizes.sigma)
    n, s2 = fit.size_n, fit.size_s2 or 0.0
    mu = sizes.mu + math.sqrt(s2 / n) * rng.standard_normal(draws)
    sigma = np.sqrt(s2 * rng.chisquare(n - 1, size=draws) / (n - 1))
    return mu, sigma
