"""Matching runs, proposals and their review (staff), and an enterprise's eligibility per product."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from service.dates import as_of_or_today
from service.deps import STAFF, Authorized, DbSession
from service.enterprises.service import credit_code_param
from service.errors import STAFF_READ, WRITE, not_found
from service.matching.schemas import DecisionCreate, DecisionRead, MatchRunRead, ProposalRead, RunCreate
from service.matching.service import create_run, decide, enterprise_eligibility
from service.models import Bank, Enterprise, MatchProposal, MatchRun, ReviewDecision, WhitelistEntry
from service.models.enums import Cluster, ProposalStatus
from service.pagination import Limit, Offset, Page, page_of, paginate
from service.structs import from_row


def _proposal_query():
    return (
        select(MatchProposal, Enterprise, Bank.code)
        .join(Enterprise, Enterprise.id == MatchProposal.enterprise_id)
        .join(Bank, Bank.id == MatchProposal.bank_id)
    )


def _proposal_read(proposal: MatchProposal, enterprise: Enterprise, bank_code: str, **extra: Any) -> ProposalRead:
    product = proposal.explanation.get("product", {})
    return from_row(
        ProposalRead,
        proposal,
        enterprise_credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        industry_cluster=enterprise.industry_cluster,
        bank_code=bank_code,
        product_code=product.get("code", ""),
        product_name=product.get("name", ""),
        explanation=extra.get("explanation"),
        decision=extra.get("decision"),
        whitelist_entry_id=extra.get("whitelist_entry_id"),
        patents=[
            {k: p.get(k) for k in ("application_no", "allocated_fen", "supports_fen")}
            for p in proposal.explanation.get("proposal", {}).get("patents", [])
        ],
        earlier_rejection=proposal.explanation.get("earlier_rejection"),
    )


def _decision_read(decision: ReviewDecision) -> dict[str, Any]:
    return {
        "decision": decision.decision,
        "reviewer": decision.reviewer,
        "comment": decision.comment,
        "decided_at": decision.decided_at,
    }


class MatchingController(Controller):
    path = "/api/v1"
    tags = ["matching"]
    dependencies = {"staff": STAFF}

    @post(
        "/matching/runs",
        sync_to_thread=True,
        responses=WRITE,
        status_code=201,
        summary="Run matching on the current data",
    )
    def run(self, db_session: DbSession, staff: Authorized, data: JSONBody[RunCreate]) -> MatchRunRead:
        run = create_run(db_session, as_of=as_of_or_today(data.as_of), population=data.population, actor=staff.name)
        return from_row(MatchRunRead, run)

    @get("/matching/runs", sync_to_thread=True, responses=STAFF_READ, summary="Match runs, newest first")
    def runs(
        self, db_session: DbSession, staff: Authorized, limit: Limit = 50, offset: Offset = 0
    ) -> Page[MatchRunRead]:
        rows, total = paginate(db_session, select(MatchRun).order_by(MatchRun.id.desc()), limit, offset)
        return Page([from_row(MatchRunRead, run) for (run,) in rows], total, limit, offset)

    @get("/matching/runs/{run_id:int}", sync_to_thread=True, responses=STAFF_READ, summary="One match run")
    def get_run(self, db_session: DbSession, staff: Authorized, run_id: FromPath[int]) -> MatchRunRead:
        run = db_session.get(MatchRun, run_id)
        if run is None:
            raise not_found("match run", run_id)
        return from_row(MatchRunRead, run)

    @get(
        "/matching/proposals",
        sync_to_thread=True,
        responses=STAFF_READ,
        summary="Proposals, filtered by status, bank, cluster, run",
    )
    def proposals(
        self,
        db_session: DbSession,
        staff: Authorized,
        status: FromQuery[ProposalStatus | None] = None,
        bank: FromQuery[str | None] = None,
        cluster: FromQuery[Cluster | None] = None,
        run_id: FromQuery[int | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ProposalRead]:
        statement = _proposal_query().order_by(MatchProposal.id.desc())
        if status:
            statement = statement.where(MatchProposal.status == status)
        if bank:
            statement = statement.where(Bank.code == bank.upper())
        if cluster:
            statement = statement.where(Enterprise.industry_cluster == cluster)
        if run_id is not None:
            statement = statement.where(MatchProposal.run_id == run_id)
        rows, total = paginate(db_session, statement, limit, offset)
        ids = [proposal.id for proposal, *_ in rows]
        decisions = {
            d.proposal_id: _decision_read(d)
            for d in db_session.scalars(select(ReviewDecision).where(ReviewDecision.proposal_id.in_(ids)))
        }
        entries = dict(
            db_session.execute(
                select(WhitelistEntry.proposal_id, WhitelistEntry.id).where(WhitelistEntry.proposal_id.in_(ids))
            ).all()
        )
        items = [
            _proposal_read(*row, decision=decisions.get(row[0].id), whitelist_entry_id=entries.get(row[0].id))
            for row in rows
        ]
        return Page(items, total, limit, offset)

    @get(
        "/matching/proposals/{proposal_id:int}",
        sync_to_thread=True,
        responses=STAFF_READ,
        summary="A proposal with its full explanation and decision",
    )
    def proposal(self, db_session: DbSession, staff: Authorized, proposal_id: FromPath[int]) -> ProposalRead:
        row = db_session.execute(_proposal_query().where(MatchProposal.id == proposal_id)).first()
        if row is None:
            raise not_found("proposal", proposal_id)
        decision = db_session.scalars(select(ReviewDecision).where(ReviewDecision.proposal_id == proposal_id)).first()
        entry_id = db_session.scalar(select(WhitelistEntry.id).where(WhitelistEntry.proposal_id == proposal_id))
        return _proposal_read(
            *row,
            explanation=row[0].explanation,
            whitelist_entry_id=entry_id,
            decision=None if decision is None else _decision_read(decision),
        )

    @post(
        "/matching/proposals/{proposal_id:int}/decision",
        sync_to_thread=True,
        responses=WRITE,
        status_code=200,
        summary="Approve or reject a proposal (a comment is required to reject)",
        description="Exactly one decision wins; a later or concurrent one gets 409 with the winner's decision "
        "in details. Approval publishes the whitelist entry for the product's bank.",
    )
    def decide(
        self, db_session: DbSession, staff: Authorized, proposal_id: FromPath[int], data: JSONBody[DecisionCreate]
    ) -> DecisionRead:
        record, entry = decide(db_session, proposal_id, ProposalStatus(data.decision), staff.name, data.comment)
        return DecisionRead(
            proposal_id,
            record.decision,
            record.reviewer,
            record.comment,
            record.decided_at,
            entry.id if entry else None,
        )

    @get(
        "/enterprises/{credit_code:str}/eligibility",
        sync_to_thread=True,
        responses=STAFF_READ,
        summary="For each product: eligible or not, and why (in Chinese)",
    )
    def eligibility(
        self,
        db_session: DbSession,
        staff: Authorized,
        credit_code: FromPath[str],
        as_of: FromQuery[date | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[dict[str, Any]]:
        items = enterprise_eligibility(db_session, credit_code_param(credit_code), as_of_or_today(as_of))
        return page_of(items, limit, offset)
