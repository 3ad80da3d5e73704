"""Loading the demo county through the normal import path (same checks as a user's files)."""

from __future__ import annotations

import sys

from sqlalchemy import Engine, func, select
from tqdm import tqdm

from service.auth.keys import authenticate, issue_key
from service.db import transaction
from service.imports import LOAD_ORDER, Table, import_batch
from service.models import Bank, Enterprise, Target

# Fixed keys so a demo user can try the API at once. They exist only in a demo database.
DEMO_KEYS = {
    "admin": "ipf_demoadmin_yunyang-demo-admin-key",
    "reviewer": "ipf_demoreview_yunyang-demo-reviewer-key",
}


def demo_bank_key(bank_code: str) -> str:
    return f"ipf_demo{bank_code.lower().replace('_', '').replace('-', '')[:8]}_yunyang-demo-bank-key"


def demo_bank_keys(engine: Engine) -> dict[str, str]:
    """Each bank's demo key, for the banks whose demo key exists in this database."""
    with transaction(engine) as session:
        codes = session.scalars(select(Bank.code).order_by(Bank.code)).all()
        return {code: demo_bank_key(code) for code in codes if authenticate(session, demo_bank_key(code)) is not None}


def has_demo_keys(engine: Engine) -> bool:
    with transaction(engine) as session:
        return authenticate(session, DEMO_KEYS["admin"]) is not None


def database_is_empty(engine: Engine) -> bool:
    with transaction(engine) as session:
        return not session.scalar(select(func.count()).select_from(Enterprise))


def load_demo(
    engine: Engine, *, scale: float = 1.0, seed: int | None = None, with_whitelist: bool = False
) -> list[str]:
    from service.demo import build_demo

    dataset = build_demo(scale=scale) if seed is None else build_demo(scale=scale, seed=seed)
    tables = []
    for kind in LOAD_ORDER:
        rows = dataset.tables[kind]
        header = list(rows[0]) if rows else []
        tables.append((kind, Table(header, [(number, row) for number, row in enumerate(rows, start=2)])))
    total = sum(len(table.rows) for _, table in tables)
    with transaction(engine) as session:
        with tqdm(total=total, unit="row", desc="demo county", disable=None, file=sys.stderr) as bar:
            reports = import_batch(session, tables, progress=bar.update)
        for target in dataset.targets:
            if session.scalar(select(func.count()).select_from(Target).where(Target.code == target["code"])) == 0:
                session.add(Target(**target))
        # Loading the demo again refreshes its data; its keys are issued once.
        for role, key in DEMO_KEYS.items():
            if authenticate(session, key) is None:
                issue_key(session, role=role, name=f"demo {role}", plaintext=key)
        for bank in session.scalars(select(Bank)).all():
            if authenticate(session, demo_bank_key(bank.code)) is None:
                issue_key(session, role="bank", name=f"demo {bank.code}", bank=bank, plaintext=demo_bank_key(bank.code))
    # Value the portfolio as of the dataset's own date, so scores, high-value flags and the
    # high-value target are there from the first start.
    from service.demo import DEMO_AS_OF
    from service.valuations.service import run_portfolio_valuation, start_run

    with transaction(engine) as session:
        run_id = start_run(session, DEMO_AS_OF, "demo").id
    counts = run_portfolio_valuation(engine, run_id)
    summary = [f"{r.kind}: {r.rows} rows" for r in reports] + [
        f"targets: {len(dataset.targets)}",
        f"valued {counts['total']} patents as of {DEMO_AS_OF}: {counts['eligible']} pledge-eligible, "
        f"{counts['high_value']} high-value (survival model {counts['survival_source']})",
    ]
    if with_whitelist:
        summary.append(demo_whitelist(engine, DEMO_AS_OF))
    return summary


# The demo's whitelist: what reviewers and banks did with the first match run, one of each state.
_DEMO_STATES = ("granted", "declined", "acknowledged", "expired", "published", "rejected")


def demo_whitelist(engine: Engine, as_of) -> str:
    """Run matching (every enterprise, so that there are proposals for every state) as of the
    demo's date and walk its proposals through every state of the loop:
    granted (registering a pledge of the proposal's patents), declined, acknowledged, expired,
    published (open), rejected; any left stay proposed. Through the service's own functions."""
    from datetime import timedelta

    from sqlalchemy import update

    from service.auth.keys import Principal
    from service.errors import ApiError
    from service.matching.inputs import Population
    from service.matching.service import create_run, decide
    from service.models import MatchProposal, WhitelistEntry
    from service.models.enums import DeclineReason, ProposalStatus
    from service.models.types import utcnow
    from service.whitelist import service as whitelist
    from service.whitelist.schemas import DeclinedOutcome, GrantedOutcome

    with transaction(engine) as session:
        run = create_run(session, as_of=as_of, population=Population.all_enterprises, actor="demo reviewer")
        proposals = session.scalars(
            select(MatchProposal).where(MatchProposal.run_id == run.id).order_by(MatchProposal.id)
        ).all()
    states: dict[str, int] = {}
    for proposal, state in zip(proposals, _DEMO_STATES, strict=False):
        with transaction(engine) as session:
            bank = Principal(key_id=0, name="demo bank officer", role="bank", bank_id=proposal.bank_id)
            if state == "rejected":
                decide(session, proposal.id, ProposalStatus.rejected, "demo reviewer", "抵押物价值不足，暂缓推送")
                states[state] = states.get(state, 0) + 1
                continue
            _, entry = decide(session, proposal.id, ProposalStatus.approved, "demo reviewer", "材料齐全，同意推送")
            now = utcnow()
            if state == "acknowledged":
                whitelist.acknowledge(session, bank, entry.id, now)
            elif state == "declined":
                reason = DeclineReason.terms_not_agreed
                whitelist.report_outcome(session, bank, entry.id, DeclinedOutcome(reason, "利率未达成一致"), now)
            elif state == "granted":
                patents = [p["application_no"] for p in proposal.explanation["proposal"]["patents"]]
                outcome = GrantedOutcome(
                    amount_fen=proposal.amount_fen,
                    registration_no=f"Y{as_of.year}500009{entry.id:03d}",
                    registration_date=as_of,
                    loan_start=as_of,
                    loan_end=as_of + timedelta(days=364),
                    patents=patents,
                )
                try:
                    with session.begin_nested():
                        whitelist.report_outcome(session, bank, entry.id, outcome, now)
                except ApiError as exc:  # the entry stays open; say why instead of failing the demo
                    state = f"published (granted refused: {exc.message}; {exc.details})"
            elif state == "expired":
                session.execute(
                    update(WhitelistEntry)
                    .where(WhitelistEntry.id == entry.id)
                    .values(expires_at=now - timedelta(days=1))
                )
            states[state] = states.get(state, 0) + 1
    left = len(proposals) - sum(states.values())
    done = ", ".join(f"{n} {state}" for state, n in states.items())
    return f"whitelist: {done}; {left} proposals awaiting review"
