"""Running jobs once per slot: across processes (the CLI twice at once), after a crash, after
downtime (catch-up), and when a job raises. Slots are computed from cron triggers in Asia/Shanghai."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
from collateral import build, moment
from sqlalchemy import func, select

from service.db import transaction
from service.jobs import registry
from service.jobs.registry import JOBS, Job
from service.jobs.scheduler import catch_up, fire, latest_slot, run_job
from service.jobs.service import OWNER, SlotClaimed, mark_dead
from service.models import Alert, JobRun, ValuationRun
from service.settings import Settings


def test_latest_slot_is_the_last_fire_time_in_shanghai():
    nightly = JOBS["revalue"].trigger()  # 02:00 Asia/Shanghai = 18:00 UTC the day before
    assert latest_slot(nightly, datetime(2026, 11, 29, 17, 59, tzinfo=UTC), timedelta(days=2)) == datetime(
        2026, 11, 28, 18, 0, tzinfo=UTC
    )
    assert latest_slot(nightly, datetime(2026, 11, 29, 18, 0, tzinfo=UTC), timedelta(days=2)) == datetime(
        2026, 11, 29, 18, 0, tzinfo=UTC
    )
    weekly = JOBS["target-snapshots"].trigger()  # Mondays 06:00 Shanghai; 2026-11-30 is a Monday
    assert latest_slot(weekly, datetime(2026, 12, 2, tzinfo=UTC), timedelta(days=8)) == datetime(
        2026, 11, 29, 22, 0, tzinfo=UTC
    )
    assert latest_slot(weekly, datetime(2026, 11, 29, 21, 59, tzinfo=UTC), timedelta(days=1)) is None


def _cli(database_url: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "IPFIN_DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_the_same_slot_started_twice_at_once_makes_one_run(engine, database_url):
    build(engine)
    both = [_cli(database_url, "jobs", "run", "fee-monitoring", "--slot", "S") for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in both]
    assert [process.returncode for process in both] == [0, 0], outputs
    said = sorted(out for out, _ in outputs)
    assert "already claimed" in said[1] and "done" in said[0], said
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(JobRun)) == 1
        raised = session.scalar(select(func.count()).select_from(Alert))
    assert raised == 3  # today all three watched patents are past their grace period
    # A second slot raises nothing new.
    second = _cli(database_url, "jobs", "run", "fee-monitoring", "--slot", "S2")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0 and '"raised": 0' in out, (out, err)


def test_two_schedulers_firing_one_slot_make_one_run(engine, database_url):
    """Both fire() for the same scheduled moment, in parallel threads, as two processes would."""
    import threading

    build(engine)
    settings = Settings(database_url=database_url)
    at = datetime(2026, 11, 29, 23, 0, 30, tzinfo=UTC)  # 30 s after 07:00 Shanghai

    threads = [threading.Thread(target=fire, args=(engine, settings, "fee-monitoring", lambda: at)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with transaction(engine) as session:
        runs = session.scalars(select(JobRun)).all()
    assert [(r.job, r.slot, r.trigger, r.status) for r in runs] == [
        ("fee-monitoring", "2026-11-29T23:00:00Z", "schedule", "done")
    ]


def test_a_job_that_raises_is_recorded_and_the_next_one_runs(engine, database_url, monkeypatch):
    def broken(context):
        raise RuntimeError("the register could not be read")

    monkeypatch.setitem(registry.JOBS, "broken", Job("broken", "测试", {"minute": "0"}, broken))
    settings = Settings(database_url=database_url)
    failed = run_job(engine, "broken", settings=settings, slot="a")
    assert failed.status == "failed" and "RuntimeError: the register could not be read" in failed.error
    assert failed.finished_at is not None
    ok = run_job(engine, "pledge-maturity", settings=settings, slot="a")
    assert ok.status == "done" and ok.detail == {"released": 0}
    with pytest.raises(SlotClaimed):
        run_job(engine, "broken", settings=settings, slot="a")


def test_runs_of_dead_processes_are_marked_failed_at_start(engine):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    host = OWNER.rpartition(":")[0]
    now = datetime.now(UTC)
    try:
        with transaction(engine) as session:
            for slot, owner, beat in [
                ("dead-here", f"{host}:{dead_pid}", now),  # its process is gone
                ("silent-elsewhere", "other-host:1", now - timedelta(minutes=11)),  # heartbeat stopped
                ("alive-here", f"{host}:{alive.pid}", now),
                ("busy-elsewhere", "other-host:2", now - timedelta(minutes=1)),
            ]:
                session.add(JobRun(job="revalue", slot=slot, owner=owner, heartbeat_at=beat, started_at=beat))
            session.flush()
            dead_run = session.scalars(select(JobRun).where(JobRun.slot == "dead-here")).one()
            session.add(ValuationRun(as_of=date(2026, 11, 1), model_version="test", job_run_id=dead_run.id))
        assert mark_dead(engine, now=now) == 2
        with transaction(engine) as session:
            status = dict(session.execute(select(JobRun.slot, JobRun.status)).all())
            assert session.scalars(select(ValuationRun.status)).one() == "failed"
        assert status == {
            "dead-here": "failed",
            "silent-elsewhere": "failed",
            "alive-here": "running",
            "busy-elsewhere": "running",
        }
    finally:
        alive.kill()
        alive.wait()


def test_missed_slots_are_caught_up_once_at_start(engine, database_url):
    build(engine)
    settings = Settings(database_url=database_url)
    # The scheduler was down over Monday morning: 2026-11-30 09:00 Shanghai, after every job's slot.
    clock = lambda: moment(date(2026, 11, 30), hour=1)  # noqa: E731
    caught = {run.job: run for run in catch_up(engine, settings, clock)}
    expected = {job.name for job in JOBS.values() if job.catch_up}
    assert set(caught) == expected
    assert caught["fee-monitoring"].slot == "2026-11-29T23:00:00Z" and caught["fee-monitoring"].trigger == "catch_up"
    assert caught["target-snapshots"].slot == "2026-11-29T22:00:00Z"
    assert all(run.status == "done" for run in caught.values()), {r.job: r.error for r in caught.values()}
    assert catch_up(engine, settings, clock) == []  # nothing is run twice


def test_the_nightly_valuation_pauses_the_cyclic_collector_and_resumes_it(engine, database_url, monkeypatch):
    """Its millions of objects hold no cycles: the collector's passes cost a quarter of its CPU."""
    import gc

    from service.valuations import service as valuations

    build(engine)
    seen = []
    real = valuations.valuate

    def valuate(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(valuations, "valuate", valuate)
    assert gc.isenabled()
    run = run_job(engine, "revalue", settings=Settings(database_url=database_url), slot="gc")
    assert run.status == "done", run.error
    assert seen == [False] and gc.isenabled()
