"""Valuation parameters: the TOML files next to this module, loaded and checked in one place.

Every number the valuation uses — fees, grace-period rules, score weights, grade bands, royalty
shares, discount-rate and growth ranges, the pledge rate, eligibility thresholds, the high-value
flag configuration and the shipped survival parameters — lives in one of these files, each with a
``source`` and an ``effective_from`` date (OpenFisca-style: changing a figure is a data change):

==================  ==============================================================
``fees.toml``       legal terms, annual-fee schedules, grace period and late fees
``eligibility.toml`` pledge-eligibility thresholds (minimum remaining term, loan term)
``income.toml``     discount rate and growth ranges, pledge rate, Monte Carlo size
``royalty.toml``    royalty-share ranges by IPC section/class
``high_value.toml`` CNIPA high-value flags: strategic-emerging IPC subset, thresholds
``industry.toml``   IPC prefix → county industry cluster
``scoring.toml``    GB/T 42748-2023 dimension and indicator weights, grade bands, cohorts
``survival.toml``   maintenance survival model: covariates, refit threshold
``reference.toml``  shipped reference: citation field rates and survival parameters
==================  ==============================================================
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PARAMS_DIR = Path(__file__).resolve().parent
SECTIONS = ("fees", "eligibility", "income", "royalty", "high_value", "industry", "scoring", "survival", "reference")


@dataclass(frozen=True)
class Params:
    """All valuation parameters, one mapping per file (``params.fees["grace"]["months"]``).

    Treat as read-only; derive variants with :meth:`with_overrides`.
    """

    fees: Mapping[str, Any]
    eligibility: Mapping[str, Any]
    income: Mapping[str, Any]
    royalty: Mapping[str, Any]
    high_value: Mapping[str, Any]
    industry: Mapping[str, Any]
    scoring: Mapping[str, Any]
    survival: Mapping[str, Any]
    reference: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {name: copy.deepcopy(dict(getattr(self, name))) for name in SECTIONS}

    def with_overrides(self, overrides: Mapping[str, Any]) -> Params:
        """A copy with nested values replaced: ``{"income": {"pledge_rate": 0.3}}``."""
        merged = self.as_dict()
        for name, value in overrides.items():
            if name not in SECTIONS:
                raise KeyError(f"unknown parameter file {name!r}; expected one of {SECTIONS}")
            _deep_merge(merged[name], value)
        params = Params(**merged)
        _check(params)
        return params

    @functools.cached_property
    def digest(self) -> str:
        """SHA-256 (first 12 hex digits) of the parameter values, for model versions and audit."""
        text = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _deep_merge(target: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def load_params(directory: str | Path | None = None) -> Params:
    """Read and check the parameter files (default: the ones shipped in ``valuation/params``),
    once per directory: every valuation, estimate and request asks for them, and they are data
    that changes with a release, not at run time. Treat the result as read-only."""
    return _load(Path(directory).resolve() if directory is not None else PARAMS_DIR)


@functools.cache
def _load(base: Path) -> Params:
    data = {}
    for name in SECTIONS:
        path = base / f"{name}.toml"
        with path.open("rb") as handle:
            section = tomllib.load(handle)
        for field in ("source", "effective_from"):
            if field not in section:
                raise ValueError(f"{path}: missing required field {field!r}")
        data[name] = section
    params = Params(**data)
    _check(params)
    return params


def _check(params: Params) -> None:
    """Fail early on inconsistent parameters (weights not summing to 1, gaps in fee schedules)."""
    _check_scoring(params.scoring)
    _check_fees(params.fees)
    _check_income(params.income)
    missing = set(params.survival["covariates"]) - set(params.reference["survival"]["coefficients"])
    if missing:
        raise ValueError(f"reference.survival.coefficients lacks {sorted(missing)}")
    if not all(0 <= p <= 1 for p in params.income["grant_probability"].values()):
        raise ValueError("income.grant_probability must be probabilities")
    if params.high_value["maintained_from"] not in ("filing", "grant"):
        raise ValueError("high_value.maintained_from must be 'filing' or 'grant'")


def _check_scoring(scoring: Mapping[str, Any]) -> None:
    """Dimension and indicator weights each sum to 1; grade bands decrease to 0."""
    total = sum(scoring["dimension_weights"].values())
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"scoring.dimension_weights sum to {total}, not 1")
    for dimension, weights in scoring["weights"].items():
        total = sum(weights.values())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"scoring.weights.{dimension} sum to {total}, not 1")
    bands = list(scoring["grades"].values())
    if bands != sorted(bands, reverse=True) or bands[-1] != 0:
        raise ValueError("scoring.grades must be decreasing minimum scores ending at 0")


def _check_fees(fees: Mapping[str, Any]) -> None:
    """Each annual-fee schedule has contiguous tiers from year 1 and covers the legal term."""
    for kind, schedule in fees["schedule"].items():
        expected = 1
        for tier in schedule:
            if tier["from"] != expected or tier["to"] < tier["from"]:
                raise ValueError(f"fees.schedule.{kind}: tiers must be contiguous from year 1")
            expected = tier["to"] + 1
    for kind in ("invention", "utility_model", "design"):
        if fees["schedule"][kind][-1]["to"] < fees["term_years"][kind]:
            raise ValueError(f"fees.schedule.{kind} does not cover the legal term")


def _check_income(income: Mapping[str, Any]) -> None:
    """Triangular ranges ordered, rates above −100 %, Sobol'-balanced draws, a pledge rate in (0, 1]."""
    for name in ("discount_rate", "trend"):
        tri = income[name]
        if not tri["low"] <= tri["mode"] <= tri["high"]:
            raise ValueError(f"income.{name}: need low ≤ mode ≤ high")
    if income["discount_rate"]["low"] <= -1 or income["trend"]["low"] <= -1:
        raise ValueError("income rates must exceed −100 %")
    draws = int(income["draws"])
    if draws < 1024 or draws & (draws - 1):
        raise ValueError("income.draws must be a power of two of at least 1,024 (Sobol' balance)")
    if not 0 < income["pledge_rate"] <= 1:
        raise ValueError("income.pledge_rate must be in (0, 1]")


__all__ = ["PARAMS_DIR", "SECTIONS", "Params", "load_params"]
