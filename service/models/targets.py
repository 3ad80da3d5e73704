"""Targets of the county's plan: data, not code."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models.enums import TargetMetric, one_of
from service.models.types import UTCDateTime, utcnow


class Target(SQLModel, table=True):
    __tablename__ = "targets"
    __table_args__ = (
        one_of("metric", TargetMetric),
        CheckConstraint("figure > 0", name="figure_positive"),
        CheckConstraint("deadline >= window_start", name="deadline_after_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    metric: str = Field(max_length=40)
    figure: int = Field(sa_type=BigInteger)  # fen for pledge_amount, a count otherwise
    window_start: date
    deadline: date
    source: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TargetSnapshot(SQLModel, table=True):
    """A target's progress as the weekly `target-snapshots` job saw it (the dashboard's history)."""

    __tablename__ = "target_snapshots"
    __table_args__ = (UniqueConstraint("target_id", "taken_on"),)

    id: int | None = Field(default=None, primary_key=True)
    target_id: int = Field(foreign_key="targets.id", index=True)
    taken_on: date  # the as-of date of the progress it holds
    achieved: int = Field(sa_type=BigInteger)  # same unit as the target's figure
    progress: dict = Field(sa_column=Column(JSON, nullable=False))
    taken_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
