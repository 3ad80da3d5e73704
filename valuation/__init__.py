"""Patent valuation for IP pledge financing: a pure, vectorised library (numpy, scipy).

Patent records in; scores, CNIPA high-value flags, pledge eligibility with reasons, maintenance
survival, money-value intervals and explanations out. It never imports the service, the web
framework or the ORM. Typical use::

    from valuation import Portfolio, valuate, fit_survival, load_params
    portfolio = Portfolio.from_records(records)        # import-style dicts, money in yuan
    reference = build_reference(portfolio, as_of)     # or Reference.from_dict(stored), shipped_reference()
    result = valuate(portfolio, as_of, reference=reference, seed=0)
    rows = result.records()

Method and sources: DESIGN.md §5; GB/T 42748-2023《专利评估指引》; Pakes (1986) renewal model;
Weibull proportional hazards with left truncation; parameters with their sources in
``valuation/params/*.toml``.
"""

import importlib
from typing import TYPE_CHECKING, Any

# Each name and the module that holds it, imported on first use (PEP 562): the parsers of the
# importer and of `ipfin valuate` need the light modules (params, portfolio, explain), not the
# engine and scipy (a second of start-up).
_EXPORTS = {
    "MODEL_VERSION": "engine",
    "Valuations": "engine",
    "valuate": "engine",
    "Params": "params",
    "load_params": "params",
    "Portfolio": "portfolio",
    "Reference": "reference",
    "build_reference": "reference",
    "shipped_reference": "reference",
    "MONEY_FIELDS": "result",
    "SCALAR_FIELDS": "result",
    "ValuationRecord": "result",
    "SurvivalModel": "survival",
    "default_model": "survival",
    "fit_survival": "survival",
}

if TYPE_CHECKING:
    from valuation.engine import MODEL_VERSION, Valuations, valuate
    from valuation.params import Params, load_params
    from valuation.portfolio import Portfolio
    from valuation.reference import Reference, build_reference, shipped_reference
    from valuation.result import MONEY_FIELDS, SCALAR_FIELDS, ValuationRecord
    from valuation.survival import SurvivalModel, default_model, fit_survival


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "MODEL_VERSION",
    "MONEY_FIELDS",
    "SCALAR_FIELDS",
    "Params",
    "Portfolio",
    "Reference",
    "SurvivalModel",
    "ValuationRecord",
    "Valuations",
    "build_reference",
    "default_model",
    "fit_survival",
    "load_params",
    "shipped_reference",
    "valuate",
]
