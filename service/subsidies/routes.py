"""免申即享 API (staff only: lines name enterprises and money): evaluate a period, list lines,
mark a line paid, export the list."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from service.deps import STAFF_ROLES, Authorized, DbSession, require
from service.downloads import CsvOrXlsx, download
from service.errors import STAFF_READ, WRITE
from service.pagination import Limit, Offset, Page, paginate
from service.subsidies import service
from service.subsidies.export import lines_file
from service.subsidies.schemas import Evaluation, EvaluationResult, Payment, SubsidyLineRead

STAFF = {"staff": require(*STAFF_ROLES)}
Status = Literal["proposed", "paid"]


def _read(row: dict) -> SubsidyLineRead:
    return msgspec.convert(row, SubsidyLineRead)


class SubsidyController(Controller):
    path = "/api/v1/subsidies"
    tags = ["subsidies"]
    dependencies = STAFF

    @post("/evaluations", sync_to_thread=True, responses=WRITE, summary="Evaluate the rules over a period (staff)")
    def evaluate(self, db_session: DbSession, staff: Authorized, data: JSONBody[Evaluation]) -> EvaluationResult:
        lines = service.evaluate(db_session, data.start, data.end, staff.name)
        names = {line.id: line for line in lines}
        rows = db_session.execute(service.lines_statement().where(service.SubsidyLine.id.in_(list(names)))).all()
        items = [_read(service.line_row(line, name, code)) for line, name, code in rows]
        return EvaluationResult(data.start, data.end, len(items), sum(i.amount_fen for i in items), items)

    @get("/lines", sync_to_thread=True, responses=STAFF_READ, summary="Subsidy lines (staff)")
    def lines(
        self,
        db_session: DbSession,
        staff: Authorized,
        status: FromQuery[Status | None] = None,
        rule: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[SubsidyLineRead]:
        rows, total = paginate(db_session, service.lines_statement(status, rule), limit, offset)
        return Page([_read(service.line_row(*row)) for row in rows], total, limit, offset)

    @post("/lines/{line_id:int}/paid", sync_to_thread=True, responses=WRITE, summary="Mark a line paid (staff)")
    def paid(
        self, db_session: DbSession, staff: Authorized, line_id: FromPath[int], data: JSONBody[Payment]
    ) -> SubsidyLineRead:
        service.mark_paid(db_session, line_id, staff.name, data.reference)
        line, name, code = db_session.execute(service.lines_statement().where(service.SubsidyLine.id == line_id)).one()
        return _read(service.line_row(line, name, code))

    @get(
        "/lines/export",
        sync_to_thread=True,
        responses=STAFF_READ,
        operation_class=CsvOrXlsx,
        summary="The list as XLSX or CSV (staff)",
    )
    def export(
        self,
        db_session: DbSession,
        staff: Authorized,
        status: FromQuery[Status | None] = None,
        format: FromQuery[Literal["xlsx", "csv"]] = "xlsx",
    ) -> Response:
        rows = [service.line_row(*row) for row in db_session.execute(service.lines_statement(status)).all()]
        return download(lines_file(rows, format), f"subsidies.{format}", format)
