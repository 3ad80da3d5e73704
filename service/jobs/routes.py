"""Jobs API: the schedule, the runs (staff), starting a run by hand (admin)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody

from service.dates import as_of_or_today
from service.deps import STAFF, Authorized, DbSession, require
from service.errors import STAFF_READ, WRITE, ApiError, not_found
from service.jobs.registry import JOBS
from service.jobs.scheduler import UnknownJob, run_job
from service.jobs.schemas import JobRead, JobRunCreate, JobRunRead
from service.jobs.service import BUSINESS_TZ, SlotClaimed, last_runs, runs_query
from service.models import JobRun
from service.models.enums import JobStatus
from service.pagination import Limit, Offset, Page, page_of, paginate
from service.structs import from_row


def run_read(run: JobRun) -> JobRunRead:
    return from_row(JobRunRead, run)


class JobController(Controller):
    path = "/api/v1/jobs"
    tags = ["jobs"]

    @get("/", sync_to_thread=True, responses=STAFF_READ, dependencies={"staff": STAFF}, summary="The scheduled jobs")
    def jobs(self, db_session: DbSession, staff: Authorized, limit: Limit = 50, offset: Offset = 0) -> Page[JobRead]:
        last = last_runs(db_session)
        items = [
            JobRead(
                name=job.name,
                description=job.description,
                schedule=job.schedule,
                timezone=str(BUSINESS_TZ),
                catch_up=job.catch_up,
                last_run=run_read(last[job.name]) if job.name in last else None,
            )
            for job in JOBS.values()
        ]
        return page_of(items, limit, offset)

    @get(
        "/runs",
        sync_to_thread=True,
        responses=STAFF_READ,
        dependencies={"staff": STAFF},
        summary="Job runs, newest first",
    )
    def runs(
        self,
        db_session: DbSession,
        staff: Authorized,
        job: FromQuery[str | None] = None,
        status: FromQuery[JobStatus | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[JobRunRead]:
        rows, total = paginate(db_session, runs_query(job, status), limit, offset)
        return Page([run_read(run) for (run,) in rows], total, limit, offset)

    @get(
        "/runs/{run_id:int}",
        sync_to_thread=True,
        responses=STAFF_READ,
        dependencies={"staff": STAFF},
        summary="One job run with its progress",
    )
    def run(self, db_session: DbSession, staff: Authorized, run_id: FromPath[int]) -> JobRunRead:
        run = db_session.get(JobRun, run_id)
        if run is None:
            raise not_found("job run", run_id)
        return run_read(run)

    @post(
        "/{name:str}/runs",
        sync_to_thread=True,
        responses=WRITE,
        status_code=202,
        dependencies={"admin": require("admin")},
        summary="Start a job now (in the background; poll the run); a slot already claimed is 409",
    )
    def start(self, state: State, admin: Authorized, name: FromPath[str], data: JSONBody[JobRunCreate]) -> JobRunRead:
        params = {"requested_by": admin.name}
        if data.as_of is not None:
            if name != "revalue":
                raise ApiError(422, "invalid_field", "as_of applies to the revalue job only")
            params["as_of"] = as_of_or_today(data.as_of)
        try:
            run = run_job(state.engine, name, settings=state.settings, slot=data.slot, params=params, background=True)
        except UnknownJob:
            raise ApiError(404, "not_found", f"no job named {name!r}; jobs: {', '.join(JOBS)}") from None
        except SlotClaimed as taken:
            raise ApiError(
                409, "slot_claimed", str(taken), [{"run_id": taken.run.id, "status": taken.run.status}]
            ) from None
        return run_read(run)
