"""Scheduled job runs: one row per (job, slot) so a slot runs once however many schedulers fire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models.types import UTCDateTime, utcnow


class JobRun(SQLModel, table=True):
    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64)
    slot: str = Field(max_length=40)  # the scheduled time, ISO 8601 UTC
    status: str = Field(default="running", max_length=16)  # running | done | failed
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
