"""Valuation API: estimate submitted records, read a patent's latest valuation, revalue the portfolio."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlmodel import Session

from service.dates import as_of_or_today
from service.deps import Authorized, Caller, DbSession, require
from service.errors import PUBLIC_READ, WRITE, ApiError, error_responses, not_found
from service.imports import ImportRejected, Table, import_table, parse_rows
from service.imports.columns import parse_record
from service.imports.kinds import KINDS
from service.imports.stored import describe, implausible_dates, refuse_implausible
from service.models import Patent, ValuationRun
from service.models.types import utcnow
from service.pagination import Limit, Offset, Page, paginate
from service.patents.service import application_no_param, find_patent
from service.structs import from_row
from service.valuations.records import (
    context_digest,
    inputs_hash,
    load_records,
    valuation_read,
    valuation_record,
    valuation_row,
    with_fen,
)
from service.valuations.schemas import EstimateRequest, EstimateResponse, RunRead, RunRequest, ValuationRead
from service.valuations.service import (
    estimate,
    latest_valuation,
    start_run,
    store_valuations,
)
from valuation import MODEL_VERSION, Reference

_FIELDS = {column.name for column in KINDS["patents"].columns}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value).strip()
    raise ValueError("应为文本、数字、是/否或空 / must be a string, number, boolean or null")


def _reference_errors(references: dict[int, str], known: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Problems with `{"application_no": …}` items: unknown, or stored with implausible dates."""
    errors = []
    for index, number in references.items():
        if number not in known:
            errors.append(
                {"index": index, "field": "application_no", "message": f"未知的专利 {number} / unknown patent {number}"}
            )
        elif problems := implausible_dates("patents", known[number]):
            message = (
                f"已存专利 {number} 含不合理日期，请更正 / "
                f"stored patent {number} holds implausible dates ({describe(problems)}); correct the row"
            )
            errors.append({"index": index, "field": "application_no", "message": message})
    return errors


def parse_submitted(session: Session, items: list[dict[str, Any]]) -> tuple[Table, list[dict[str, Any]]]:
    """Submitted JSON records → an import table and typed records, or 422 with field errors.

    Full records go through the patent import file's rules; `{"application_no": …}` alone
    refers to a patent already stored.
    """
    errors, rows, references = [], [], {}
    for index, item in enumerate(items):
        if set(item) == {"application_no"}:
            try:
                references[index] = application_no_param(str(item["application_no"]))
            except ApiError as exc:
                errors.append({"index": index, "field": "application_no", "message": exc.message})
            continue
        row = {}
        for field, value in item.items():
            if field not in _FIELDS:
                errors.append({"index": index, "field": field, "message": "未知字段 / unknown field"})
                continue
            try:
                row[field] = _cell(value)
            except ValueError as exc:
                errors.append({"index": index, "field": field, "message": str(exc)})
        rows.append((index + 2, row))  # the importer counts spreadsheet rows (header = 1)
    table = Table(sorted(_FIELDS), rows)
    kind = KINDS["patents"]
    parsed, row_errors = parse_record(kind, *rows[0]) if len(rows) == 1 else parse_rows(kind, table)
    errors += [{"index": e.row - 2, "field": e.column, "message": e.message} for e in row_errors]
    known = (
        {record["application_no"]: record for _, record in load_records(session, list(references.values()))}
        if references
        else {}
    )
    errors += _reference_errors(references, known)
    if errors:
        raise ApiError(
            422,
            "invalid_records",
            f"提交的记录中有 {len(errors)} 处问题 / {len(errors)} problem(s) in the submitted records",
            sorted(errors, key=lambda e: (e["index"], e["field"])),
        )
    by_index = {number - 2: valuation_record(fields) for number, fields in parsed}
    by_index.update({index: known[number] for index, number in references.items()})
    return table, [by_index[i] for i in range(len(items))]


