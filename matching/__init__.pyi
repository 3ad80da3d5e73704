"""The public names of `matching`, for type checkers and for `lazy_loader.attach_stub` (__init__.py)."""

from .api import MatchResult as MatchResult
from .api import eligibility as eligibility
from .api import match as match
from .api import select_candidates as select_candidates
from .assignment import Assignment as Assignment
from .assignment import assign as assign
from .assignment import assign_greedy as assign_greedy
from .assignment import quota_violations as quota_violations
from .model import CreditLoan as CreditLoan
from .model import Enterprise as Enterprise
from .model import Patent as Patent
from .model import Product as Product
from .params import Params as Params
from .params import default_params as default_params
from .params import load_params as load_params
from .results import Alternative as Alternative
from .results import ExcludedPatent as ExcludedPatent
from .results import Failure as Failure
from .results import PairResult as PairResult
from .results import PledgedPatent as PledgedPatent
from .results import Unmatched as Unmatched
from .rules import RULES as RULES

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
