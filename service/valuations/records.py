"""Turning patent rows into the valuation library's records, and its results into rows and JSON."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from service.imports.kinds import KINDS
from service.models import Enterprise, Patent, PledgedPatent, PledgeRegistration, Valuation

PATENT_COLUMNS = [column.name for column in KINDS["patents"].columns]


def jsonable(value: Any) -> Any:
    """Dates as ISO strings and Decimals as strings, recursively; the rest unchanged."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def inputs_hash(record: dict[str, Any], context: dict[str, Any]) -> str:
    """What determines a valuation besides the date and model: the record and the fitted context."""
    canonical = json.dumps(
        {"record": jsonable(record), "context": jsonable(context)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def patent_record(
    patent: Patent, owner_credit_code: str | None, pledged: bool, max_pledge_fen: int | None
) -> dict[str, Any]:
    record = {
        name: getattr(patent, name)
        for name in PATENT_COLUMNS
        if name not in ("owner_credit_code", "annual_revenue_yuan")
    }
    record["owner_credit_code"] = owner_credit_code
    record["annual_revenue_yuan"] = (
        None if patent.annual_revenue_fen is None else Decimal(patent.annual_revenue_fen) / 100
    )
    record["pledged"] = pledged
    record["max_pledge_amount_yuan"] = None if max_pledge_fen is None else Decimal(max_pledge_fen) / 100
    return record


def load_records(session: Session, application_nos: list[str] | None = None) -> list[tuple[int, dict[str, Any]]]:
    """(patent id, record) for every patent, or for the given application numbers, in id order.

    `pledged` is true for a patent in an active registration; `max_pledge_amount_yuan` is the
    largest registered amount of any registration it was part of (high-value flag 4).
    """
    active = set(session.scalars(select(PledgedPatent.patent_id).where(PledgedPatent.released_date.is_(None))))
    largest = dict(
        session.execute(
            select(PledgedPatent.patent_id, func.max(PledgeRegistration.amount_fen))
            .join(PledgeRegistration, PledgeRegistration.id == PledgedPatent.registration_id)
            .group_by(PledgedPatent.patent_id)
        ).all()
    )
    statement = (
        select(Patent, Enterprise.credit_code)
        .outerjoin(Enterprise, Enterprise.id == Patent.owner_id)
        .order_by(Patent.id)
    )
    if application_nos is not None:
        statement = statement.where(Patent.application_no.in_(application_nos))
    return [
        (patent.id, patent_record(patent, owner, patent.id in active, largest.get(patent.id)))
        for patent, owner in session.execute(statement).all()
    ]


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
        "inputs": jsonable(record),
        **{name: result[name] for name in _COLUMNS},
        "high_value_flags": list(result["high_value_flags"]),
        "value_p10_fen": _fen(result["value_p10"]),
        "value_p50_fen": _fen(result["value_p50"]),
        "value_p90_fen": _fen(result["value_p90"]),
        "max_loan_fen": _fen(result["max_loan"]),
        "result": jsonable(result),
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
