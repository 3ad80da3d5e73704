"""Fit score of eligible (enterprise, product) pairs, vectorised.

For an eligible pair (e, p) with proposed amount A, offered term t and wanted term w::

    coverage = 1                                  if e stated its need (A is the need)
             = A / max_{q eligible for e} A(e, q) otherwise (share of the best amount on offer)
    price    = clip((worst − m) / (worst − best), 0, 1),  m = (p.rate_min + p.rate_max) / 2
    term     = max(0, 1 − |t − w| / w)
    parallel = 1 if p's bank holds a 并轨 loan of e (knowledge-/commercial-value credit loan,
               current on the as-of date — see params), else 0

    fit = (1 − b) · (w_c·coverage + w_p·price + w_t·term) / (w_c + w_p + w_t) + b · parallel

with b = ``params.parallel_track_bonus``. Each component lies in [0, 1], hence fit ∈ [0, 1], and
a 并轨 pair scores exactly b more than the same pair without the relationship.

The coverage of an enterprise without a stated need depends on the other products it qualifies
for, so fits must be computed over *all* eligible pairs of an enterprise at once (as
:func:`fit_scores` is always called).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pairs import Prepared

__all__ = ["FitScores", "fit_scores"]


@dataclass
class FitScores:
    fit: np.ndarray
    coverage: np.ndarray
    price: np.ndarray
    term: np.ndarray
    parallel_track: np.ndarray  # bool


def fit_scores(
    prep: Prepared,
    pe: np.ndarray,
    pp: np.ndarray,
    amount: np.ndarray,
    stated: np.ndarray,
    term: np.ndarray,
    wanted_term: np.ndarray,
) -> FitScores:
    """Fit of the eligible pairs (pe, pp) — pass every eligible pair of each enterprise involved."""
    params = prep.params
    best = np.zeros(prep.n_enterprises, np.int64)
    np.maximum.at(best, pe, amount)
    coverage = np.where(stated, 1.0, amount / np.maximum(best[pe], 1))
    lo, hi = params.price_best_rate_pct, params.price_worst_rate_pct
    price = np.clip((hi - prep.p_rate_mid[pp]) / (hi - lo), 0.0, 1.0)
    term_fit = np.maximum(0.0, 1.0 - np.abs(term - wanted_term) / wanted_term)
    parallel = prep.e_parallel[pe, prep.p_bank[pp]] if prep.e_parallel.shape[1] else np.zeros(len(pe), bool)
    wc, wp, wt = params.weight_coverage, params.weight_price, params.weight_term
    base = (wc * coverage + wp * price + wt * term_fit) / (wc + wp + wt)
    b = params.parallel_track_bonus
    fit = (1.0 - b) * base + b * parallel
    return FitScores(fit=fit, coverage=coverage, price=price, term=term_fit, parallel_track=parallel)
