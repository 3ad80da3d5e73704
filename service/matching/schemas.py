from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from service.matching.inputs import Population


class RunCreate(msgspec.Struct, forbid_unknown_fields=True):
    as_of: date | None = None
    population: Population = Population.credit_loan_holders


class MatchRunRead(msgspec.Struct):
    id: int
    created_by: str | None
    created_at: datetime
    parameters: dict[str, Any]
    input_hash: str
    solver_status: str
    objective: float
    greedy_objective: float | None
    timings: dict[str, Any]
    summary: dict[str, Any]
    n_enterprises: int
    n_products: int
    n_proposals: int


class ProposalRead(msgspec.Struct):
    id: int
    run_id: int
    status: str
    enterprise_credit_code: str
    enterprise_name: str
    industry_cluster: str
    bank_code: str
    product_code: str
    product_name: str
    amount_fen: int
    fit: float
    parallel_track: bool
    created_at: datetime
    explanation: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None
    whitelist_entry_id: int | None = None
    # The backing patents (application number, allocated and supported amounts) and, when the pair
    # was rejected before, that rejection and what changed since.
    patents: list[dict[str, Any]] = []
    earlier_rejection: dict[str, Any] | None = None


class DecisionCreate(msgspec.Struct, forbid_unknown_fields=True):
    decision: Literal["approved", "rejected"]
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class DecisionRead(msgspec.Struct):
    proposal_id: int
    decision: str
    reviewer: str
    comment: str | None
    decided_at: datetime
    whitelist_entry_id: int | None
