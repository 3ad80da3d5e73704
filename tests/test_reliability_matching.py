"""Two matching runs at once (issue 10: on PostgreSQL both sometimes kept their proposals open,
and approving both published two entries for the same enterprise, bank and product). Runs and
approvals are serialised by one lock, so a later run always supersedes the earlier one's
undecided proposals and never proposes from a pipeline an approval is changing."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from service.db import transaction
from service.errors import ApiError
from service.matching.inputs import Population
from service.matching.service import create_run, decide
from service.models import MatchProposal, WhitelistEntry
from service.models.enums import ProposalStatus
from service.seed import load_demo

AS_OF = date(2026, 11, 1)


@pytest.fixture
def demo(engine):
    load_demo(engine)


def _together(*work) -> list[BaseException]:
    barrier = threading.Barrier(len(work))
    failures: list[BaseException] = []

    def run(fn):
        barrier.wait()
        try:
            fn()
        except BaseException as exc:  # recorded, asserted by the caller
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(fn,)) for fn in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a run hung"
    return failures


def _run(engine, actor):
    def work():
        with transaction(engine) as session:
            create_run(session, as_of=AS_OF, population=Population.credit_loan_holders, actor=actor)

    return work


def _approve(engine, proposal_id):
    def work():
        try:
            with transaction(engine) as session:
                decide(session, proposal_id, ProposalStatus.approved, "reviewer", None)
        except ApiError as exc:
            assert exc.status == 409, exc.message

    return work


def test_concurrent_runs_leave_one_run_open_and_approving_everything_gives_one_entry_per_pair(engine, demo):
    for trial in range(4):
        assert _together(_run(engine, f"A{trial}"), _run(engine, f"B{trial}")) == []
        with transaction(engine) as session:
            open_runs = set(
                session.scalars(select(MatchProposal.run_id).where(MatchProposal.status == ProposalStatus.proposed))
            )
        assert len(open_runs) == 1, f"trial {trial}: runs {open_runs} both kept proposals open"
    # Approve every proposal ever made, two reviewers at a time, the first two racing a third
    # run; then whatever is open (the third run's, when it won). Only open proposals can win, and
    # no pair of enterprise, bank and product is ever published twice.
    with transaction(engine) as session:
        ids = list(session.scalars(select(MatchProposal.id).order_by(MatchProposal.id)))
    extra = [_run(engine, "C")]
    while ids:
        for start in range(0, len(ids), 2):
            assert _together(*[_approve(engine, pid) for pid in ids[start : start + 2]], *extra) == []
            extra = []
        with transaction(engine) as session:
            ids = list(session.scalars(select(MatchProposal.id).where(MatchProposal.status == ProposalStatus.proposed)))
    with transaction(engine) as session:
        pairs = Counter(
            session.execute(select(WhitelistEntry.enterprise_id, WhitelistEntry.bank_id, WhitelistEntry.product_id))
        )
    assert pairs and max(pairs.values()) == 1, [pair for pair, n in pairs.items() if n > 1]
