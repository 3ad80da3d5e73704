"""Scheduled job runs: one row per (job, slot) so a slot runs once however many schedulers fire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models.enums import JobStatus, one_of
from service.models.types import UTCDateTime, utcnow


class JobRun(SQLModel, table=True):
    """A run claims its slot by inserting this row in its own transaction: the unique (job, slot)
    makes a second claimant fail, so the work happens once. `owner` and `heartbeat_at` let a
    starting scheduler tell a run whose process died from one that is still working."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "slot"), one_of("status", JobStatus))

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64)
    slot: str = Field(max_length=40)  # the scheduled time, ISO 8601 UTC, or a name given by hand
    trigger: str = Field(default="schedule", max_length=16)  # schedule | catch_up | manual
    status: str = Field(default=JobStatus.running, max_length=16, index=True)
    owner: str | None = Field(default=None, max_length=120)  # host:pid of the process running it
    progress_done: int = 0
    progress_total: int | None = None
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # counts
    error: str | None = Field(default=None, sa_column=Column(Text))
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
