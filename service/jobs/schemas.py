"""Shapes of the jobs API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec


class JobRunRead(msgspec.Struct):
    id: int
    job: str
    slot: str
    trigger: str  # schedule | catch_up | manual
    status: str  # running | done | failed
    owner: str | None
    progress_done: int
    progress_total: int | None
    detail: dict[str, Any]  # the job's counts
    error: str | None
    started_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None


class JobRead(msgspec.Struct):
    name: str
    description: str
    schedule: str  # cron fields, in `timezone`
    timezone: str
    catch_up: bool
    last_run: JobRunRead | None


class JobRunCreate(msgspec.Struct, forbid_unknown_fields=True):
    slot: (
        Annotated[
            str,
            msgspec.Meta(
                min_length=1,
                max_length=40,
                pattern=r"^[0-9A-Za-z:_.+-]+$",
                description="the slot to claim (default: a new manual slot); a claimed slot is a 409",
            ),
        ]
        | None
    ) = None
    as_of: date | None = msgspec.field(default=None)  # revalue only: the valuation date (default today)