class ValuationController(Controller):
    path = "/api/v1"
    tags = ["valuations"]

    @post(
        "/valuations/estimate",
        sync_to_thread=True,
        responses=WRITE,
        status_code=200,
        summary="Value patent records (nothing stored unless save=true with an admin key)",
    )
    def estimate(self, db_session: DbSession, principal: Caller, data: JSONBody[EstimateRequest]) -> EstimateResponse:
        if data.save and (principal is None or principal.role != "admin"):
            raise ApiError(403, "forbidden", "save=true stores patent data and needs an admin key")
        table, records = parse_submitted(db_session, data.patents)
        as_of = as_of_or_today(data.as_of)
        reference, results = estimate(db_session, records, as_of, data.loan_term_months)
        if data.save:
            self._save(db_session, table, records, results, reference, as_of)
        # Dates and Decimals are encoded by the response's JSON encoder as `jsonable` writes them
        # (ISO dates, Decimal text): no JSON round trip here.
        return EstimateResponse(as_of, MODEL_VERSION, reference.name, [with_fen(r) for r in results], data.save)

    @staticmethod
    def _save(session: Session, table: Table, records, results, reference: Reference, as_of: date) -> None:
        full = Table(table.header, [row for row in table.rows if set(row[1]) != {"application_no"}])
        try:
            if full.rows:
                import_table(session, "patents", full)
        except ImportRejected as exc:
            raise ApiError(
                422,
                "invalid_records",
                str(exc),
                [{"index": e.row - 2, "field": e.column, "message": e.message} for e in exc.errors],
            ) from None
        ids = dict(
            session.execute(
                select(Patent.application_no, Patent.id).where(
                    Patent.application_no.in_([r["application_no"] for r in records])
                )
            ).all()
        )
        context = context_digest(reference.to_dict())
        store_valuations(
            session,
            [
                valuation_row(ids[record["application_no"]], as_of, result, record, inputs_hash(record, context), None)
                for record, result in zip(records, results, strict=True)
            ],
        )

    @get(
        "/patents/{application_no:str}/valuation",
        sync_to_thread=True,
        responses=error_responses(400, 401, 404, 422),  # 422: the stored patent's dates are implausible
        summary="A patent's latest valuation with its explanation",
    )
    def patent_valuation(self, db_session: DbSession, application_no: FromPath[str]) -> ValuationRead:
        patent, _ = find_patent(db_session, application_no)
        refuse_implausible("patents", f"patent {patent.application_no}", patent)
        valuation = latest_valuation(db_session, patent)
        if valuation is None:
            raise ApiError(404, "not_valued", f"patent {patent.application_no} has not been valued yet")
        return valuation_read(valuation, patent.application_no)

    @post(
        "/valuations/run",
        sync_to_thread=True,
        responses=WRITE,
        status_code=202,
        dependencies={"admin": require("admin")},
        summary="Revalue the whole portfolio as of a date (runs in the background; poll the run)",
    )
    def run(self, state: State, db_session: DbSession, admin: Authorized, data: JSONBody[RunRequest]) -> RunRead:
        from service.jobs.scheduler import run_claimed
        from service.jobs.service import claim, manual_slot

        now = utcnow()
        job_run = claim(state.engine, "revalue", manual_slot(now), "manual")
        run = start_run(db_session, as_of_or_today(data.as_of), admin.name, job_run.id)
        read = from_row(RunRead, run)
        db_session.commit()  # the job's first step reads the run row, so it must be committed first
        params = {"valuation_run_id": run.id, "requested_by": admin.name}
        run_claimed(state.engine, job_run, settings=state.settings, now=now, params=params, background=True)
        return read

    @get(
        "/valuations/runs", sync_to_thread=True, responses=PUBLIC_READ, summary="Portfolio valuation runs, newest first"
    )
    def runs(self, db_session: DbSession, limit: Limit = 50, offset: Offset = 0) -> Page[RunRead]:
        rows, total = paginate(db_session, select(ValuationRun).order_by(ValuationRun.id.desc()), limit, offset)
        return Page([from_row(RunRead, run) for (run,) in rows], total, limit, offset)

    @get(
        "/valuations/runs/{run_id:int}",
        sync_to_thread=True,
        responses=PUBLIC_READ,
        summary="One valuation run with its progress",
    )
    def get_run(self, db_session: DbSession, run_id: FromPath[int]) -> RunRead:
        run = db_session.get(ValuationRun, run_id)
        if run is None:
            raise not_found("valuation run", run_id)
        return from_row(RunRead, run)
