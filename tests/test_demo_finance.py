"""The demo county's financing at county scale (issue 14 item 5): every historical pledge lies
within the valuation's maximum loan on its patents at the registration date (valued through the
library against the stored county reference, as the service values), a few million yuan a year;
good inventions of credit-loan holders secure ¥0.3–3 million; matching proposes for a believable
share of the holders; the demo leaves proposals awaiting review."""

from __future__ import annotations

from collections import Counter

import numpy as np
from sqlalchemy import select

from service.db import transaction
from service.demo import DEMO_AS_OF
from service.models import CreditLoan, Enterprise, PledgeRegistration, Valuation
from service.models.pledges import PledgedPatent
from service.seed import load_demo
from service.valuations.records import load_records
from service.valuations.service import current_reference, latest_valuation_ids
from valuation import Portfolio, valuate
from valuation.stock import register_on


def _max_loan_fen_at_registration(records: list[dict], registration: PledgeRegistration, reference) -> int:
    """The valuation's maximum loan on the pledged patents as the register showed them on the
    registration date, before they were pledged, for the registered loan's term."""
    day = registration.registration_date
    portfolio = Portfolio.from_records([dict(r, pledged=False, max_pledge_amount_yuan=None) for r in records])
    then = register_on(portfolio, np.datetime64(day, "D"))
    ends = np.full(len(records), np.datetime64(registration.loan_end, "D"))
    result = valuate(then, day, reference=reference, loan_ends=ends)
    return round(float(np.nansum(result.max_loan)) * 100)


def test_demo_pledges_within_the_model_and_matching_for_some_holders(client, engine, reviewer_headers):
    load_demo(engine, with_whitelist=True)
    with transaction(engine) as session:
        reference = current_reference(session)
        records = dict(load_records(session))
        historical = session.scalars(
            select(PledgeRegistration).where(PledgeRegistration.whitelist_entry_id.is_(None))
        ).all()
        by_year: Counter[int] = Counter()
        for registration in historical:
            ids = session.scalars(
                select(PledgedPatent.patent_id).where(PledgedPatent.registration_id == registration.id)
            ).all()
            max_loan = _max_loan_fen_at_registration([records[i] for i in ids], registration, reference)
            assert 30_000_000 <= registration.amount_fen <= max_loan, registration.registration_no
            by_year[registration.registration_date.year] += registration.amount_fen
        # A few million yuan a year once the plan is under way.
        assert all(150_000_000 <= by_year[year] <= 500_000_000 for year in (2023, 2024, 2025, 2026)), by_year

        # Unpledged inventions of current credit-loan holders: the good ones secure ¥0.3–3 million.
        holders = set(
            session.scalars(
                select(Enterprise.credit_code)
                .join(CreditLoan, CreditLoan.enterprise_id == Enterprise.id)
                .where(
                    CreditLoan.kind.in_(["knowledge_value", "commercial_value"]),
                    CreditLoan.start_date <= DEMO_AS_OF,
                    CreditLoan.maturity_date >= DEMO_AS_OF,
                )
            )
        )
        held = {i for i, r in records.items() if r["patent_type"] == "invention" and r["owner_credit_code"] in holders}
        latest = session.scalars(select(Valuation).where(Valuation.id.in_(latest_valuation_ids()))).all()
        loans = [v.max_loan_fen for v in latest if v.patent_id in held and v.eligible and v.max_loan_fen]
        assert sum(30_000_000 <= fen <= 300_000_000 for fen in loans) >= 5

    # Matching (the demo's run: current credit-loan holders) proposes for 20–40 % of them.
    run = client.get("/api/v1/matching/runs", headers=reviewer_headers).json()["items"][0]
    assert run["parameters"]["population"] == "credit_loan_holders"
    assert 0.2 <= run["n_proposals"] / run["n_enterprises"] <= 0.4, run
    # Six proposals walked through the loop; the rest await review on /ui/review.
    waiting = client.get("/api/v1/matching/proposals", params={"status": "proposed"}, headers=reviewer_headers)
    assert waiting.json()["total"] == run["n_proposals"] - 6 >= 5
