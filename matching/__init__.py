"""ipfin matching: which pledge products each enterprise qualifies for, why, and the best allocation.

A pure library (numpy, scipy, stdlib). The service builds the input dataclasses from its rows and
stores the plain-data results.

    >>> from matching import match, eligibility
    >>> result = match(enterprises, products, as_of=date(2024, 6, 30))   # doctest: +SKIP
    >>> result.proposals[0].to_dict()                                    # doctest: +SKIP

* :mod:`matching.model` — inputs (Enterprise, CreditLoan, Patent, Product)
* :mod:`matching.pairs` — the rules, vectorised over (enterprise × product) pairs
* :mod:`matching.fit` — the fit score
* :mod:`matching.assignment` — the exact MILP assignment and the greedy baseline
* :mod:`matching.api` — :func:`match`, :func:`eligibility`
* ``matching/params.toml`` — every weight, default and bonus, with its source
"""

import importlib
from typing import TYPE_CHECKING, Any

# Each name and the module that holds it, imported on first use (PEP 562): the service's
# vocabulary reads matching's parameters without loading the solver and scipy.
_EXPORTS = {
    "MatchResult": "api",
    "eligibility": "api",
    "match": "api",
    "select_candidates": "api",
    "Assignment": "assignment",
    "assign": "assignment",
    "assign_greedy": "assignment",
    "quota_violations": "assignment",
    "CreditLoan": "model",
    "Enterprise": "model",
    "Patent": "model",
    "Product": "model",
    "Params": "params",
    "default_params": "params",
    "load_params": "params",
    "Alternative": "results",
    "ExcludedPatent": "results",
    "Failure": "results",
    "PairResult": "results",
    "PledgedPatent": "results",
    "Unmatched": "results",
    "RULES": "rules",
}

if TYPE_CHECKING:
    from .api import MatchResult, eligibility, match, select_candidates
    from .assignment import Assignment, assign, assign_greedy, quota_violations
    from .model import CreditLoan, Enterprise, Patent, Product
    from .params import Params, default_params, load_params
    from .results import Alternative, ExcludedPatent, Failure, PairResult, PledgedPatent, Unmatched
    from .rules import RULES


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
    "RULES",
    "Alternative",
    "Assignment",
    "CreditLoan",
    "Enterprise",
    "ExcludedPatent",
    "Failure",
    "MatchResult",
    "PairResult",
    "Params",
    "Patent",
    "PledgedPatent",
    "Product",
    "Unmatched",
    "assign",
    "assign_greedy",
    "default_params",
    "eligibility",
    "load_params",
    "match",
    "quota_violations",
    "select_candidates",
]
