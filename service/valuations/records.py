"""Turning patent rows into the valuation library's records, and its results into rows and JSON."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from service.encoding import dumps
from service.imports.kinds import KINDS
from service.models import Enterprise, Patent, PledgedPatent, PledgeRegistration, Valuation

PATENT_COLUMNS = [column.name for column in KINDS["patents"].columns]


def context_digest(survival: dict[str, Any] | str) -> str:
    """Digest of what a valuation depends on besides its own record: the survival model."""
    return hashlib.sha256(dumps(survival, sort_keys=True).encode()).hexdigest()


def inputs_hash(record: dict[str, Any], context: str) -> str:
    """What determines a valuation besides the date and model: the record and the context digest."""
    return hashlib.sha256(dumps({"record": record, "context": context}, sort_keys=True).encode()).hexdigest()


_STORED = [name for name in PATENT_COLUMNS if name not in ("owner_credit_code", "annual_revenue_yuan")]


def load_records(session: Session, application_nos: list[str] | None = None) -> list[tuple[int, dict[str, Any]]]:
    """(patent id, record) for every patent, or for the given application numbers, in id order.

    `pledged` is true for a patent in an active registration; `max_pledge_amount_yuan` is the
    largest registered amount of any registration it was part of (high-value flag 4). Rows are
    read as plain columns, not ORM objects: a portfolio run reads every patent.
    """
    active = set(session.scalars(select(PledgedPatent.patent_id).where(PledgedPatent.released_date.is_(None))))
    largest = dict(
        session.execute(
            select(PledgedPatent.patent_id, func.max(PledgeRegistration.amount_fen))
            .join(PledgeRegistration, PledgeRegistration.id == PledgedPatent.registration_id)
            .group_by(PledgedPatent.patent_id)
        ).all()
    )
    columns = [getattr(Patent, name) for name in _STORED]
    statement = (
        select(Patent.id, Patent.annual_revenue_fen, Enterprise.credit_code, *columns)
        .outerjoin(Enterprise, Enterprise.id == Patent.owner_id)
        .order_by(Patent.id)
    )
    if application_nos is not None:
        statement = statement.where(Patent.application_no.in_(application_nos))
    loaded = []
    for patent_id, revenue_fen, owner, *values in session.execute(statement):
        record = dict(zip(_STORED, values, strict=True))
        record["owner_credit_code"] = owner
        record["annual_revenue_yuan"] = None if revenue_fen is None else Decimal(revenue_fen) / 100
        record["pledged"] = patent_id in active
        largest_fen = largest.get(patent_id)
        record["max_pledge_amount_yuan"] = None if largest_fen is None else Decimal(largest_fen) / 100
        loaded.append((patent_id, record))
    return loaded


def _fen(yuan: Decimal | None) -> int | None:
    return None if yuan is None else int(yuan * 100)


_COLUMNS = (
    "score",
    "legal_score",
    "technical_score",
    "economic_score",
    "grade",
    "eligible",
    "high_value",
    "p_alive_1y",
    "p_alive_3y",
    "p_alive_5y",
    "expected_life_years",
)


def valuation_row(
    patent_id: int, as_of: date, result: dict[str, Any], record: dict[str, Any], digest: str, run_id: int | None
) -> dict[str, Any]:
    """Column values of a Valuation row; the whole result (reasons, explanation …) goes to `result`."""
    return {
        "patent_id": patent_id,
        "run_id": run_id,
        "as_of": as_of,
        "model_version": result["model_version"],
        "inputs_hash": digest,
        "inputs": record,
        **{name: result[name] for name in _COLUMNS},
        "high_value_flags": list(result["high_value_flags"]),
        "value_p10_fen": _fen(result["value_p10"]),
        "value_p50_fen": _fen(result["value_p50"]),
        "value_p90_fen": _fen(result["value_p90"]),
        "max_loan_fen": _fen(result["max_loan"]),
        "result": result,
    }


def valuation_read(valuation: Valuation, application_no: str) -> dict[str, Any]:
    """The stored valuation as the API shows it: the engine's result with the run's context."""
    return {
        **valuation.result,
        "application_no": application_no,
        "as_of": valuation.as_of.isoformat(),
        "model_version": valuation.model_version,
        "inputs_hash": valuation.inputs_hash,
        "valued_at": valuation.created_at.isoformat(),
        "run_id": valuation.run_id,
    }
