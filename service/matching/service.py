"""Match runs and the review of their proposals.

A run stores what the optimiser saw (a hash), what it did (solver status, objective, the greedy
baseline, timings) and one proposal per assigned enterprise with its full explanation. A new run
supersedes proposals nobody has decided yet. A decision is one conditional UPDATE
(`status = 'proposed'` → the decision): of two reviewers deciding at once exactly one changes
the row; the other sees it changed and gets the winner's decision.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

import matching
from service import audit
from service.db import serialise
from service.encoding import jsonable
from service.errors import ApiError, not_found
from service.matching.inputs import Population, load_enterprises, load_inputs, load_products
from service.matching.review_memory import earlier_rejection, enterprise_facts, latest_rejections, product_facts
from service.models import Enterprise, MatchProposal, MatchRun, ReviewDecision, WhitelistEntry
from service.models.enums import ProposalStatus
from service.whitelist.entries import publish_entry

# Held by a matching run for its whole transaction and by an approval: a run never works from a
# pipeline an approval is changing, and a later run always sees (and supersedes) an earlier one's
# proposals, so two runs at once cannot both leave proposals open (issue 10).
MATCHING_LOCK = "ipfin.matching"


def create_run(session: Session, *, as_of: date, population: Population, actor: str) -> MatchRun:
    serialise(session, MATCHING_LOCK)  # one run at a time, and no approval while it reads and supersedes
    inputs = load_inputs(session, as_of, population)
    # Review memory: a pair rejected before with the same facts is not proposed again.
    facts = {e.credit_code: jsonable(enterprise_facts(e)) for e in inputs.enterprises}
    terms = {p.id: jsonable(product_facts(p)) for p in inputs.products}
    codes = {row_id: code for code, row_id in inputs.enterprise_ids.items()}
    rejected, excluded = {}, []
    for (enterprise_id, product_id), (old, decision) in latest_rejections(session).items():
        code, pid = codes.get(enterprise_id), str(product_id)
        if code is None or pid not in terms:
            continue
        now = {"enterprise": facts[code], "product": terms[pid]}
        if old.explanation.get("facts") == now:
            excluded.append((code, pid))
        else:
            rejected[(code, pid)] = earlier_rejection(old, decision, now)
    result = matching.match(inputs.enterprises, inputs.products, as_of, excluded=excluded)
    solver = jsonable(dict(result.solver))
    run = MatchRun(
        created_by=actor,
        parameters={
            "as_of": as_of.isoformat(),
            "population": population.value,
            "library": jsonable(result.params.to_dict()),
        },
        input_hash=inputs.digest(),
        solver_status=str(solver.get("status")),
        objective=result.objective,
        greedy_objective=solver.get("greedy_objective"),
        timings=jsonable(dict(result.timings)),
        summary={
            "solver": solver,
            "stats": jsonable(dict(result.stats)),
            "unmatched": [u.to_dict() for u in result.unmatched],
            "not_proposed_again": [{"enterprise": code, "product_id": pid} for code, pid in excluded],
        },
        n_enterprises=len(inputs.enterprises),
        n_products=len(inputs.products),
        n_proposals=len(result.proposals),
    )
    session.add(run)
    session.flush()
    superseded = session.execute(
        update(MatchProposal)
        .where(MatchProposal.status == ProposalStatus.proposed, MatchProposal.run_id != run.id)
        .values(status=ProposalStatus.superseded)
    ).rowcount
    names = {p.id: (p.code, p.name) for p in inputs.products}
    for proposal in result.proposals:
        product = inputs.product_rows[proposal.product_id]
        session.add(
            MatchProposal(
                run_id=run.id,
                enterprise_id=inputs.enterprise_ids[proposal.enterprise_id],
                product_id=product.id,
                bank_id=product.bank_id,
                amount_fen=proposal.amount_fen,
                fit=proposal.fit,
                parallel_track=proposal.parallel_track,
                explanation={
                    "facts": {"enterprise": facts[proposal.enterprise_id], "product": terms[proposal.product_id]},
                    "earlier_rejection": rejected.get((proposal.enterprise_id, proposal.product_id)),
                    "proposal": jsonable(proposal.to_dict()),
                    "product": {"code": names[proposal.product_id][0], "name": names[proposal.product_id][1]},
                    "alternatives": [
                        jsonable(a.to_dict())
                        | {"product_code": names[a.product_id][0], "product_name": names[a.product_id][1]}
                        for a in result.alternatives.get(proposal.enterprise_id, ())
                    ],
                },
            )
        )
    audit.record(
        session,
        actor=actor,
        action="matching.run",
        entity_type="match_run",
        entity_id=str(run.id),
        after={
            "proposals": run.n_proposals,
            "objective": run.objective,
            "solver_status": run.solver_status,
            "superseded": superseded,
        },
    )
    session.flush()
    return run


def enterprise_eligibility(session: Session, credit_code: str, as_of: date) -> list[dict[str, Any]]:
    enterprises, _ = load_enterprises(session, as_of, [credit_code])
    if not enterprises:
        raise not_found("enterprise", credit_code)
    products, rows = load_products(session, as_of)
    results = matching.eligibility(enterprises[0], products, as_of)
    return [
        jsonable(r.to_dict()) | {"product_code": rows[r.product_id].code, "product_name": rows[r.product_id].name}
        for r in results
    ]


def _winner(session: Session, proposal_id: int) -> dict[str, Any] | None:
    decision = session.scalars(select(ReviewDecision).where(ReviewDecision.proposal_id == proposal_id)).first()
    if decision is None:
        return None
    return {
        "decision": decision.decision,
        "reviewer": decision.reviewer,
        "comment": decision.comment,
        "decided_at": decision.decided_at.isoformat(),
    }


def decide(
    session: Session, proposal_id: int, decision: ProposalStatus, reviewer: str, comment: str | None
) -> tuple[ReviewDecision, WhitelistEntry | None]:
    """Approve or reject a proposed match; approval publishes its whitelist entry."""
    if decision not in (ProposalStatus.approved, ProposalStatus.rejected):
        raise ApiError(422, "invalid_decision", "decision must be approved or rejected")
    comment = (comment or "").strip() or None
    if decision is ProposalStatus.rejected and comment is None:
        raise ApiError(422, "comment_required", "驳回时必须填写意见 / a comment is required to reject")
    if decision is ProposalStatus.approved:
        serialise(session, MATCHING_LOCK)  # not while a run reads the pipeline and supersedes
    changed = session.execute(
        update(MatchProposal)
        .where(MatchProposal.id == proposal_id, MatchProposal.status == ProposalStatus.proposed)
        .values(status=decision)
    ).rowcount
    if changed != 1:
        proposal = session.get(MatchProposal, proposal_id)
        if proposal is None:
            raise not_found("proposal", proposal_id)
        if proposal.status == ProposalStatus.superseded:
            raise ApiError(409, "proposal_superseded", "a later matching run replaced this proposal")
        raise ApiError(
            409,
            "already_decided",
            f"proposal {proposal_id} was already {proposal.status}",
            _winner(session, proposal_id),
        )
    proposal = session.get(MatchProposal, proposal_id)
    session.refresh(proposal)
    record = ReviewDecision(proposal_id=proposal_id, decision=decision, reviewer=reviewer, comment=comment)
    session.add(record)
    entry = publish_entry(session, proposal) if decision is ProposalStatus.approved else None
    enterprise = session.get(Enterprise, proposal.enterprise_id)
    audit.record(
        session,
        actor=reviewer,
        action=f"proposal.{decision.value}",
        entity_type="match_proposal",
        entity_id=str(proposal_id),
        before={"status": "proposed"},
        after={
            "status": decision.value,
            "whitelist_entry_id": entry.id if entry else None,
            "enterprise": enterprise.credit_code,
            "amount_fen": proposal.amount_fen,
        },
        comment=comment,
    )
    session.flush()
    return record, entry
