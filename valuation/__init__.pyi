"""The public names of `valuation`, for type checkers and for `lazy_loader.attach_stub` (__init__.py)."""

from .engine import MODEL_VERSION as MODEL_VERSION
from .engine import Valuations as Valuations
from .engine import valuate as valuate
from .params import Params as Params
from .params import load_params as load_params
from .portfolio import Portfolio as Portfolio
from .reference import Reference as Reference
from .reference import build_reference as build_reference
from .reference import shipped_reference as shipped_reference
from .result import MONEY_FIELDS as MONEY_FIELDS
from .result import SCALAR_FIELDS as SCALAR_FIELDS
from .result import ValuationRecord as ValuationRecord
from .survival import SurvivalModel as SurvivalModel
from .survival import default_model as default_model
from .survival import fit_survival as fit_survival

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
