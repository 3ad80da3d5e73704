"""Results of the matching library as plain data.

Every result class has ``to_dict()`` returning dicts, lists, ``str``, ``int``, ``float``, ``bool``,
``None`` and ``datetime.date`` only, so the service can serialise it directly (money stays in
integer fen; the pledge rate is a fraction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = ["Alternative", "ExcludedPatent", "Failure", "PairResult", "PledgedPatent", "Unmatched"]


@dataclass(frozen=True)
class Failure:
    """A failed eligibility rule: code (see :mod:`matching.rules`), Chinese message, the values."""

    code: str
    message: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "values": _plain(self.values)}


@dataclass(frozen=True)
class PledgedPatent:
    """A patent backing a proposal.

    ``supports_fen`` = what it adds to the collateral capacity (pledge rate × its P10, in the
    running-sum form that makes the figures add up exactly); ``allocated_fen`` = the part of the
    loan amount it backs (the allocations add up to the amount).
    """

    application_no: str
    value_p10_fen: int
    supports_fen: int
    allocated_fen: int
    grade: str | None
    score: float | None
    expiry_date: date
    remaining_term_years: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ExcludedPatent:
    """A patent of the enterprise that cannot back this product, with the rule codes why."""

    application_no: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"application_no": self.application_no, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class PairResult:
    """Eligibility, proposal and fit of one (enterprise, product) pair.

    For an eligible pair: ``amount_fen`` is the proposed amount (``amount_basis`` says whether it
    is the stated need or what the collateral supports), ``patents`` the patents to pledge,
    ``fit`` its fit score with ``fit_components``, ``parallel_track`` whether the product's bank
    holds the enterprise's knowledge-/commercial-value credit loan (并轨) and ``rank`` its place
    among the enterprise's eligible products by fit (1 = best). For an ineligible pair
    ``failures`` names every failed rule and ``amount_fen``/``fit`` are None.
    """

    enterprise_id: str
    product_id: str
    bank_code: str
    eligible: bool
    failures: tuple[Failure, ...]
    amount_fen: int | None
    amount_basis: str  # "stated_need" | "collateral_capacity"
    required_amount_fen: int
    capacity_fen: int
    pledge_rate: float
    term_months: int
    wanted_term_months: int
    loan_end_date: date
    patents: tuple[PledgedPatent, ...]
    excluded_patents: tuple[ExcludedPatent, ...]
    earliest_expiry_date: date | None
    fit: float | None
    fit_components: Mapping[str, float] | None
    parallel_track: bool
    parallel_track_loans: tuple[Mapping[str, Any], ...]
    rank: int | None = None

    @property
    def failure_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.failures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "enterprise_id": self.enterprise_id,
            "product_id": self.product_id,
            "bank_code": self.bank_code,
            "eligible": self.eligible,
            "failures": [f.to_dict() for f in self.failures],
            "amount_fen": self.amount_fen,
            "amount_basis": self.amount_basis,
            "required_amount_fen": self.required_amount_fen,
            "capacity_fen": self.capacity_fen,
            "pledge_rate": self.pledge_rate,
            "term_months": self.term_months,
            "wanted_term_months": self.wanted_term_months,
            "loan_end_date": self.loan_end_date,
            "patents": [p.to_dict() for p in self.patents],
            "excluded_patents": [p.to_dict() for p in self.excluded_patents],
            "earliest_expiry_date": self.earliest_expiry_date,
            "fit": self.fit,
            "fit_components": None if self.fit_components is None else dict(self.fit_components),
            "parallel_track": self.parallel_track,
            "parallel_track_loans": [dict(x) for x in self.parallel_track_loans],
            "rank": self.rank,
        }


@dataclass(frozen=True)
class Alternative:
    """Another eligible product for an enterprise, by fit (rank 1 = its best product)."""

    product_id: str
    bank_code: str
    amount_fen: int
    fit: float
    parallel_track: bool
    rank: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Unmatched:
    """An enterprise that received no proposal, and why.

    ``reason`` is ``NO_ELIGIBLE_PRODUCT`` (see ``MatchResult.eligibility`` for each product's
    failed rules) or ``QUOTA_ALLOCATED_TO_OTHERS`` (eligible, but the products' quotas went to
    enterprises with a higher total fit).
    """

    enterprise_id: str
    reason: str
    message: str
    n_eligible_products: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items) if isinstance(value, (set, frozenset)) else items
    return value
