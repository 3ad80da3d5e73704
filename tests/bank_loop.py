"""Helpers for the whitelist tests: publish entries through the reviewer's real approval path."""

from __future__ import annotations

import itertools

from sqlalchemy import Engine, select

from service.db import transaction
from service.matching.service import decide
from service.models import Bank, Enterprise, MatchProposal, MatchRun, PledgeProduct
from service.models.enums import ProposalStatus

_serial = itertools.count(1)


def propose(session, bank_code: str, enterprise_code: str | None = None, amount_fen: int | None = None) -> int:
    """A proposal addressed to the bank's first product (its own run, so any enterprise may repeat)."""
    bank = session.scalars(select(Bank).where(Bank.code == bank_code)).one()
    product = session.scalars(
        select(PledgeProduct).where(PledgeProduct.bank_id == bank.id).order_by(PledgeProduct.code)
    ).first()
    statement = select(Enterprise).order_by(Enterprise.credit_code)
    if enterprise_code:
        statement = statement.where(Enterprise.credit_code == enterprise_code)
    enterprise = session.scalars(statement).first()
    run = MatchRun(
        input_hash=f"test-{next(_serial)}",
        solver_status="test",
        objective=0,
        n_enterprises=1,
        n_products=1,
        n_proposals=1,
    )
    session.add(run)
    session.flush()
    proposal = MatchProposal(
        run_id=run.id,
        enterprise_id=enterprise.id,
        product_id=product.id,
        bank_id=bank.id,
        amount_fen=amount_fen or product.min_amount_fen or 100_000_00,
        fit=1.0,
        explanation={"proposal": {"patents": [], "term_months": 12}, "product": {"code": product.code}},
    )
    session.add(proposal)
    session.flush()
    return proposal.id


def publish(engine: Engine, bank_code: str, count: int = 1, **kwargs) -> list[int]:
    """Approve `count` new proposals for the bank, one transaction each; the entries' ids."""
    ids = []
    for _ in range(count):
        with transaction(engine) as session:
            proposal_id = propose(session, bank_code, **kwargs)
            _, entry = decide(session, proposal_id, ProposalStatus.approved, "test reviewer", "ok")
            ids.append(entry.id)
    return ids


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def pull_all(client, headers, after: str | None = None, limit: int = 50, **params) -> tuple[list[dict], str]:
    """Every page from `after` until has_more is false; the items and the last cursor."""
    items = []
    while True:
        query = {"limit": limit, **params} | ({"after": after} if after else {})
        response = client.get("/api/v1/whitelist", params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        after = page["next_cursor"]
        if not page["has_more"]:
            return items, after
