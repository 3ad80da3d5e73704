"""Review memory: a reviewer's rejection of an enterprise–product pair stands until its facts change.

The facts of a pair are what a reviewer weighed: the enterprise's certifications, current credit
loans, stated need and each patent's eligibility, grade, conservative value and pledge state; and
the product's terms (rate, amount and term ranges, interest, clusters, certifications, minimum
grade and remaining term). Quotas left and the days of remaining term are left out: they change
with every approval and every day, not with the case. Each proposal stores its pair's facts; the
next run leaves out a pair whose latest decision is a rejection with the same facts, and a pair
proposed again after a rejection carries that rejection and what changed since.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

import matching
from service.models import MatchProposal, ReviewDecision
from service.models.enums import ProposalStatus


def enterprise_facts(enterprise: matching.Enterprise) -> dict[str, Any]:
    return {
        "certifications": sorted(enterprise.certifications),
        "need_amount_fen": enterprise.need_amount_fen,
        "need_term_months": enterprise.need_term_months,
        "credit_loans": sorted(
            f"{loan.kind}/{loan.bank_code}/{loan.grade or '-'}/{loan.limit_fen}" for loan in enterprise.credit_loans
        ),
        "patents": {
            p.application_no: {
                "eligible": bool(p.eligible),
                "grade": p.grade,
                "value_p10_fen": p.value_p10_fen,
                "already_pledged": bool(p.already_pledged),
            }
            for p in sorted(enterprise.patents, key=lambda p: p.application_no)
        },
    }


def product_facts(product: matching.Product) -> dict[str, Any]:
    return {
        "pledge_rate": product.pledge_rate,
        "min_amount_fen": product.min_amount_fen,
        "max_amount_fen": product.max_amount_fen,
        "interest_rate_min": product.interest_rate_min,
        "interest_rate_max": product.interest_rate_max,
        "term_min_months": product.term_min_months,
        "term_max_months": product.term_max_months,
        "eligible_clusters": sorted(product.eligible_clusters),
        "required_certifications": sorted(product.required_certifications),
        "min_patent_grade": product.min_patent_grade,
        "min_remaining_term_years": product.min_remaining_term_years,
    }


def _flat(facts: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(facts, dict):
        out: dict[str, Any] = {}
        for key, value in facts.items():
            out.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: facts}


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What differs between two fact sets, as {fact, before, after} (None where a fact is new or gone)."""
    old, new = _flat(before), _flat(after)
    return [
        {"fact": name, "before": old.get(name), "after": new.get(name)}
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]


def latest_rejections(session: Session) -> dict[tuple[int, int], tuple[MatchProposal, ReviewDecision]]:
    """For each (enterprise id, product id) whose latest decided proposal was rejected: that proposal
    and its decision. A later approval ends the memory (the pair was judged afresh)."""
    rows = session.execute(
        select(MatchProposal, ReviewDecision)
        .join(ReviewDecision, ReviewDecision.proposal_id == MatchProposal.id)
        .order_by(MatchProposal.id)
    ).all()
    latest: dict[tuple[int, int], tuple[MatchProposal, ReviewDecision]] = {}
    for proposal, decision in rows:
        latest[(proposal.enterprise_id, proposal.product_id)] = (proposal, decision)
    return {pair: row for pair, row in latest.items() if row[0].status == ProposalStatus.rejected}


def earlier_rejection(proposal: MatchProposal, decision: ReviewDecision, facts: dict[str, Any]) -> dict[str, Any]:
    return {
        "proposal_id": proposal.id,
        "reviewer": decision.reviewer,
        "comment": decision.comment,
        "decided_at": decision.decided_at.isoformat(),
        "changed": changes(proposal.explanation.get("facts") or {}, facts),
    }
