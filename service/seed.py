"""Loading the demo county through the normal import path (same checks as a user's files)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select
from sqlmodel import Session
from tqdm import tqdm

from service.auth.keys import issue_key
from service.db import transaction
from service.imports import LOAD_ORDER, Table, import_batch
from service.models import ApiKey, Bank, Enterprise, Target

# The demo's keys are random, issued when the demo is loaded into a database and shown only
# then (stored hashed like every key); `ipfin keys list` shows them by prefix and these names.
DEMO_STAFF_ROLES = ("admin", "reviewer")


def _demo_key_name(role: str, bank: Bank | None = None) -> str:
    return f"demo {bank.code}" if bank is not None else f"demo {role}"


@dataclass(frozen=True)
class DemoLoad:
    """What loading the demo did, and the keys it issued (plaintext: print them now or never)."""

    summary: list[str]
    staff_keys: dict[str, str] = field(default_factory=dict)  # role → key
    bank_keys: dict[str, str] = field(default_factory=dict)  # bank code → key


def issue_demo_keys(session: Session) -> tuple[dict[str, str], dict[str, str]]:
    """A fresh random key for each demo role and each bank that has no active demo key yet:
    loading the demo again issues none, unless one was revoked."""
    active = set(session.scalars(select(ApiKey.name).where(ApiKey.revoked_at.is_(None))).all())
    staff = {
        role: issue_key(session, role=role, name=_demo_key_name(role))
        for role in DEMO_STAFF_ROLES
        if _demo_key_name(role) not in active
    }
    banks = {
        bank.code: issue_key(session, role="bank", name=_demo_key_name("bank", bank), bank=bank)
        for bank in session.scalars(select(Bank).order_by(Bank.code)).all()
        if _demo_key_name("bank", bank) not in active
    }
    return staff, banks


def demo_key_lines(load: DemoLoad, base_url: str) -> list[str]:
    """The keys a demo load issued, as printed (once) by `ipfin demo` and `ipfin serve --demo`."""
    if not (load.staff_keys or load.bank_keys):
        return []
    lines = ["demo API keys (shown this once; `ipfin keys list` shows their prefixes):"]
    lines += [f"  {role:13s}{key}" for role, key in load.staff_keys.items()]
    lines += [f"  bank {code:8s}{key}   (feed: {base_url}/api/v1/whitelist)" for code, key in load.bank_keys.items()]
    return lines


def database_is_empty(engine: Engine) -> bool:
    with transaction(engine) as session:
        return not session.scalar(select(func.count()).select_from(Enterprise))


def load_demo(engine: Engine, *, scale: float = 1.0, seed: int | None = None, with_whitelist: bool = False) -> DemoLoad:
    from service.demo import COLUMNS, build_demo

    dataset = build_demo(scale=scale) if seed is None else build_demo(scale=scale, seed=seed)
    tables = []
    for kind in LOAD_ORDER:  # a kind without rows is still a table with its header
        rows = [(number, row) for number, row in enumerate(dataset.tables[kind], start=2)]
        tables.append((kind, Table(list(COLUMNS[kind]), rows)))
    total = sum(len(table.rows) for _, table in tables)
    with transaction(engine) as session:
        with tqdm(total=total, unit="row", desc="demo county", disable=None, file=sys.stderr) as bar:
            reports = import_batch(session, tables, progress=bar.update)
        for target in dataset.targets:
            if session.scalar(select(func.count()).select_from(Target).where(Target.code == target["code"])) == 0:
                session.add(Target(**target))
        # Loading the demo again refreshes its data; its keys are issued once.
        staff_keys, bank_keys = issue_demo_keys(session)
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
    return DemoLoad(summary, staff_keys, bank_keys)


# The demo's whitelist: what reviewers and banks did with the first match run, one of each state.
_DEMO_STATES = ("granted", "declined", "acknowledged", "expired", "published", "rejected")


def demo_whitelist(engine: Engine, as_of) -> str:
    """Run matching (the default population: holders of a current credit loan, the plan's 并轨
    case) as of the demo's date and walk its first proposals through every state of the loop:
    granted (registering a pledge of the proposal's patents), declined, acknowledged, expired,
    published (open), rejected; the rest stay proposed, awaiting review (/ui/review).
    Through the service's own functions."""
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
        run = create_run(session, as_of=as_of, population=Population.credit_loan_holders, actor="demo reviewer")
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
            if state in ("acknowledged", "declined", "granted"):  # the bank pulled its feed before acting
                whitelist.feed(session, bank, after=None, limit=500, now=now)
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
