"""Statistics API. County aggregates (the high-value series, monitoring, per-employee figures)
are public like target progress: they name no enterprise. The per-patent list and the exports
are staff-only (they name patents and holders, or are heavy to compute)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, get
from litestar.params import FromQuery, QueryParameter

from service.dates import as_of_or_today
from service.deps import STAFF_ROLES, Authorized, DbSession, require
from service.downloads import CsvOrXlsx, XlsxOnly, download
from service.errors import PUBLIC_READ, STAFF_READ, ApiError
from service.pagination import Limit, Offset, Page, page_of
from service.statistics import export, monitoring, report
from service.statistics import service as statistics
from service.statistics.schemas import HighValuePatent, HighValuePoint, MonitoringRow, PerEmployee

Start = Annotated[date | None, QueryParameter(description="first date (default: 1 January two years before end)")]
End = Annotated[date | None, QueryParameter(description="last date (UTC today when omitted)")]
AsOf = Annotated[date | None, QueryParameter(description="the date (UTC today when omitted)")]


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    last = as_of_or_today(end)
    first = as_of_or_today(start) if start is not None else date(last.year - 2, 1, 1)
    if first > last:
        raise ApiError(400, "bad_range", f"start {first} is after end {last}", {"start": str(first), "end": str(last)})
    return first, last


def _monitoring(db_session, period, first, last, by, patent_type) -> list[dict]:
    try:
        return monitoring.monitoring(db_session, period, first, last, by, patent_type)
    except monitoring.TooManyPeriods as exc:
        raise ApiError(400, "too_many_periods", str(exc)) from None


class StatisticsController(Controller):
    path = "/api/v1/statistics"
    tags = ["statistics"]

    @get("/high-value", sync_to_thread=True, responses=PUBLIC_READ, summary="High-value stock, month by month")
    def high_value(
        self, db_session: DbSession, start: Start = None, end: End = None, limit: Limit = 500, offset: Offset = 0
    ) -> Page[HighValuePoint]:
        first, last = _range(start, end)
        points = statistics.high_value_series(db_session, first, last)
        return page_of([msgspec.convert(p, HighValuePoint) for p in points], limit, offset)

    @get(
        "/high-value/patents",
        sync_to_thread=True,
        responses=STAFF_READ,
        dependencies={"staff": require(*STAFF_ROLES)},
        summary="The high-value invention patents on a date, with the flags each meets (staff)",
    )
    def high_value_patents(
        self, db_session: DbSession, staff: Authorized, as_of: AsOf = None, limit: Limit = 50, offset: Offset = 0
    ) -> Page[HighValuePatent]:
        rows = statistics.high_value_patents_on(db_session, as_of_or_today(as_of))
        return page_of([msgspec.convert(r, HighValuePatent) for r in rows], limit, offset)

    @get("/monitoring", sync_to_thread=True, responses=PUBLIC_READ, summary="Applications, grants, lapses, maintenance")
    def monitoring_rows(
        self,
        db_session: DbSession,
        start: Start = None,
        end: End = None,
        period: FromQuery[Literal["month", "quarter", "year"]] = "quarter",
        by: FromQuery[Literal["all", "cluster", "town", "age"]] = "all",
        patent_type: FromQuery[Literal["invention", "utility_model", "design"]] = "invention",
        limit: Limit = 500,
        offset: Offset = 0,
    ) -> Page[MonitoringRow]:
        first, last = _range(start, end)
        rows = _monitoring(db_session, period, first, last, by, patent_type)
        return page_of([msgspec.convert(r, MonitoringRow) for r in rows], limit, offset)

    @get("/per-employee", sync_to_thread=True, responses=PUBLIC_READ, summary="Invention patents per 10,000 employees")
    def per_employee(self, db_session: DbSession, as_of: AsOf = None) -> PerEmployee:
        return msgspec.convert(monitoring.per_employee(db_session, as_of_or_today(as_of)), PerEmployee)

    @get(
        "/export",
        sync_to_thread=True,
        responses=STAFF_READ,
        dependencies={"staff": require(*STAFF_ROLES)},
        operation_class=CsvOrXlsx,
        summary="Download the high-value series or monitoring rows as CSV or XLSX (staff)",
    )
    def export(
        self,
        db_session: DbSession,
        staff: Authorized,
        what: FromQuery[Literal["high-value", "monitoring"]] = "high-value",
        start: Start = None,
        end: End = None,
        period: FromQuery[Literal["month", "quarter", "year"]] = "quarter",
        by: FromQuery[Literal["all", "cluster", "town", "age"]] = "all",
        format: FromQuery[Literal["csv", "xlsx"]] = "csv",
        lang: FromQuery[Literal["en", "zh"]] = "zh",
    ) -> Response:
        first, last = _range(start, end)
        if what == "high-value":
            rows = export.high_value_rows(statistics.high_value_series(db_session, first, last))
            columns = export.HIGH_VALUE_COLUMNS
        else:
            rows, columns = _monitoring(db_session, period, first, last, by, "invention"), export.MONITORING_COLUMNS
        values = export.monitoring_values(by) if what == "monitoring" else None
        body = export.export_bytes(rows, columns, format, chinese=lang == "zh", title=what, values=values)
        return download(body, f"{what}-{first.isoformat()}-{last.isoformat()}.{format}", format)

    @get(
        "/report",
        sync_to_thread=True,
        responses=STAFF_READ,
        dependencies={"staff": require(*STAFF_ROLES)},
        operation_class=XlsxOnly,
        summary="The quarterly report: XLSX with charts and Chinese headings (staff)",
    )
    def quarterly_report(
        self,
        db_session: DbSession,
        staff: Authorized,
        quarter: Annotated[str, QueryParameter(description="a quarter like 2024Q2")],
    ) -> Response:
        try:
            first, _ = report.quarter_span(quarter)
        except report.BadQuarter as exc:
            raise ApiError(400, "bad_quarter", str(exc)) from None
        as_of_or_today(first)  # 400 outside the plausible window
        body = report.write_report(db_session, quarter)
        return download(body, f"ipfin-report-{quarter.upper()}.xlsx", "xlsx")
