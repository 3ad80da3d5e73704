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


def has_demo_keys(engine: Engine) -> bool:
    with transaction(engine) as session:
        return authenticate(session, DEMO_KEYS["admin"]) is not None


def database_is_empty(engine: Engine) -> bool:
    with transaction(engine) as session:
        return not session.scalar(select(func.count()).select_from(Enterprise))


def load_demo(engine: Engine, *, scale: float = 1.0, seed: int | None = None) -> list[str]:
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
    return [f"{r.kind}: {r.rows} rows" for r in reports] + [
        f"targets: {len(dataset.targets)}",
        f"valued {counts['total']} patents as of {DEMO_AS_OF}: {counts['eligible']} pledge-eligible, "
        f"{counts['high_value']} high-value (survival model {counts['survival_source']})",
    ]
