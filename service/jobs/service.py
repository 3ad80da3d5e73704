"""Job runs: claiming a slot, running the job with heartbeats and progress, recording the end.

A run claims its slot by inserting its `job_runs` row in a transaction of its own; the unique
(job, slot) makes every other claimant fail, so a slot runs once however many schedulers, workers
or hands start it. A job that raises is recorded as failed and never propagates: the next job
runs. A heartbeat thread touches the row while the job works, so a run whose process died is
told apart from a long one (`mark_dead`)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.db import transaction
from service.models import JobRun, ValuationRun
from service.models.enums import JobStatus
from service.models.types import utcnow
from service.settings import Settings

log = logging.getLogger("ipfin.jobs")

# Business schedules and business dates are the county's (DESIGN.md §10); stored times are UTC.
BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
HEARTBEAT_SECONDS = 30
# A running run whose heartbeat is older than this is taken as dead (its process is gone).
STALE_AFTER = timedelta(minutes=10)
OWNER = f"{socket.gethostname()}:{os.getpid()}"


def business_date(moment: datetime) -> date:
    """The county's calendar date at a UTC moment: the as-of date of a scheduled job."""
    return moment.astimezone(BUSINESS_TZ).date()


def slot_name(moment: datetime) -> str:
    """A scheduled slot as stored: its fire time in UTC, ISO 8601 to the second."""
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def manual_slot(moment: datetime) -> str:
    """A slot for a run started by hand: its start time to the microsecond (one per request)."""
    return "manual-" + moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class JobContext:
    """What a job gets: the engine, the moment it runs for (the slot's time, or now when started
    by hand — tests pass their own), the county's date at that moment, and a progress callback."""

    engine: Engine
    now: datetime
    settings: Settings
    run_id: int
    params: dict[str, Any] = field(default_factory=dict)
    progress: Callable[[int, int | None], None] = lambda done, total: None

    @property
    def today(self) -> date:
        return business_date(self.now)


Work = Callable[[JobContext], dict[str, Any]]


class SlotClaimed(Exception):
    def __init__(self, run: JobRun):
        super().__init__(f"{run.job} slot {run.slot} is already claimed by run {run.id} ({run.status})")
        self.run = run


def claim(engine: Engine, job: str, slot: str, trigger: str) -> JobRun:
    """Insert the run's row, or raise SlotClaimed with the run that has the slot. Its times are
    the wall clock's (the slot says which moment the run is for)."""
    moment = utcnow()
    try:
        with transaction(engine) as session:
            run = JobRun(job=job, slot=slot, trigger=trigger, owner=OWNER, started_at=moment, heartbeat_at=moment)
            session.add(run)
            session.flush()
            return run
    except IntegrityError:
        with transaction(engine) as session:
            holder = session.scalars(select(JobRun).where(JobRun.job == job, JobRun.slot == slot)).one()
        raise SlotClaimed(holder) from None


def _touch(engine: Engine, run_id: int, **values: Any) -> None:
    with transaction(engine) as session:
        session.execute(update(JobRun).where(JobRun.id == run_id).values(heartbeat_at=utcnow(), **values))


class _Heartbeat:
    """Touches the run's row every HEARTBEAT_SECONDS while the job works (a short write)."""

    def __init__(self, engine: Engine, run_id: int):
        self.engine, self.run_id, self.stop = engine, run_id, threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

    def _beat(self) -> None:
        while not self.stop.wait(HEARTBEAT_SECONDS):
            try:
                _touch(self.engine, self.run_id)
            except Exception:  # a missed beat is harmless; the job goes on
                log.warning("heartbeat of run %s failed", self.run_id, exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def work(
    engine: Engine, run: JobRun, fn: Work, *, now: datetime, settings: Settings, params: dict | None = None
) -> JobRun:
    """Run a claimed job to its end; failures are recorded, never raised."""

    def progress(done: int, total: int | None) -> None:
        _touch(engine, run.id, progress_done=done, progress_total=total)

    context = JobContext(engine, now, settings, run.id, params or {}, progress)
    try:
        with _Heartbeat(engine, run.id):
            counts = fn(context)
        _touch(engine, run.id, status=JobStatus.done, detail=counts, finished_at=utcnow())
    except Exception as exc:
        log.exception("job %s (slot %s) failed", run.job, run.slot)
        error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
        _touch(engine, run.id, status=JobStatus.failed, error=error, finished_at=utcnow())
    with transaction(engine) as session:
        return session.get(JobRun, run.id)


def mark_dead(engine: Engine, *, now: datetime | None = None) -> int:
    """Mark failed the runs left running by a process that is gone: on this host, one whose
    process no longer exists; anywhere, one whose heartbeat stopped STALE_AFTER ago."""
    moment = now or utcnow()
    host = socket.gethostname()
    with transaction(engine) as session:
        running = session.scalars(select(JobRun).where(JobRun.status == JobStatus.running)).all()
        dead = [run.id for run in running if _gone(run, host) or run.heartbeat_at < moment - STALE_AFTER]
        if dead:
            session.execute(
                update(JobRun)
                .where(JobRun.id.in_(dead), JobRun.status == JobStatus.running)
                .values(status=JobStatus.failed, error="the process running it stopped", finished_at=moment)
            )
            # A portfolio valuation the dead run was computing would otherwise show "running" for ever.
            session.execute(
                update(ValuationRun)
                .where(ValuationRun.job_run_id.in_(dead), ValuationRun.status == "running")
                .values(status="failed", finished_at=moment, counts={"error": "the process running it stopped"})
            )
        return len(dead)


def _gone(run: JobRun, host: str) -> bool:
    owner_host, _, pid = (run.owner or "").rpartition(":")
    if owner_host != host or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def runs_query(job: str | None = None, status: str | None = None):
    statement = select(JobRun).order_by(JobRun.id.desc())
    if job:
        statement = statement.where(JobRun.job == job)
    if status:
        statement = statement.where(JobRun.status == status)
    return statement


def last_runs(session: Session) -> dict[str, JobRun]:
    """Each job's newest run."""
    newest = select(func.max(JobRun.id)).group_by(JobRun.job)
    return {run.job: run for run in session.scalars(select(JobRun).where(JobRun.id.in_(newest))).all()}


def prune(session: Session, *, older_than: datetime, jobs: tuple[str, ...]) -> int:
    """Delete finished runs of frequent jobs older than a date, keeping failures (the history
    worth reading) — a job that fires every minute would otherwise add half a million rows a year."""
    return session.execute(
        delete(JobRun).where(JobRun.job.in_(jobs), JobRun.status == JobStatus.done, JobRun.finished_at < older_than)
    ).rowcount
