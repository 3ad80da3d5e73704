"""Matching parameters, read from ``matching/params.toml``.

The TOML file is the single place where the fit weights, the 并轨 bonus, the default loan term,
the proposal rounding step, the grade order and the solver options live, each with its source or
the assumption behind it. :func:`load_params` reads it (or another file with the same layout),
once per file, checking every key and type: a malformed file raises :class:`ParameterError`
naming the file, the key and the problem. :meth:`Params.replace` gives a modified copy for a run or
a test.

Unlike the valuation's fee schedule and registration rules, none of these values has changed under
a law or notice: they are the service's policy, versioned as a whole (``version``,
``effective_from``), so they are not dated one by one. (The valuation library has its own
``ParameterError``: the two libraries never import each other.)
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = ["ParameterError", "Params", "default_params", "load_params"]


class ParameterError(ValueError):
    """A malformed parameter file or value: says which file, which key and what is wrong."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file, self.key, self.problem = file, key, problem
        super().__init__(f"{file}: {key}: {problem}")


# Params field → its key in params.toml (for messages about a value that fails a check).
_KEYS = {
    "grade_order": "grades.order",
    "default_term_months": "term.default_months",
    "proposal_step_fen": "amount.proposal_step_fen",
    "parallel_track_bonus": "fit.parallel_track_bonus",
    "weight_coverage": "fit.weights",
    "price_best_rate_pct": "fit.price.best_rate_pct",
}


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
            raise ParameterError("Params", "grade_order", "must list distinct grades, best first")
        if self.default_term_months <= 0:
            raise ParameterError("Params", "default_term_months", "must be positive")
        if self.proposal_step_fen <= 0:
            raise ParameterError("Params", "proposal_step_fen", "must be positive")
        if not (0.0 <= self.parallel_track_bonus < 1.0):
            raise ParameterError("Params", "parallel_track_bonus", "must be in [0, 1)")
        weights = (self.weight_coverage, self.weight_price, self.weight_term)
        if min(weights) < 0 or sum(weights) <= 0:
            raise ParameterError("Params", "weight_coverage", "fit weights must be non-negative with a positive sum")
        if not self.price_best_rate_pct < self.price_worst_rate_pct:
            raise ParameterError("Params", "price_best_rate_pct", "must be below price_worst_rate_pct")
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


class _Reader:
    """Typed access to the TOML data: a missing key or a wrong type names the file and key."""

    def __init__(self, file: str, data: Mapping[str, Any]) -> None:
        self.file, self.data = file, data

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is not ...:
                    return default
                raise ParameterError(self.file, key, "missing required key")
            node = node[part]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if (isinstance(node, bool) and bool not in kinds) or not isinstance(node, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise ParameterError(self.file, key, f"expected {names}, got {node!r}")
        return node

    def number(self, key: str) -> float:
        return float(self.get(key, (int, float)))

    def strings(self, key: str) -> list[str]:
        values = self.get(key, list)
        if not all(isinstance(v, str) for v in values):
            raise ParameterError(self.file, key, f"expected a list of strings, got {values!r}")
        return list(values)

    def labels(self, key: str) -> dict[str, str]:
        table = self.get(key, dict, {})
        if not all(isinstance(v, str) for v in table.values()):
            raise ParameterError(self.file, key, "labels must be strings")
        return dict(table)


def _from_mapping(data: Mapping[str, Any], file: str = "params") -> Params:
    r = _Reader(file, data)
    sources = {
        section: r.get(f"{section}.source", str)
        for section in ("grades", "term", "amount", "parallel_track", "existing_customer", "solver")
        if "source" in data.get(section, {})
    }
    sources["fit"] = r.get("fit.source", str, "")
    sources["fit.weights"] = r.get("fit.weights.source", str, "")
    sources["fit.price"] = r.get("fit.price.source", str, "")
    effective_from = r.get("effective_from", (date, str))
    if isinstance(effective_from, str):
        try:
            effective_from = date.fromisoformat(effective_from)
        except ValueError:
            raise ParameterError(file, "effective_from", f"{effective_from!r} is not an ISO date") from None
    try:
        return Params(
            version=r.get("version", str),
            effective_from=effective_from,
            grade_order=tuple(r.strings("grades.order")),
            default_term_months=r.get("term.default_months", int),
            proposal_step_fen=r.get("amount.proposal_step_fen", int),
            parallel_track_bonus=r.number("fit.parallel_track_bonus"),
            weight_coverage=r.number("fit.weights.coverage"),
            weight_price=r.number("fit.weights.price"),
            weight_term=r.number("fit.weights.term"),
            price_best_rate_pct=r.number("fit.price.best_rate_pct"),
            price_worst_rate_pct=r.number("fit.price.worst_rate_pct"),
            parallel_track_loan_kinds=frozenset(r.strings("parallel_track.loan_kinds")),
            parallel_track_requires_current_loan=r.get("parallel_track.require_current_loan", bool),
            existing_customer_loan_kinds=frozenset(r.strings("existing_customer.loan_kinds")),
            existing_customer_requires_current_loan=r.get("existing_customer.require_current_loan", bool),
            solver_time_limit_s=r.number("solver.time_limit_s"),
            solver_mip_rel_gap=r.number("solver.mip_rel_gap"),
            solver_presolve=r.get("solver.presolve", bool, True),
            cluster_labels=r.labels("labels.clusters"),
            certification_labels=r.labels("labels.certifications"),
            credit_loan_kind_labels=r.labels("labels.credit_loan_kinds"),
            sources=sources,
        )
    except ParameterError as error:  # a value failed a check: name the file and its key there
        raise ParameterError(file, _KEYS.get(error.key, error.key), error.problem) from None


def load_params(path: str | Path | None = None) -> Params:
    """Read and check parameters from a TOML file (default: the packaged ``matching/params.toml``),
    once per file (they are data that changes with a release, not at run time)."""
    return _load(str(Path(path).resolve()) if path is not None else None)


@functools.cache
def _load(path: str | None) -> Params:
    if path is None:
        file = str(resources.files("matching").joinpath("params.toml"))
        text = resources.files("matching").joinpath("params.toml").read_text(encoding="utf-8")
    else:
        file = path
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ParameterError(path, "", "parameter file missing") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ParameterError(file, "", f"not valid TOML: {error}") from None
    return _from_mapping(data, file)


def default_params() -> Params:
    """The packaged parameters, read once."""
    return load_params()
