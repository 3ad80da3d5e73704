"""Valuation parameters: the TOML files next to this module, loaded and checked in one place.

Every number the valuation uses — fees, grace-period rules, score weights, grade bands, royalty
shares, discount-rate and growth ranges, the pledge rate, eligibility thresholds, the high-value
flag configuration and the shipped survival parameters — lives in one of these files, each with a
``source`` and an ``effective_from`` date (the file's latest change). A figure that the rules
changed over the years is a *dated value* (``params/dated.py``, OpenFisca-style): one value per
effective date with its reference, picked by the valuation date (fee schedule, pledge-registration
rules) or by the patent's filing or grant date (legal term, term compensation).
:meth:`Params.at` resolves the parameters at a valuation date (cached per date); the engine does
so at ``as_of``. Every file is checked on loading — keys, types, consistency — and a malformed one
raises :class:`ParameterError` naming the file, the key and the problem.

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

import functools
import hashlib
import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from valuation.params.dated import (
    Dated,
    ParameterError,
    UnresolvedParameter,
    dated_values,
    parse_tree,
    resolve,
    to_data,
)

PARAMS_DIR = Path(__file__).resolve().parent
SECTIONS = ("fees", "eligibility", "income", "royalty", "high_value", "industry", "scoring", "survival", "reference")
_RESOLVED_CACHE = 256  # valuation dates kept per parameter set


@dataclass(frozen=True)
class Params:
    """All valuation parameters, one mapping per file (``params.fees["grace"]["months"]``).

    As loaded, dated values are :class:`Dated`; :meth:`at` gives the parameters in force on a
    valuation date (``as_of``), where values dated by the valuation date are plain values and
    those dated by filing or grant date stay :class:`Dated` (each patent picks its own).
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
    as_of: date | None = None  # the valuation date the values were resolved at; None: as loaded
    origin: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)  # section → file
    _loaded: Params | None = field(default=None, compare=False, repr=False)  # the unresolved set
    _by_date: dict[date, Params] = field(default_factory=dict, init=False, compare=False, repr=False)

    def at(self, when: date | np.datetime64) -> Params:
        """The parameters in force on ``when`` (cached per date; the same object for the same date)."""
        when = _as_date(when)
        if self.as_of == when:
            return self
        loaded = self._loaded or self
        cached = loaded._by_date.get(when)
        if cached is None:
            sections = {name: _resolve_section(getattr(loaded, name), when) for name in SECTIONS}
            cached = _make(sections, as_of=when, origin=loaded.origin, loaded=loaded)
            if len(loaded._by_date) >= _RESOLVED_CACHE:
                loaded._by_date.clear()
            loaded._by_date[when] = cached
        return cached

    def dated(self) -> Iterator[Dated]:
        """Every dated value of the loaded parameters (for listings and audits)."""
        loaded = self._loaded or self
        for name in SECTIONS:
            yield from dated_values(getattr(loaded, name))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready copy (a dated value as ``{"by", "values", "reference"}``)."""
        return {name: to_data(getattr(self, name)) for name in SECTIONS}

    def with_overrides(self, overrides: Mapping[str, Any]) -> Params:
        """A copy with nested values replaced: ``{"income": {"pledge_rate": 0.3}}``. A value may be
        plain or dated (a table with ``values`` and ``reference``); resolved parameters stay
        resolved at the same date."""
        loaded = self._loaded or self
        merged = {name: _copy_tree(getattr(loaded, name)) for name in SECTIONS}
        for name, value in overrides.items():
            if name not in SECTIONS:
                raise ParameterError("overrides", name, f"unknown parameter file; expected one of {SECTIONS}")
            if not isinstance(value, Mapping):
                raise ParameterError("overrides", name, "must be a table of values to replace")
            _deep_merge(merged[name], parse_tree("overrides", name, value))
        origin = {name: ("overrides" if name in overrides else where) for name, where in loaded.origin.items()}
        params = _make(merged, origin=origin)
        _check(params)
        return params.at(self.as_of) if self.as_of is not None else params

    @functools.cached_property
    def digest(self) -> str:
        """SHA-256 (first 12 hex digits) of the parameter values, for model versions and audit. Of
        resolved parameters, the values in force on their date: two valuation dates under the same
        rules share it, dates on either side of a change do not."""
        text = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _make(
    sections: Mapping[str, Mapping[str, Any]],
    *,
    origin: Mapping[str, str],
    as_of: date | None = None,
    loaded: Params | None = None,
) -> Params:
    return Params(
        fees=sections["fees"],
        eligibility=sections["eligibility"],
        income=sections["income"],
        royalty=sections["royalty"],
        high_value=sections["high_value"],
        industry=sections["industry"],
        scoring=sections["scoring"],
        survival=sections["survival"],
        reference=sections["reference"],
        as_of=as_of,
        origin=origin,
        _loaded=loaded,
    )


def values_at(value: Any, when: np.ndarray) -> np.ndarray:
    """Per date of ``when`` (datetime64), the value of a parameter dated by filing or grant date
    (a plain value, e.g. from an override, holds for every date)."""
    if isinstance(value, Dated):
        return value.at_dates(when)
    out = np.empty(np.shape(when), dtype=object)
    out[...] = value
    return out


def _as_date(when: date | np.datetime64) -> date:
    if isinstance(when, np.datetime64):
        value = when.astype("datetime64[D]").astype(object)
        if not isinstance(value, date):
            raise ValueError(f"not a valuation date: {when!r}")
        return value
    return when.date() if isinstance(when, datetime) else when


def _resolve_section(section: Mapping[str, Any], when: date) -> Mapping[str, Any]:
    has_dated = any(True for _ in dated_values(section))
    return resolve(section, when) if has_dated else section


def _copy_tree(tree: Mapping[str, Any]) -> dict[str, Any]:
    """Copy of the tables (dated values and leaves shared: both are treated as read-only)."""
    return {k: _copy_tree(v) if isinstance(v, Mapping) else v for k, v in tree.items()}


def _deep_merge(target: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = value


def load_params(directory: str | Path | None = None) -> Params:
    """Read and check the parameter files (default: the ones shipped in ``valuation/params``),
    once per directory: every valuation, estimate and request asks for them, and they are data
    that changes with a release, not at run time. Treat the result as read-only; resolve it at a
    valuation date with :meth:`Params.at`."""
    return _load(Path(directory).resolve() if directory is not None else PARAMS_DIR)


@functools.cache
def _load(base: Path) -> Params:
    data: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name in SECTIONS:
        path = base / f"{name}.toml"
        origin[name] = str(path)
        try:
            with path.open("rb") as handle:
                section = tomllib.load(handle)
        except FileNotFoundError:
            raise ParameterError(str(path), name, "parameter file missing") from None
        except tomllib.TOMLDecodeError as error:
            raise ParameterError(str(path), name, f"not valid TOML: {error}") from None
        for key in ("source", "effective_from"):
            if key not in section:
                raise ParameterError(str(path), key, "missing required field")
        data[name] = parse_tree(str(path), name, section)
    params = _make(data, origin=origin)
    _check(params)
    return params


# Keys the library reads, with their type: "int", "number", "bool", "str", "list" or "table". A
# dated value's every entry must have the type.
SCHEMA: dict[str, dict[str, str]] = {
    "fees": {
        "term_years.invention": "int",
        "term_years.utility_model": "int",
        "term_years.design": "int",
        "term_compensation": "bool",
        "schedule.invention": "list",
        "schedule.utility_model": "list",
        "schedule.design": "list",
        "grace.months": "int",
        "grace.free_months": "int",
        "grace.rate_per_month": "number",
        "grace.max_rate": "number",
        "reduction.single_owner_rate": "number",
        "reduction.several_owners_rate": "number",
        "reduction.years_from_grant": "int",
    },
    "eligibility": {
        "min_remaining_term_years": "number",
        "default_loan_term_months": "int",
        "block_unknown_fee_status": "bool",
        "fee_due_soon_days": "int",
        "invalidation_pending_blocks": "bool",
    },
    "income": {
        "discount_rate": "table",
        "trend": "table",
        "revenue_volatility": "number",
        "revenue_level_sd": "number",
        "pledge_rate": "number",
        "draws": "int",
        "chunk_patents": "int",
        "grant_probability": "table",
    },
    "royalty": {"patent_contribution": "number", "default": "table", "by_ipc": "table"},
    "high_value": {
        "maintained_years": "number",
        "maintained_from": "str",
        "high_pledge_amount_yuan": "number",
        "awards": "list",
    },
    "industry": {"prefixes": "table"},
    "scoring": {
        "dimension_weights": "table",
        "weights": "table",
        "normalisation": "table",
        "grades": "table",
        "citations.min_exposure_years": "number",
        "patent_type_values": "table",
        "legal_status_values": "table",
        "commercialization_values": "table",
        "award_values": "table",
    },
    "survival": {"covariates": "list", "ridge": "number", "min_patents": "int", "min_events": "int"},
    "reference": {
        "version": "str",
        "citations.shape": "number",
        "citations.rates": "table",
        "survival.shape": "number",
        "survival.scale_years": "number",
        "survival.coefficients": "table",
    },
}


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "list":
        return isinstance(value, list | tuple)
    return isinstance(value, Mapping)


def entries(value: Any) -> tuple[Any, ...]:
    """The values a parameter takes: each entry of a dated value, or the plain value itself."""
    return value.values if isinstance(value, Dated) else (value,)


class _Checker:
    """Raises :class:`ParameterError` with the file of the section being checked."""

    def __init__(self, params: Params) -> None:
        self.params = params

    def fail(self, section: str, key: str, problem: str) -> NoReturn:
        raise ParameterError(self.params.origin.get(section, section), f"{section}.{key}" if key else section, problem)

    def get(self, section: str, key: str) -> Any:
        node: Any = getattr(self.params, section)
        for part in key.split("."):
            if isinstance(node, Dated) or not isinstance(node, Mapping) or part not in node:
                self.fail(section, key, "missing required key")
            node = node[part]
        return node

    def types(self) -> None:
        for section, keys in SCHEMA.items():
            for key, kind in keys.items():
                for value in entries(self.get(section, key)):
                    if not _type_ok(kind, value):
                        self.fail(section, key, f"expected {'a ' + kind if kind != 'int' else 'an int'}, got {value!r}")


def _check(params: Params) -> None:
    """Fail early on malformed or inconsistent parameters (missing keys, wrong types, weights not
    summing to 1, gaps in fee schedules), naming the file and key."""
    check = _Checker(params)
    check.types()
    _check_scoring(check)
    _check_fees(check)
    _check_income(check)
    coefficients = check.get("reference", "survival.coefficients")
    missing = set(check.get("survival", "covariates")) - set(coefficients)
    if missing:
        check.fail("reference", "survival.coefficients", f"lacks the covariates {sorted(missing)}")
    for kind, p in check.get("income", "grant_probability").items():
        if not all(0 <= x <= 1 for x in entries(p)):
            check.fail("income", f"grant_probability.{kind}", "must be a probability in [0, 1]")
    if any(x not in ("filing", "grant") for x in entries(check.get("high_value", "maintained_from"))):
        check.fail("high_value", "maintained_from", "must be 'filing' or 'grant'")


def _check_scoring(check: _Checker) -> None:
    """Dimension and indicator weights each sum to 1; grade bands decrease to 0."""
    total = sum(check.get("scoring", "dimension_weights").values())
    if abs(total - 1.0) > 1e-9:
        check.fail("scoring", "dimension_weights", f"sum to {total}, not 1")
    for dimension, weights in check.get("scoring", "weights").items():
        total = sum(weights.values())
        if abs(total - 1.0) > 1e-9:
            check.fail("scoring", f"weights.{dimension}", f"sum to {total}, not 1")
    bands = list(check.get("scoring", "grades").values())
    if bands != sorted(bands, reverse=True) or bands[-1] != 0:
        check.fail("scoring", "grades", "must be decreasing minimum scores ending at 0")


def _check_fees(check: _Checker) -> None:
    """Each annual-fee schedule has contiguous tiers from year 1; the latest covers the longest
    legal term."""
    for kind in ("invention", "utility_model", "design"):
        key = f"schedule.{kind}"
        schedules = entries(check.get("fees", key))
        for schedule in schedules:
            expected = 1
            for tier in schedule:
                if not isinstance(tier, Mapping) or not all(
                    isinstance(tier.get(k), int) and not isinstance(tier.get(k), bool) for k in ("from", "to")
                ):
                    check.fail("fees", key, f"each tier needs integer 'from' and 'to', got {tier!r}")
                if not _type_ok("number", tier.get("fee")) or tier["fee"] < 0:
                    check.fail("fees", key, f"each tier needs a fee ≥ 0 in yuan, got {tier!r}")
                if tier["from"] != expected or tier["to"] < tier["from"]:
                    check.fail("fees", key, "tiers must be contiguous from fee year 1")
                expected = tier["to"] + 1
        longest = max(entries(check.get("fees", f"term_years.{kind}")))
        if schedules[-1][-1]["to"] < longest:
            check.fail(
                "fees",
                key,
                f"the latest schedule ends at fee year {schedules[-1][-1]['to']}, short of the {longest}-year term",
            )
    for key in (
        "grace.rate_per_month",
        "grace.max_rate",
        "reduction.single_owner_rate",
        "reduction.several_owners_rate",
    ):
        if not all(0 <= x <= 1 for x in entries(check.get("fees", key))):
            check.fail("fees", key, "must be a rate in [0, 1]")


def _check_income(check: _Checker) -> None:
    """Triangular ranges ordered, rates above −100 %, Sobol'-balanced draws, a pledge rate in (0, 1]."""
    for name in ("discount_rate", "trend"):
        for tri in entries(check.get("income", name)):
            if not all(_type_ok("number", tri.get(k)) for k in ("low", "mode", "high")):
                check.fail("income", name, "needs numbers low, mode and high")
            if not tri["low"] <= tri["mode"] <= tri["high"]:
                check.fail("income", name, "need low ≤ mode ≤ high")
            if tri["low"] <= -1:
                check.fail("income", f"{name}.low", "rates must exceed −100 %")
    for draws in entries(check.get("income", "draws")):
        if draws < 1024 or draws & (draws - 1):
            check.fail("income", "draws", "must be a power of two of at least 1,024 (Sobol' balance)")
    if not all(0 < x <= 1 for x in entries(check.get("income", "pledge_rate"))):
        check.fail("income", "pledge_rate", "must be in (0, 1]")


__all__ = [
    "PARAMS_DIR",
    "SECTIONS",
    "Dated",
    "ParameterError",
    "Params",
    "UnresolvedParameter",
    "entries",
    "load_params",
    "values_at",
]
