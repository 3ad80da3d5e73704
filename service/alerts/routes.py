"""Alerts API: staff read every bank's alerts, a bank its own."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, get
from litestar.params import FromQuery

from service.alerts.schemas import AlertRead
from service.alerts.service import visible_alerts
from service.deps import ANYONE_WITH_A_KEY, Authorized, DbSession
from service.errors import STAFF_READ
from service.models.enums import AlertStage
from service.pagination import Limit, Offset, Page, paginate
from service.structs import from_row


class AlertController(Controller):
    path = "/api/v1/alerts"
    tags = ["alerts"]

    @get(
        "/",
        sync_to_thread=True,
        responses=STAFF_READ,
        dependencies={"caller": ANYONE_WITH_A_KEY},
        summary="Fee alerts on pledged and whitelisted patents (a bank: its own), newest first",
    )
    def alerts(
        self,
        db_session: DbSession,
        caller: Authorized,
        status: FromQuery[Literal["open", "closed", "all"]] = "open",
        stage: FromQuery[AlertStage | None] = None,
        bank: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[AlertRead]:
        statement = visible_alerts(caller, status=status, stage=stage, bank_code=bank)
        rows, total = paginate(db_session, statement, limit, offset)
        items = [from_row(AlertRead, alert, application_no=number, bank_code=code) for alert, number, code in rows]
        return Page(items, total, limit, offset)
