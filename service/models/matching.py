"""Match runs, their proposals and the reviewers' decisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models.enums import ProposalStatus, one_of
from service.models.types import UTCDateTime, utcnow


class MatchRun(SQLModel, table=True):
    __tablename__ = "match_runs"

    id: int | None = Field(default=None, primary_key=True)
    created_by: str | None = Field(default=None, max_length=100)
    parameters: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    input_hash: str = Field(max_length=64)
    solver_status: str = Field(max_length=40)
    objective: float
    greedy_objective: float | None = None
    timings: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The solver's report, counts, and every enterprise left without a proposal with the reason.
    summary: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    n_enterprises: int
    n_products: int
    n_proposals: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MatchProposal(SQLModel, table=True):
    """The product the optimiser assigned to one enterprise in one run."""

    __tablename__ = "match_proposals"
    __table_args__ = (
        UniqueConstraint("run_id", "enterprise_id"),
        one_of("status", ProposalStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="match_runs.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprises.id", index=True)
    product_id: int = Field(foreign_key="pledge_products.id", index=True)
    bank_id: int = Field(foreign_key="banks.id", index=True)
    amount_fen: int = Field(sa_type=BigInteger)
    fit: float
    parallel_track: bool = False  # 并轨: the product's bank holds the enterprise's credit loan
    status: str = Field(default=ProposalStatus.proposed, max_length=16, index=True)
    # Backing patents with the amount each supports, fit components, alternatives, reasons.
    explanation: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReviewDecision(SQLModel, table=True):
    """A reviewer's decision. Unique per proposal: of two concurrent reviewers exactly one wins."""

    __tablename__ = "review_decisions"
    __table_args__ = (CheckConstraint("decision IN ('approved', 'rejected')", name="decision_valid"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="match_proposals.id", unique=True)
    decision: str = Field(max_length=16)
    reviewer: str = Field(max_length=100)
    comment: str | None = None
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
