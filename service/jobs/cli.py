"""`ipfin jobs …` (list, runs, run one by hand) and `ipfin scheduler` (the deployment's scheduler)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time


def _print_run(run) -> None:
    took = f", {(run.finished_at - run.started_at).total_seconds():.1f} s" if run.finished_at else ""
    print(f"run {run.id}: {run.job} slot {run.slot} ({run.trigger}) {run.status}{took}")
    if run.detail:
        print("  " + json.dumps(run.detail, ensure_ascii=False, default=str))
    if run.error:
        print(f"  error: {run.error}")


def run_jobs(args: argparse.Namespace, engine, settings) -> int:
    from service.db import transaction
    from service.jobs.registry import JOBS
    from service.jobs.scheduler import UnknownJob, run_job
    from service.jobs.service import SlotClaimed, last_runs, runs_query

    if args.action == "list":
        with transaction(engine) as session:
            last = last_runs(session)
        for job in JOBS.values():
            latest = last.get(job.name)
            print(f"{job.name:18s} {job.schedule:32s} {job.description}")
            if latest:
                print(f"{'':18s} last: run {latest.id} slot {latest.slot} {latest.status}")
        return 0
    if args.action == "runs":
        with transaction(engine) as session:
            for run in session.scalars(runs_query(args.name).limit(args.limit)).all():
                _print_run(run)
        return 0
    if not args.name:
        print("error: jobs run needs the job's name; `ipfin jobs list` shows them", file=sys.stderr)
        return 2
    try:
        run = run_job(engine, args.name, settings=settings, slot=args.slot)
    except UnknownJob:
        print(f"error: no job named {args.name!r}; jobs: {', '.join(JOBS)}", file=sys.stderr)
        return 2
    except SlotClaimed as taken:
        print(f"slot {taken.run.slot} of {args.name} is already claimed by run {taken.run.id} ({taken.run.status})")
        return 0
    _print_run(run)
    return 0 if run.status == "done" else 1


def run_scheduler(engine, settings) -> int:
    from service.jobs.scheduler import Leadership, start

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    log = logging.getLogger("ipfin.jobs")
    leadership = Leadership(engine)
    while not leadership.acquire():
        log.info("another scheduler holds the lock; standing by")
        time.sleep(30)
    log.info("scheduler started (Asia/Shanghai schedules)")
    try:
        start(engine, settings, blocking=True)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        leadership.release()
    return 0


def add_parser(commands, jobs_command, scheduler_command) -> None:
    jobs = commands.add_parser("jobs", help="scheduled jobs: list, runs, run one now")
    jobs.add_argument("action", choices=["list", "runs", "run"])
    jobs.add_argument("name", nargs="?", help="the job (run; runs: only this job)")
    jobs.add_argument("--slot", help="run: the slot to claim (default a new manual slot); a claimed slot exits 0")
    jobs.add_argument("--limit", type=int, default=20, help="runs: how many (default 20)")
    jobs.set_defaults(run=jobs_command)
    scheduler = commands.add_parser("scheduler", help="run the deployment's scheduler (one per deployment)")
    scheduler.set_defaults(run=scheduler_command)
