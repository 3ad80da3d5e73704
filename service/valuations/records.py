"""Turning patent rows into the valuation library's records, and its results into rows and JSON."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, func, select
from sqlmodel import Session

from service.encoding import dumps, fast_canonical, fast_dumps
from service.imports.stored import implausible_dates
from service.models import Enterprise, Patent, PledgedPatent, PledgeRegistration, Valuation
from service.valuations.inputs import PATENT_FIELDS, valuation_record
from valuation.result import FIELDS, MONEY_FIELDS


def context_digest(reference: dict[str, Any] | str) -> str:
    """Digest of what a valuation depends on besides its own record: the reference."""
    return hashlib.sha256(dumps(reference, sort_keys=True).encode()).hexdigest()


def inputs_hash(record: dict[str, Any], context: str) -> str:
    """What determines a valuation besides the date and model: the record and the context digest.
    The hash of the canonical text (`dumps` with sorted keys; `fast_canonical` gives it faster):
    stored valuations are keyed by it, so it never changes for the same record."""
    return hashlib.sha256(fast_canonical({"record": record, "context": context}).encode()).hexdigest()


_STORED = [name for name in PATENT_FIELDS if name != "owner_credit_code"]


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
        select(Patent.id, Enterprise.credit_code, *columns)
        .outerjoin(Enterprise, Enterprise.id == Patent.owner_id)
        .order_by(Patent.id)
    )
    if application_nos is not None:
        statement = statement.where(Patent.application_no.in_(application_nos))
    loaded = []
    for patent_id, owner, *values in session.connection().execute(statement):  # Core rows: no ORM loading
        fields = dict(zip(_STORED, values, strict=True), owner_credit_code=owner)
        loaded.append(
            (patent_id, valuation_record(fields, pledged=patent_id in active, max_pledge_fen=largest.get(patent_id)))
        )
    return loaded


# How many set-aside patents a run's counts name (the count itself is always whole).
NAMED_SET_ASIDE = 20


def set_aside_implausible(
    loaded: list[tuple[int, dict[str, Any]]],
) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """Split `load_records` output: records whose stored dates the importer would accept, and the
    others as `{application_no, problems}` — set aside, never valued (service/imports/stored.py)."""
    kept, set_aside = [], []
    for patent_id, record in loaded:
        problems = implausible_dates("patents", record)
        if problems:
            set_aside.append({"application_no": record["application_no"], "problems": problems})
        else:
            kept.append((patent_id, record))
    return kept, set_aside


def _fen(yuan: Decimal | str | None) -> int | None:
    """Yuan (a Decimal, or its text as stored in a result's JSON) → integer fen."""
    return None if yuan is None else int(Decimal(yuan) * 100)


def with_fen(result: Mapping[str, Any]) -> dict[str, Any]:
    """The library's result with each yuan amount also in integer fen (the API's money unit)."""
    return result | {name.removesuffix("_yuan") + "_fen": _fen(result[name]) for name in MONEY_FIELDS}


# The result's fields that are also columns of the valuations table (for queries); the whole result
# is kept in its `result` column.
_COLUMNS = [name for name in FIELDS if name in Valuation.__table__.c and name != "model_version"]
_JSON_COLUMNS = tuple(name for name in _COLUMNS if isinstance(Valuation.__table__.c[name].type, JSON))
_PLAIN_COLUMNS = tuple(name for name in _COLUMNS if name not in _JSON_COLUMNS)


def valuation_columns(
    patent_ids: list[int],
    as_of: date,
    results: list[dict[str, Any]],
    records: list[dict[str, Any]],
    digests: list[str],
    run_id: int | None,
) -> dict[str, list]:
    """Valuation rows column by column (a column's name → its values, a row per patent), for
    `upsert`: the whole result (reasons, explanation …) goes to `result`. The JSON columns are
    encoded here by msgspec (`fast_dumps`): through the engine's `dumps` they were a quarter of a
    portfolio run's time, and a dict a row was another few per cent."""
    n = len(patent_ids)
    return {
        "patent_id": patent_ids,
        "run_id": [run_id] * n,
        "as_of": [as_of] * n,
        "model_version": [result["model_version"] for result in results],
        "inputs_hash": digests,
        "inputs": list(map(fast_dumps, records)),
        **{name: [result[name] for result in results] for name in _PLAIN_COLUMNS},
        **{name: [fast_dumps(result[name]) for result in results] for name in _JSON_COLUMNS},
        **{name.removesuffix("_yuan") + "_fen": [_fen(result[name]) for result in results] for name in MONEY_FIELDS},
        "result": list(map(fast_dumps, results)),
    }


def valuation_row(
    patent_id: int, as_of: date, result: dict[str, Any], record: dict[str, Any], digest: str, run_id: int | None
) -> dict[str, Any]:
    """Column values of one Valuation row (`valuation_columns`)."""
    columns = valuation_columns([patent_id], as_of, [result], [record], [digest], run_id)
    return {name: values[0] for name, values in columns.items()}


def valuation_read(valuation: Valuation, application_no: str) -> dict[str, Any]:  # a ValuationRead
    """The stored valuation as the API shows it: the engine's result with the run's context."""
    return {
        **with_fen(valuation.result),
        "application_no": application_no,
        "as_of": valuation.as_of.isoformat(),
        "model_version": valuation.model_version,
        "inputs_hash": valuation.inputs_hash,
        "valued_at": valuation.created_at.isoformat(),
        "run_id": valuation.run_id,
    }
