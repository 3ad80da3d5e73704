"""Targets: list, create (admin), progress with projection, and export."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select

from service import audit
from service.dates import as_of_or_today
from service.deps import STAFF, STAFF_ROLES, Authorized, Caller, DbSession, is_staff, require
from service.downloads import CsvOrXlsx, download
from service.errors import PUBLIC_READ, STAFF_READ, WRITE, ApiError, error_responses
from service.models import Target
from service.pagination import Limit, Offset, Page, page_of, paginate
from service.structs import from_row
from service.targets.export import NothingToExport, export_file
from service.targets.schemas import SnapshotRead, TargetCreate, TargetRead
from service.targets.service import (
    create_target,
    get_target,
    public_progress,
    snapshot_read,
    snapshots,
    target_progress,
)

AsOf = Annotated[date | None, QueryParameter(description="progress as of this date (UTC today when omitted)")]


class TargetController(Controller):
    path = "/api/v1/targets"
    tags = ["targets"]

    @get("/", sync_to_thread=True, responses=PUBLIC_READ, summary="List targets")
    def list_targets(self, db_session: DbSession, limit: Limit = 50, offset: Offset = 0) -> Page[TargetRead]:
        rows, total = paginate(db_session, select(Target).order_by(Target.id), limit, offset)
        return Page([from_row(TargetRead, t) for (t,) in rows], total, limit, offset)

    @post(
        "/",
        sync_to_thread=True,
        responses=WRITE,
        dependencies={"admin": require("admin")},
        summary="Add a target (admin)",
    )
    def add_target(self, db_session: DbSession, admin: Authorized, data: JSONBody[TargetCreate]) -> TargetRead:
        target = create_target(db_session, data)
        audit.record(
            db_session,
            actor=admin.name,
            action="target.create",
            entity_type="target",
            entity_id=target.code,
            after={"figure": target.figure, "metric": target.metric},
        )
        return from_row(TargetRead, target)

    @get(
        "/{target_id:int}/snapshots",
        sync_to_thread=True,
        responses=STAFF_READ,
        dependencies={"staff": STAFF},
        summary="The target's weekly progress snapshots, oldest first (the dashboard's history)",
    )
    def snapshots(
        self, db_session: DbSession, staff: Authorized, target_id: FromPath[int], limit: Limit = 500, offset: Offset = 0
    ) -> Page[SnapshotRead]:
        target = get_target(db_session, target_id)
        items = [snapshot_read(s) for s in snapshots(db_session, target)]
        return page_of(items, limit, offset)

    @get(
        "/{target_id:int}/progress",
        sync_to_thread=True,
        responses=PUBLIC_READ,
        summary="Progress, breakdowns and projection (an amount target's money: staff only)",
    )
    def progress(
        self, db_session: DbSession, principal: Caller, target_id: FromPath[int], as_of: AsOf = None
    ) -> dict[str, Any]:
        progress = target_progress(db_session, get_target(db_session, target_id), as_of_or_today(as_of))
        return progress if is_staff(principal) else public_progress(progress)

    @get(
        "/{target_id:int}/export",
        sync_to_thread=True,
        responses=error_responses(400, 401, 403, 404, 422),  # 422: registrations asked, none there
        operation_class=CsvOrXlsx,
        dependencies={"staff": require(*STAFF_ROLES)},
        summary="Download progress or the registrations behind it (staff)",
    )
    def export(
        self,
        db_session: DbSession,
        staff: Authorized,
        target_id: FromPath[int],
        as_of: AsOf = None,
        what: FromQuery[Literal["progress", "registrations"]] = "progress",
        format: FromQuery[Literal["csv", "xlsx"]] = "csv",
        lang: FromQuery[Literal["en", "zh"]] = "en",
    ) -> Response:
        target = get_target(db_session, target_id)
        as_of = as_of_or_today(as_of)
        try:
            body, _ = export_file(db_session, [target], as_of, what=what, fmt=format, chinese=lang == "zh")
        except NothingToExport as exc:
            raise ApiError(422, "no_registrations", str(exc)) from None
        return download(body, f"{target.code}-{what}-{as_of.isoformat()}.{format}", format)
