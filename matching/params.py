"""Matching parameters, read from ``matching/params.toml``.

The TOML file is the single place where the fit weights, the 并轨 bonus, the default loan term,
the proposal rounding step, the grade order and the solver options live, each with its source or
the assumption behind it. :func:`load_params` reads it (or another file with the same layout);
:meth:`Params.replace` gives a modified copy for a run or a test.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = ["Params", "default_params", "load_params"]


@dataclass(frozen=True)
class Params:
    """Parameters of eligibility, fit and assignment (see ``params.toml`` for sources)."""

    version: str
    effective_from: date
    grade_order: tuple[str, ...]
    default_term_months: int
    proposal_step_fen: int
    parallel_track_bonus: float
    weight_coverage: float
    weight_price: float
    weight_term: float
    price_best_rate_pct: float
    price_worst_rate_pct: float
    parallel_track_loan_kinds: frozenset[str]
    parallel_track_requires_current_loan: bool
    existing_customer_loan_kinds: frozenset[str]  # empty = any kind
    existing_customer_requires_current_loan: bool
    solver_time_limit_s: float
    solver_mip_rel_gap: float
    solver_presolve: bool
    cluster_labels: Mapping[str, str]
    certification_labels: Mapping[str, str]
    credit_loan_kind_labels: Mapping[str, str]
    sources: Mapping[str, str]

    def __post_init__(self) -> None:
        if len(set(self.grade_order)) != len(self.grade_order) or not self.grade_order:
            raise ValueError("grade_order must list distinct grades, best first")
        if self.default_term_months <= 0:
            raise ValueError("default_term_months must be positive")
        if self.proposal_step_fen <= 0:
            raise ValueError("proposal_step_fen must be positive")
        if not (0.0 <= self.parallel_track_bonus < 1.0):
            raise ValueError("parallel_track_bonus must be in [0, 1)")
        weights = (self.weight_coverage, self.weight_price, self.weight_term)
        if min(weights) < 0 or sum(weights) <= 0:
            raise ValueError("fit weights must be non-negative with a positive sum")
        if not self.price_best_rate_pct < self.price_worst_rate_pct:
            raise ValueError("price_best_rate_pct must be below price_worst_rate_pct")
        for name in ("cluster_labels", "certification_labels", "credit_loan_kind_labels", "sources"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        for name in ("parallel_track_loan_kinds", "existing_customer_loan_kinds"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        object.__setattr__(self, "grade_order", tuple(self.grade_order))

    def replace(self, **changes: Any) -> Params:
        """A copy with some values changed, e.g. ``params.replace(parallel_track_bonus=0.3)``."""
        return dataclasses.replace(self, **changes)

    def grade_rank(self, grade: str | None) -> int | None:
        """0 for the best grade; None for no grade. Unknown grades raise ValueError."""
        if grade is None:
            return None
        try:
            return self.grade_order.index(grade)
        except ValueError:
            raise ValueError(f"unknown grade {grade!r}; expected one of {self.grade_order}") from None

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready data (to store with a matching run)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out


def _from_mapping(data: Mapping[str, Any]) -> Params:
    fit = data["fit"]
    weights = fit["weights"]
    labels = data.get("labels", {})
    sources = {
        section: data[section]["source"]
        for section in ("grades", "term", "amount", "parallel_track", "existing_customer", "solver")
        if "source" in data.get(section, {})
    }
    sources["fit"] = fit.get("source", "")
    sources["fit.weights"] = weights.get("source", "")
    sources["fit.price"] = fit["price"].get("source", "")
    return Params(
        version=str(data["version"]),
        effective_from=data["effective_from"],
        grade_order=tuple(data["grades"]["order"]),
        default_term_months=int(data["term"]["default_months"]),
        proposal_step_fen=int(data["amount"]["proposal_step_fen"]),
        parallel_track_bonus=float(fit["parallel_track_bonus"]),
        weight_coverage=float(weights["coverage"]),
        weight_price=float(weights["price"]),
        weight_term=float(weights["term"]),
        price_best_rate_pct=float(fit["price"]["best_rate_pct"]),
        price_worst_rate_pct=float(fit["price"]["worst_rate_pct"]),
        parallel_track_loan_kinds=frozenset(data["parallel_track"]["loan_kinds"]),
        parallel_track_requires_current_loan=bool(data["parallel_track"]["require_current_loan"]),
        existing_customer_loan_kinds=frozenset(data["existing_customer"]["loan_kinds"]),
        existing_customer_requires_current_loan=bool(data["existing_customer"]["require_current_loan"]),
        solver_time_limit_s=float(data["solver"]["time_limit_s"]),
        solver_mip_rel_gap=float(data["solver"]["mip_rel_gap"]),
        solver_presolve=bool(data["solver"].get("presolve", True)),
        cluster_labels=labels.get("clusters", {}),
        certification_labels=labels.get("certifications", {}),
        credit_loan_kind_labels=labels.get("credit_loan_kinds", {}),
        sources=sources,
    )


def load_params(path: str | Path | None = None) -> Params:
    """Read parameters from a TOML file (default: the packaged ``matching/params.toml``)."""
    if path is None:
        text = resources.files("matching").joinpath("params.toml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return _from_mapping(tomllib.loads(text))


_DEFAULT: Params | None = None


def default_params() -> Params:
    """The packaged parameters, read once."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_params()
    return _DEFAULT
