"""Scrambled Sobol' points as ``scipy.stats.qmc.Sobol(d, scramble=True, seed=rng).random(n)`` draws
them — the same numbers, bit for bit (tests/valuation/test_valuation_sobol.py) — without importing
``scipy.stats``, whose import builds every distribution's docstring (1.3 s of `ipfin valuate`'s
start-up on a 2-core machine, for the Monte Carlo's 1,024 points).

The construction (Bratley & Fox 1988, algorithm 659; Joe & Kuo 2003 direction numbers, search
criterion D(6), the file scipy ships) with scipy's defaults, ``bits`` = 30:

* direction numbers ``v[j, b]`` of dimension j, bit b: the first ``m_j`` from the table, then the
  recurrence of dimension j's primitive polynomial of degree ``m_j``; column b scaled by 2^(bits−1−b);
* the scrambling (Owen's linear matrix scramble with a digital shift, as scipy does it): from a
  Generator spawned off ``rng`` (scipy's ``_rng_spawn``: a child of the bit generator's seed sequence),
  a random shift of ``bits`` bits per dimension, then random lower-triangular bit matrices ``L_j``
  with unit diagonal; the scrambled ``v[j, b]`` has bit ``bits−1−p`` equal to the parity of
  ``row p of L_j`` AND ``v[j, b]`` (the row read as an integer, its first entry the highest bit);
* point i = (shift XOR the v[:, b] of the bits b set in the Gray code i XOR (i >> 1)) / 2^bits,
  the order in which scipy's generator visits them (point 0 is the shift).

When scipy no longer ships the direction-number file where it is read from, ``sobol_points``
falls back to ``scipy.stats.qmc`` itself.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import numpy as np
import scipy

BITS = 30  # scipy's default: 2^30 points at most, uint32 arithmetic
_DIRECTIONS = Path(scipy.__file__).parent / "stats" / "_sobol_direction_numbers.npz"


@cache
def _direction_numbers(dimensions: int) -> np.ndarray:
    """(dimensions, BITS) unscrambled direction numbers v[j, b] · 2^(BITS−1−b), as Python ints."""
    with np.load(_DIRECTIONS) as table:
        poly = table["poly"][:dimensions].astype(np.int64).tolist()
        vinit = table["vinit"][:dimensions].astype(np.int64).tolist()
    v = [[1] * BITS]  # dimension 0: the van der Corput sequence in base 2
    for j in range(1, dimensions):
        p = poly[j]
        m = p.bit_length() - 1  # the polynomial's degree
        row = vinit[j][:m]
        for b in range(m, BITS):
            new = row[b - m]
            for k in range(m):  # coefficient a_{k+1} of the polynomial, highest first
                if (p >> (m - 1 - k)) & 1:
                    new ^= row[b - k - 1] << (k + 1)
            row.append(new)
        v.append(row)
    scale = [1 << (BITS - 1 - b) for b in range(BITS)]
    return np.array([[x * s for x, s in zip(row, scale, strict=True)] for row in v], dtype=np.uint32)


def _scrambled(dimensions: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(shift (d,), scrambled direction numbers (d, BITS)), drawing from ``rng`` as scipy does."""
    child = rng.spawn(1)[0]  # scipy's _rng_spawn: a Generator on a child of the seed sequence
    powers = 2 ** np.arange(BITS, dtype=np.uint32)
    shift = np.dot(child.integers(2, size=(dimensions, BITS), dtype=np.uint32), powers)
    ltm = np.tril(child.integers(2, size=(dimensions, BITS, BITS), dtype=np.uint32))
    ltm[:, np.arange(BITS), np.arange(BITS)] = 1
    v = _direction_numbers(dimensions)
    # bits[j, b, k]: bit k of v[j, b]; rows[j, p, k]: bit k of row p of L_j read as an integer.
    bits = (v[:, :, None] >> np.arange(BITS, dtype=np.uint32)) & 1
    rows = ltm[:, :, ::-1]
    parity = np.einsum("jpk,jbk->jbp", rows.astype(np.int64), bits.astype(np.int64)) & 1
    weights = np.array([1 << (BITS - 1 - p) for p in range(BITS)], dtype=np.int64)
    return shift, (parity @ weights).astype(np.uint32)


def sobol_points(n: int, dimensions: int, rng: np.random.Generator) -> np.ndarray:
    """(n, dimensions) the first ``n`` points of the scrambled Sobol' sequence seeded by ``rng``:
    equal to ``scipy.stats.qmc.Sobol(dimensions, scramble=True, seed=rng).random(n)``, and leaving
    ``rng`` as that leaves it (one child spawned)."""
    n, dimensions = int(n), int(dimensions)
    if not _DIRECTIONS.is_file():  # scipy moved its table: ask scipy itself
        from scipy.stats import qmc

        return qmc.Sobol(d=dimensions, scramble=True, seed=rng).random(n)
    if not 1 <= dimensions <= 21201 or not 0 <= n <= 2**BITS:
        raise ValueError(f"Sobol' points: {n} points of {dimensions} dimensions are out of range")
    if n & (n - 1):
        warnings.warn("The balance properties of Sobol' points require n to be a power of 2.", stacklevel=3)
    shift, v = _scrambled(dimensions, rng)
    index = np.arange(n, dtype=np.uint32)
    gray = index ^ (index >> 1)
    quasi = np.broadcast_to(shift, (n, dimensions)).copy()
    for b in range(max(n - 1, 0).bit_length()):
        quasi ^= ((gray >> b) & 1)[:, None] * v[:, b]
    return quasi * (1.0 / 2**BITS)


__all__ = ["sobol_points"]
