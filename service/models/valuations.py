"""Valuations: survival-model fits, portfolio runs and per-patent results with their inputs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models.enums import Grade, one_of
from service.models.types import UTCDateTime, utcnow


class SurvivalFit(SQLModel, table=True):
    """The reference a portfolio run valued against (``parameters``: ``valuation.Reference.to_dict()``,
    citation field rates and the maintenance model), built on the county's patents or the shipped one."""

    __tablename__ = "survival_fits"

    id: int | None = Field(default=None, primary_key=True)
    model_version: str = Field(max_length=40)
    source: str = Field(max_length=16)  # the survival model's: fitted | reference
    as_of: date
    n_patents: int
    n_events: int
    parameters: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ValuationRun(SQLModel, table=True):
    __tablename__ = "valuation_runs"

    id: int | None = Field(default=None, primary_key=True)
    as_of: date
    model_version: str = Field(max_length=40)
    survival_fit_id: int | None = Field(default=None, foreign_key="survival_fits.id")
    status: str = Field(default="running", max_length=16)  # running | done | failed
    requested_by: str | None = Field(default=None, max_length=100)
    job_run_id: int | None = Field(default=None, foreign_key="job_runs.id")  # the run that computed it
    counts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Valuation(SQLModel, table=True):
    """One patent's valuation. Same patent, date, model and inputs → the same row (idempotent)."""

    __tablename__ = "valuations"
    __table_args__ = (
        UniqueConstraint("patent_id", "as_of", "model_version", "inputs_hash"),
        one_of("grade", Grade),
    )

    id: int | None = Field(default=None, primary_key=True)
    patent_id: int = Field(foreign_key="patents.id", index=True)
    run_id: int | None = Field(default=None, foreign_key="valuation_runs.id", index=True)
    as_of: date
    model_version: str = Field(max_length=40)
    inputs_hash: str = Field(max_length=64)
    inputs: dict = Field(sa_column=Column(JSON, nullable=False))
    score: float
    legal_score: float
    technical_score: float
    economic_score: float
    grade: str = Field(max_length=1)
    eligible: bool
    high_value: bool = Field(index=True)
    high_value_flags: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    p_alive_1y: float
    p_alive_3y: float
    p_alive_5y: float
    expected_life_years: float
    value_p10_fen: int | None = Field(default=None, sa_type=BigInteger)
    value_p50_fen: int | None = Field(default=None, sa_type=BigInteger)
    value_p90_fen: int | None = Field(default=None, sa_type=BigInteger)
    max_loan_fen: int | None = Field(default=None, sa_type=BigInteger)
    # reasons, risk flags, explanation and the rest of the engine's output, as it gave them.
    result: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
