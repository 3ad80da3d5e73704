"""Enterprises: identifiers from requests and the queries other domains share."""

from __future__ import annotations

from sqlalchemy import Select, select

from service.errors import ApiError
from service.identifiers import normalize_credit_code
from service.models import Bank, CreditLoan, Enterprise


def credit_code_param(raw: str) -> str:
    try:
        return normalize_credit_code(raw)
    except ValueError as exc:
        raise ApiError(400, "invalid_credit_code", str(exc)) from None


def credit_loans() -> Select:
    """Credit loans with the names their readers need (enterprise, bank)."""
    return (
        select(CreditLoan, Enterprise.credit_code, Enterprise.name, Bank.code)
        .join(Enterprise, Enterprise.id == CreditLoan.enterprise_id)
        .join(Bank, Bank.id == CreditLoan.bank_id)
    )
