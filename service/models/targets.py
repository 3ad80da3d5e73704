"""Targets of the county's plan: data, not code."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint
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
