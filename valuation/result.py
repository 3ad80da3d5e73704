"""The one typed valuation result: what ``Valuations.records()`` returns per patent.

The service's API schema, its stored rows and the CLI's CSV columns are derived from these
declarations, so a field is added or renamed here and nowhere else. Money is yuan as ``Decimal``
to 0.01 (the library's unit; the service adds integer-fen companions at its edge).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, TypedDict, get_type_hints


class Reason(TypedDict):
    """An eligibility rule that fired: code, Chinese message, the values it quotes, whether it blocks."""

    code: str
    message: str
    values: dict[str, Any]
    blocking: bool


class RiskFlag(TypedDict):
    code: str
    message: str
    values: dict[str, Any]


class Contribution(TypedDict):
    """One indicator's part of the score: raw value, points, and the sentence a reader sees."""

    indicator: str
    dimension: str
    value: Any
    contribution: float
    text: str


class ValuationRecord(TypedDict):
    application_no: str
    score: float | None
    legal_score: float | None
    technical_score: float | None
    economic_score: float | None
    grade: str
    eligible: bool
    reasons: list[Reason]
    high_value: bool
    high_value_flags: list[str]
    high_value_note: str
    strategic_industry: str | None
    risk_flags: list[RiskFlag]
    p_alive_1y: float | None
    p_alive_3y: float | None
    p_alive_5y: float | None
    expected_life_years: float | None
    value_p10_yuan: Decimal | None
    value_p50_yuan: Decimal | None
    value_p90_yuan: Decimal | None
    max_loan_yuan: Decimal | None
    money_unit: str
    value_note: str
    max_loan_basis: str
    explanation: list[Contribution]
    model_version: str
    reference: str
    remaining_term_years: float | None
    next_fee_due: date | None
    expiry_date: date | None
    industry_cluster: str
    citation_percentile: float | None
    survival_source: str


FIELDS: dict[str, Any] = get_type_hints(ValuationRecord)
MONEY_FIELDS = tuple(name for name in FIELDS if name.endswith("_yuan"))
# Fields holding one value (not a list of reasons, flags or contributions): what a CSV row can carry.
SCALAR_FIELDS = tuple(name for name, kind in FIELDS.items() if not str(kind).startswith("list"))

__all__ = ["FIELDS", "MONEY_FIELDS", "SCALAR_FIELDS", "Contribution", "Reason", "RiskFlag", "ValuationRecord"]
