"""Creating whitelist entries: the content a loan officer acts on, and the entry's feed position.

The bank-facing feed (pull, acknowledge, outcomes) reads these rows; this module only writes
them, when a reviewer approves a proposal.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from service.db import dialect_insert
from service.models import (
    Bank,
    CreditLoan,
    Enterprise,
    FeedCounter,
    MatchProposal,
    Patent,
    PledgeProduct,
    WhitelistEntry,
)
from service.models.types import utcnow
from service.notifications import service as notifications
from service.settings import Settings
from service.valuations.service import latest_valuations


def next_feed_position(session: Session, bank_id: int) -> int:
    """Take the bank's next feed position.

    The UPDATE locks the bank's counter row until this transaction ends, so a later publisher
    waits and its position can never become visible before this one (DESIGN.md §7).
    """
    session.execute(
        dialect_insert(session, FeedCounter)
        .values(bank_id=bank_id, last_position=0)
        .on_conflict_do_nothing(index_elements=["bank_id"])
    )
    return session.execute(
        update(FeedCounter)
        .where(FeedCounter.bank_id == bank_id)
        .values(last_position=FeedCounter.last_position + 1)
        .returning(FeedCounter.last_position)
    ).scalar_one()


def entry_content(session: Session, proposal: MatchProposal) -> dict[str, Any]:
    """Everything a loan officer needs without phoning anyone, as of approval (DESIGN.md §7)."""
    enterprise = session.get(Enterprise, proposal.enterprise_id)
    product, bank = session.execute(
        select(PledgeProduct, Bank).join(Bank).where(PledgeProduct.id == proposal.product_id)
    ).one()
    banks = dict(session.execute(select(Bank.id, Bank.code)).all())
    loans = session.scalars(
        select(CreditLoan).where(CreditLoan.enterprise_id == enterprise.id).order_by(CreditLoan.start_date)
    ).all()
    pair = proposal.explanation["proposal"]
    allocations = {p["application_no"]: p for p in pair["patents"]}
    patents = session.scalars(
        select(Patent).where(Patent.application_no.in_(allocations)).order_by(Patent.application_no)
    ).all()
    valuations = latest_valuations(session, [patent.id for patent in patents])
    patent_items = []
    for patent in patents:
        valuation = valuations.get(patent.id)
        result = valuation.result if valuation else {}
        patent_items.append(
            {
                "application_no": patent.application_no,
                "title": patent.title,
                "patent_type": patent.patent_type,
                "ipc": patent.ipc,
                "legal_status": patent.legal_status,
                "next_fee_due": result.get("next_fee_due"),
                "expiry_date": result.get("expiry_date"),
                "industry": result.get("industry_cluster"),
                "score": valuation.score if valuation else None,
                "grade": valuation.grade if valuation else None,
                "value_p10_fen": valuation.value_p10_fen if valuation else None,
                "value_p50_fen": valuation.value_p50_fen if valuation else None,
                "value_p90_fen": valuation.value_p90_fen if valuation else None,
                "high_value": valuation.high_value if valuation else None,
                "valued_as_of": valuation.as_of.isoformat() if valuation else None,
                "supports_fen": allocations[patent.application_no]["supports_fen"],
                "allocated_fen": allocations[patent.application_no]["allocated_fen"],
            }
        )
    return {
        "enterprise": {
            "name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "industry_cluster": enterprise.industry_cluster,
            "town": enterprise.town,
            "contact_person": enterprise.contact_person,
            "contact_phone": enterprise.contact_phone,
            "employees": enterprise.employees,
            "certifications": {k: v.isoformat() for k, v in enterprise.certifications().items()},
        },
        "credit_loans": [
            {
                "kind": loan.kind,
                "grade": loan.grade,
                "limit_fen": loan.limit_fen,
                "drawn_fen": loan.drawn_fen,
                "bank_code": banks[loan.bank_id],
                "start_date": loan.start_date.isoformat(),
                "maturity_date": loan.maturity_date.isoformat(),
            }
            for loan in loans
        ],
        "product": {
            "bank_code": bank.code,
            "bank_name": bank.name,
            "code": product.code,
            "name": product.name,
            "pledge_rate": str(product.pledge_rate),
            "interest_rate_min": str(product.interest_rate_min),
            "interest_rate_max": str(product.interest_rate_max),
        },
        "amount_fen": proposal.amount_fen,
        "term_months": pair.get("term_months"),
        "parallel_track": proposal.parallel_track,
        "patents": patent_items,
    }


def entry_lifetime() -> timedelta:
    """How long an entry waits for its outcome (IPFIN_ENTRY_LIFETIME_DAYS; DESIGN.md §7)."""
    return timedelta(days=Settings.from_env().entry_lifetime_days)


def publish_entry(session: Session, proposal: MatchProposal, lifetime: timedelta | None = None) -> WhitelistEntry:
    """The whitelist entry for an approved proposal, with its feed position.

    The content is built first; the feed position is taken last, so the bank's counter row stays
    locked only for the rest of the publishing transaction."""
    now = utcnow()
    content = entry_content(session, proposal)
    entry = WhitelistEntry(
        bank_id=proposal.bank_id,
        proposal_id=proposal.id,
        enterprise_id=proposal.enterprise_id,
        product_id=proposal.product_id,
        amount_fen=proposal.amount_fen,
        content=content,
        feed_position=next_feed_position(session, proposal.bank_id),
        published_at=now,
        expires_at=now + (lifetime or entry_lifetime()),
    )
    session.add(entry)
    session.flush()
    notifications.enqueue(
        session,
        proposal.bank_id,
        "whitelist.entries_available",
        {"bank": content["product"]["bank_code"], "feed_position": entry.feed_position},
        coalesce=True,
    )
    return entry
