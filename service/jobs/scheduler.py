"""Running jobs: by hand, in the background, on schedule (APScheduler 3.x), catching up at start.

One scheduler per deployment holds the leadership lock (a PostgreSQL advisory lock on a
connection of its own; on SQLite a file lock next to the database); a second one stands by. The
lock keeps work from being done twice by accident, not for correctness: every run claims its
slot in `job_runs`, so two schedulers that both fire still make one run (DESIGN.md §10).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url

from service.db import is_sqlite, transaction
from service.jobs.registry import JOBS
from service.jobs.service import BUSINESS_TZ, SlotClaimed, claim, manual_slot, mark_dead, slot_name, work
from service.models import JobRun
from service.models.types import utcnow
from service.settings import Settings

log = logging.getLogger("ipfin.jobs")
Clock = Callable[[], datetime]
# How late a slot may still start (APScheduler's misfire grace), and how far back start-up looks.
MISFIRE_GRACE = timedelta(hours=2)
CATCH_UP_LOOKBACK = timedelta(days=8)


class UnknownJob(KeyError):
    pass


def latest_slot(trigger: CronTrigger, now: datetime, lookback: timedelta) -> datetime | None:
    """The trigger's latest fire time at or before `now`, looking back at most `lookback`."""
    moment = trigger.get_next_fire_time(None, now - lookback)
    last = None
    while moment is not None and moment <= now:
        last = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(microseconds=1))
    return last


def run_job(
    engine: Engine,
    name: str,
    *,
    settings: Settings,
    slot: str | None = None,
    trigger: str = "manual",
    now: datetime | None = None,
    params: dict[str, Any] | None = None,
    background: bool = False,
) -> JobRun:
    """Claim the slot (default: a fresh manual one) and run the job; raise SlotClaimed when the
    slot is taken. In the background, return the claimed run at once (poll it for progress)."""
    if name not in JOBS:
        raise UnknownJob(name)
    moment = now or utcnow()
    run = claim(engine, name, slot or manual_slot(utcnow()), trigger)
    return run_claimed(engine, run, settings=settings, now=moment, params=params, background=background)


def run_claimed(
    engine: Engine, run: JobRun, *, settings: Settings, now: datetime, params: dict[str, Any] | None, background: bool
) -> JobRun:
    kwargs = {"now": now, "settings": settings, "params": params}
    if not background:
        return work(engine, run, JOBS[run.job].work, **kwargs)
    thread = threading.Thread(
        target=work, args=(engine, run, JOBS[run.job].work), kwargs=kwargs, name=f"job-{run.job}-{run.id}", daemon=True
    )
    thread.start()
    return run


def fire(engine: Engine, settings: Settings, name: str, clock: Clock = utcnow) -> None:
    """What APScheduler calls: run the slot it fired for, unless another scheduler has it."""
    slot = latest_slot(JOBS[name].trigger(), clock(), MISFIRE_GRACE)
    if slot is None:
        return
    try:
        run_job(engine, name, settings=settings, slot=slot_name(slot), trigger="schedule", now=slot)
    except SlotClaimed as taken:
        log.info("%s", taken)


def catch_up(engine: Engine, settings: Settings, clock: Clock = utcnow) -> list[JobRun]:
    """Run each job's latest missed slot (of the last eight days) that no run has claimed."""
    now = clock()
    done = []
    for job in JOBS.values():
        slot = latest_slot(job.trigger(), now, CATCH_UP_LOOKBACK) if job.catch_up else None
        if slot is None:
            continue
        with transaction(engine) as session:
            taken = session.scalar(select(JobRun.id).where(JobRun.job == job.name, JobRun.slot == slot_name(slot)))
        if taken is None:
            with contextlib.suppress(SlotClaimed):
                done.append(
                    run_job(engine, job.name, settings=settings, slot=slot_name(slot), trigger="catch_up", now=slot)
                )
    return done


def build(engine: Engine, settings: Settings, *, blocking: bool, clock: Clock = utcnow) -> BaseScheduler:
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our runs are logged and stored
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(
        timezone=BUSINESS_TZ,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
        },
    )
    for job in JOBS.values():
        scheduler.add_job(fire, job.trigger(), args=(engine, settings, job.name, clock), id=job.name, name=job.name)
    return scheduler


def start(engine: Engine, settings: Settings, *, blocking: bool) -> BaseScheduler:
    """Mark runs of dead processes failed, catch up missed slots, then run on schedule."""
    failed = mark_dead(engine)
    if failed:
        log.warning("%d run(s) left running by a stopped process marked failed", failed)
    scheduler = build(engine, settings, blocking=blocking)
    if blocking:
        catch_up(engine, settings)
        scheduler.start()  # returns when the process is told to stop
    else:
        threading.Thread(target=catch_up, args=(engine, settings), name="job-catch-up", daemon=True).start()
        scheduler.start()
    return scheduler


class Leadership:
    """The deployment-wide scheduler lock, held for the process's life."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._connection = None
        self._file = None

    def acquire(self) -> bool:
        if is_sqlite(self.engine):
            database = make_url(str(self.engine.url)).database or "ipfin"
            self._file = Path(f"{database}.scheduler.lock").open("w")  # noqa: SIM115 — held until release
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._file.close()
                self._file = None
                return False
            return True
        key = int.from_bytes(hashlib.sha256(b"ipfin-scheduler").digest()[:8], "big", signed=True)
        self._connection = self.engine.connect()
        got = self._connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one()
        self._connection.commit()
        if not got:
            self._connection.close()
            self._connection = None
        return bool(got)

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # ends the session, which releases its advisory lock
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None


class InProcess:
    """A scheduler inside an API worker, when that worker holds the deployment's lock."""

    def __init__(self, leadership: Leadership, scheduler: BaseScheduler):
        self.leadership, self.scheduler = leadership, scheduler

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        self.leadership.release()


def start_in_process(engine: Engine, settings: Settings) -> InProcess | None:
    """Start the scheduler in this API process if no other process runs it (else None)."""
    leadership = Leadership(engine)
    if not leadership.acquire():
        log.info("another process runs the scheduler")
        return None
    return InProcess(leadership, start(engine, settings, blocking=False))
