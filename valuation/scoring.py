"""The 0–100 patent score over the legal, technical and economic dimensions of GB/T 42748-2023.

GB/T 42748-2023《专利评估指引》 organises patent value into legal, technical and economic value,
weighted per use case; financing is one. Here each dimension is a weighted combination of
indicators normalised to [0, 1] (weights in ``params/scoring.toml``, each dimension's summing to 1)::

    sub-score_d = 100 · Σᵢ w_{d,i} · xᵢ          score = Σ_d W_d · sub-score_d

and an indicator's *contribution* is ``100 · W_d · w_{d,i} · xᵢ`` points, so the contributions add
up to the score exactly. Patents not in force (lapsed, expired, invalidated, or past a fee grace
period) have all indicators 0 (score 0, grade E): without protection there is nothing to lend
against. Pending applications score on their merits except ``legal_status`` (0.3).

Indicators (N = ``scoring.normalisation``; unknown inputs take the value that adds nothing):

legal
  ``legal_status``     in force 1, pending 0.3, otherwise 0
  ``remaining_term``   min(remaining legal term / N.remaining_term_full_years, 1)
  ``claim_scope``      min(independent claims / N.independent_claims_full, 1)
  ``family_coverage``  0.5·min(ln family / ln N.family_size_full, 1) + 0.25·PCT + 0.25·granted abroad
  ``legal_stability``  1 − 0.4·invalidation pending − 0.4·frozen − 0.2·co-owners not consenting
                       − 0.2·fee overdue − N.late_fee_penalty·(fees paid late), clipped to [0, 1]
technical
  ``citation_percentile``  forward-citation percentile in cohort (``citations.py``)
  ``claims``           min(ln(1 + claims) / ln(1 + N.claims_full), 1)
  ``patent_type``      invention 1, utility model 0.5, design 0.3
  ``award``            by award (gold/national 1, silver 0.8, excellence 0.6)
economic
  ``survival``         min(expected remaining economic life / N.expected_life_full_years, 1)
  ``commercialization``  none 0, prototype ⅓, pilot ⅔, production 1
  ``income_value``     log₁₀(V / floor) / log₁₀(full / floor), clipped to [0, 1], V the central income
                       value (``income.central_value``) where revenue is known, else 0
  ``transactions``     1 − exp(−(licences + ½ transfers + ½ earlier pledges) / N.transactions_scale)

Every indicator is non-decreasing in the quantity it measures, so more remaining term, more
citations for the same exposure or more revenue never lower the score.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from valuation.fees import PATENT_TYPES
from valuation.params import Params
from valuation.portfolio import AWARDS, PENDING, STAGES, Portfolio
from valuation.rules import LegalPosition
from valuation.unknowns import filled

DIMENSIONS = ("legal", "technical", "economic")


@dataclass(frozen=True)
class Scores:
    score: np.ndarray
    legal: np.ndarray
    technical: np.ndarray
    economic: np.ndarray
    grade: np.ndarray  # str "A".."E"
    indicators: tuple[tuple[str, str], ...]  # (dimension, indicator) per column
    columns: tuple[np.ndarray, ...]  # xᵢ per indicator (n,), in the order of ``indicators``
    full_points: np.ndarray  # (I,) points an indicator gives at xᵢ = 1

    @cached_property
    def normalised(self) -> np.ndarray:
        """(n, I) xᵢ (built when asked for: the explanations read it, scores do not)."""
        return np.column_stack(self.columns) if self.columns else np.zeros((self.score.size, 0))

    @cached_property
    def contributions(self) -> np.ndarray:
        """(n, I) points: xᵢ × full points."""
        return self.normalised * self.full_points[None, :]


def indicator_values(
    portfolio: Portfolio,
    position: LegalPosition,
    citation_pct: np.ndarray,
    expected_life: np.ndarray,
    income_value: np.ndarray,
    params: Params,
) -> dict[str, np.ndarray]:
    """The normalised indicators xᵢ ∈ [0, 1] (before the in-force mask)."""
    cfg = params.scoring
    norm = cfg["normalisation"]

    def log_ratio(value: np.ndarray, full: float) -> np.ndarray:
        return np.clip(np.log1p(value) / np.log1p(full), 0.0, 1.0)

    def zero(a: np.ndarray) -> np.ndarray:  # unknown counts add nothing
        return filled(a, 0.0)

    family = np.maximum(filled(portfolio.family_size, 1.0), 1.0)
    status_value = np.where(
        position.in_force,
        cfg["legal_status_values"]["valid"],
        np.where(portfolio.status == PENDING, cfg["legal_status_values"]["pending"], 0.0),
    )
    type_values = np.array([cfg["patent_type_values"][k] for k in PATENT_TYPES])
    award_values = np.array([cfg["award_values"][a] for a in AWARDS] + [0.0])  # −1 (unknown) → last
    stage_values = np.array([cfg["commercialization_values"][s] for s in STAGES] + [0.0])
    stability = (
        1.0
        - 0.4 * portfolio.invalidation_pending
        - 0.4 * portfolio.frozen
        - 0.2 * ~portfolio.co_owners_consent
        - 0.2 * position.fees.overdue
        - float(norm["late_fee_penalty"]) * zero(portfolio.late_fee_payments)
    )
    floor, full = float(norm["income_value_floor_yuan"]), float(norm["income_value_full_yuan"])
    valued = np.nonzero(income_value > 0)[0]  # unknown or 0 counts 0; the logarithm only where valued
    value_x = np.zeros(income_value.shape)
    value_x[valued] = np.clip(np.log10(income_value[valued] / floor) / np.log10(full / floor), 0.0, 1.0)
    deals = zero(portfolio.licenses) + 0.5 * zero(portfolio.transfers) + 0.5 * zero(portfolio.previous_pledges)
    return {
        "legal_status": status_value,
        "remaining_term": np.clip(position.remaining_years / float(norm["remaining_term_full_years"]), 0.0, 1.0),
        "claim_scope": np.clip(zero(portfolio.independent_claims) / float(norm["independent_claims_full"]), 0.0, 1.0),
        "family_coverage": (
            0.5 * np.clip(np.log(family) / np.log(float(norm["family_size_full"])), 0.0, 1.0)
            + 0.25 * portfolio.pct
            + 0.25 * portfolio.granted_abroad
        ),
        "legal_stability": np.clip(stability, 0.0, 1.0),
        "citation_percentile": np.clip(filled(citation_pct, 0.0), 0.0, 1.0),
        "claims": log_ratio(zero(portfolio.claims), float(norm["claims_full"])),
        "patent_type": type_values[portfolio.kind],
        "award": award_values[portfolio.award],
        "survival": np.clip(expected_life / float(norm["expected_life_full_years"]), 0.0, 1.0),
        "commercialization": stage_values[portfolio.commercialization],
        "income_value": value_x,
        "transactions": 1.0 - np.exp(-deals / float(norm["transactions_scale"])),
    }


def score_portfolio(
    portfolio: Portfolio,
    position: LegalPosition,
    citation_pct: np.ndarray,
    expected_life: np.ndarray,
    income_value: np.ndarray,
    params: Params,
) -> Scores:
    """Sub-scores, score, grade and per-indicator contributions (see module docstring)."""
    cfg = params.scoring
    values = indicator_values(portfolio, position, citation_pct, expected_life, income_value, params)
    columns: list[tuple[str, str]] = []
    weights: list[float] = []
    for dimension in DIMENSIONS:
        for name, w in cfg["weights"][dimension].items():
            columns.append((dimension, name))
            weights.append(100.0 * float(cfg["dimension_weights"][dimension]) * float(w))
    n = len(portfolio)
    counts = position.alive
    full_points = np.array(weights)
    x = tuple(values[name] if name == "legal_status" else np.where(counts, values[name], 0.0) for _, name in columns)
    sub, score = {}, np.zeros(n)
    for dimension in DIMENSIONS:
        w_dim = float(cfg["dimension_weights"][dimension])
        points = np.zeros(n)
        for j, (d, _) in enumerate(columns):
            if d == dimension:
                points += x[j] * full_points[j]
        sub[dimension] = points / w_dim if w_dim > 0 else np.zeros(n)
        score += points
    # Grade: the highest band whose minimum the score reaches (1e-9 below it counts: rounding).
    bands = sorted(cfg["grades"].items(), key=lambda band: float(band[1]))
    minimums = np.array([float(m) for _, m in bands]) - 1e-9
    letters = np.array([letter for letter, _ in bands] + [next(reversed(cfg["grades"]))], dtype="<U1")
    band = np.searchsorted(minimums, score, side="right") - 1
    grade = letters[np.where(band >= 0, band, len(bands))]
    return Scores(
        score=score,
        legal=sub["legal"],
        technical=sub["technical"],
        economic=sub["economic"],
        grade=grade,
        indicators=tuple(columns),
        columns=x,
        full_points=full_points,
    )


__all__ = ["DIMENSIONS", "Scores", "indicator_values", "score_portfolio"]
