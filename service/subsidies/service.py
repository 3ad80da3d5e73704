"""免申即享: evaluate the county's reward rules (``rules.toml``, dated) over a period, propose one
line per enterprise and rule, and keep the ledger (``subsidy_events``) so that no event — a grant,
a registration, an enterprise's production year, an award — is ever rewarded twice.

A second evaluation of a period finds every event already in the ledger (proposed or paid) and
adds nothing; an overlapping period adds only the events not yet rewarded. Staff review the lines
and mark them paid. Events are judged from the data as it stands at evaluation (the patent stock
on the period's last day: ``service.statistics``).
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import audit, vocabulary
from service.errors import ApiError, not_found
from service.models import Enterprise, Patent, PledgedPatent, PledgeRegistration, SubsidyEvent, SubsidyLine
from service.models.enums import SubsidyStatus
from service.models.types import utcnow
from service.statistics import service as statistics
from valuation.portfolio import AWARDS, STAGES

RULES_FILE = Path(__file__).with_name("rules.toml")
RULE_CODES = (
    "domestic_invention_grant",
    "foreign_invention_grant",
    "production_with_valid_invention",
    "high_pledge_financing",
    "award",
)
PRODUCTION = STAGES.index("production")


@cache
def rule_versions() -> list[dict[str, Any]]:
    """The dated versions of the rules, oldest first; each names every rule code."""
    versions = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))["versions"]
    for version in versions:
        missing = set(RULE_CODES) - set(version["rules"])
        if missing or not isinstance(version["effective_from"], date):
            raise ValueError(f"{RULES_FILE.name}: version {version.get('effective_from')}: missing {sorted(missing)}")
    return sorted(versions, key=lambda v: v["effective_from"])


def rules_on(day: date) -> dict[str, Any]:
    """The version in force on ``day`` (the earliest for earlier days)."""
    versions = rule_versions()
    return next((v for v in reversed(versions) if v["effective_from"] <= day), versions[0])


@dataclass
class Event:
    rule_code: str
    key: str
    enterprise_id: int
    amount_fen: int
    fact: str
    patent_id: int | None = None
    application_nos: list[str] = field(default_factory=list)


def _fen(yuan: int | str | Decimal) -> int:
    return int((Decimal(str(yuan)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def candidate_events(session: Session, start: date, end: date, rules: dict[str, Any]) -> list[Event]:
    """Every event the rules reward in [start, end], before the ledger is consulted."""
    patents = statistics.county_patents(session)
    portfolio = patents.portfolio
    held = statistics.stock(patents, [end]).in_force[:, 0] & patents.invention
    lo, hi = np.datetime64(start, "D"), np.datetime64(end, "D")
    events: list[Event] = []
    config = rules["rules"]

    def per_patent(code: str, rows: np.ndarray, amount_fen: int, fact) -> None:
        for i in rows:
            number = patents.application_no[i]
            events.append(
                Event(
                    code,
                    number,
                    int(patents.enterprise_id[i]),
                    amount_fen,
                    fact(i),
                    int(patents.patent_id[i]),
                    [number],
                )
            )

    granted = patents.invention & (portfolio.grant >= lo) & (portfolio.grant <= hi)
    per_patent(
        "domestic_invention_grant",
        np.flatnonzero(granted),
        _fen(config["domestic_invention_grant"]["amount_yuan_per_patent"]),
        lambda i: f"发明专利{patents.application_no[i]}于{portfolio.grant[i]}获得授权",
    )
    abroad = patents.invention & portfolio.granted_abroad & ~np.isnat(portfolio.grant) & (portfolio.grant <= hi)
    per_patent(
        "foreign_invention_grant",
        np.flatnonzero(abroad),
        _fen(config["foreign_invention_grant"]["amount_yuan_per_patent"]),
        lambda i: (
            f"发明专利{patents.application_no[i]}已在国外获得授权（{'PCT' if portfolio.pct[i] else '巴黎公约'}途径）"
        ),
    )
    producing = held & (portfolio.commercialization == PRODUCTION)
    production_fen = _fen(config["production_with_valid_invention"]["amount_yuan_per_enterprise"])
    by_enterprise: dict[int, list[int]] = defaultdict(list)
    for i in np.flatnonzero(producing):
        by_enterprise[int(patents.enterprise_id[i])].append(int(i))
    for enterprise_id, rows in sorted(by_enterprise.items()):
        numbers = [patents.application_no[i] for i in rows]
        events.append(
            Event(
                "production_with_valid_invention",
                f"{patents.credit_code[rows[0]]}:{end.year}",  # natural keys: the ledger outlives row ids
                enterprise_id,
                production_fen,
                f"{end}持有已产业化（量产）的有效发明专利{len(numbers)}件：{'、'.join(numbers)}",
                application_nos=numbers,
            )
        )
    awards = config["award"]["amount_yuan"]
    for i in np.flatnonzero(held & (portfolio.award >= 0)):
        award = AWARDS[portfolio.award[i]]
        if award in awards:
            number = patents.application_no[i]
            events.append(
                Event(
                    "award",
                    f"{number}:{award}",
                    int(patents.enterprise_id[i]),
                    _fen(awards[award]),
                    f"有效发明专利{number}获{vocabulary.AWARD[award]}",
                    int(patents.patent_id[i]),
                    [number],
                )
            )
    events.extend(_pledge_events(session, start, end, config["high_pledge_financing"]))
    return [e for e in events if e.amount_fen > 0]


def _pledge_events(session: Session, start: date, end: date, rule: dict[str, Any]) -> list[Event]:
    floor_fen, cap_fen, rate = (
        _fen(rule["min_amount_yuan"]),
        _fen(rule["max_yuan_per_registration"]),
        Decimal(rule["rate"]),
    )
    rows = session.execute(
        select(
            PledgeRegistration.registration_no, PledgeRegistration.registration_date, PledgeRegistration.enterprise_id
        )
        .add_columns(PledgeRegistration.amount_fen, Patent.application_no)
        .join(PledgedPatent, PledgedPatent.registration_id == PledgeRegistration.id)
        .join(Patent, Patent.id == PledgedPatent.patent_id)
        .where(PledgeRegistration.registration_date.between(start, end), PledgeRegistration.amount_fen >= floor_fen)
        .order_by(PledgeRegistration.registration_no, Patent.application_no)
    ).all()
    grouped: dict[str, list[Any]] = {}
    for number, day, enterprise_id, amount_fen, application_no in rows:
        grouped.setdefault(number, [day, enterprise_id, amount_fen, []])[3].append(application_no)
    events = []
    for number, (day, enterprise_id, amount_fen, patents) in grouped.items():
        subsidy = min(int((amount_fen * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)), cap_fen)
        events.append(
            Event(
                "high_pledge_financing",
                number,
                enterprise_id,
                subsidy,
                f"{day}以专利{'、'.join(patents)}办理质押登记{number}，登记金额{Decimal(amount_fen) / 100:,.2f}元",
                application_nos=patents,
            )
        )
    return events


def evaluate(session: Session, start: date, end: date, actor: str) -> list[SubsidyLine]:
    """Propose lines for the events of [start, end] not yet in the ledger; returns the new lines."""
    if start > end:
        raise ApiError(400, "bad_range", f"start {start} is after end {end}")
    rules = rules_on(end)
    events = candidate_events(session, start, end, rules)
    keys = [(e.rule_code, e.key) for e in events]
    rewarded: set[tuple[str, str]] = set()
    for chunk in range(0, len(keys), 500):
        rewarded.update(
            session.execute(
                select(SubsidyEvent.rule_code, SubsidyEvent.event_key).where(
                    tuple_(SubsidyEvent.rule_code, SubsidyEvent.event_key).in_(keys[chunk : chunk + 500])
                )
            ).all()
        )
    lines: dict[tuple[str, int], list[Event]] = defaultdict(list)
    for event in events:
        if (event.rule_code, event.key) not in rewarded:
            lines[(event.rule_code, event.enterprise_id)].append(event)
    created = []
    for (code, enterprise_id), mine in sorted(lines.items()):
        line = SubsidyLine(
            rule_code=code,
            rules_effective_from=rules["effective_from"],
            period_start=start,
            period_end=end,
            enterprise_id=enterprise_id,
            amount_fen=sum(e.amount_fen for e in mine),
            facts=[
                {"event_key": e.key, "application_nos": e.application_nos, "fact": e.fact, "amount_fen": e.amount_fen}
                for e in mine
            ],
            evaluated_by=actor,
        )
        session.add(line)
        created.append((line, mine))
    try:
        session.flush()
        session.add_all(
            SubsidyEvent(
                rule_code=e.rule_code, event_key=e.key, line_id=line.id, patent_id=e.patent_id, amount_fen=e.amount_fen
            )
            for line, mine in created
            for e in mine
        )
        session.flush()
    except IntegrityError:  # a concurrent evaluation rewarded one of these events first
        raise ApiError(409, "evaluation_conflict", "another evaluation is recording the same events; retry") from None
    audit.record(
        session,
        actor=actor,
        action="subsidies.evaluate",
        entity_type="subsidy_period",
        entity_id=f"{start}..{end}",
        after={"lines": len(created), "amount_fen": sum(line.amount_fen for line, _ in created)},
    )
    return [line for line, _ in created]


def lines_statement(status: str | None = None, rule_code: str | None = None):
    statement = (
        select(SubsidyLine, Enterprise.name, Enterprise.credit_code)
        .join(Enterprise, Enterprise.id == SubsidyLine.enterprise_id)
        .order_by(SubsidyLine.id)
    )
    if status:
        statement = statement.where(SubsidyLine.status == status)
    if rule_code:
        statement = statement.where(SubsidyLine.rule_code == rule_code)
    return statement


def mark_paid(session: Session, line_id: int, actor: str, reference: str | None) -> SubsidyLine:
    """Mark a proposed line paid (once: a paid line answers 409)."""
    line = session.get(SubsidyLine, line_id, with_for_update=True)
    if line is None:
        raise not_found("subsidy line", line_id)
    if line.status == SubsidyStatus.paid:
        raise ApiError(409, "already_paid", f"subsidy line {line_id} was paid on {line.paid_at}")
    line.status, line.paid_by, line.paid_at, line.payment_reference = SubsidyStatus.paid, actor, utcnow(), reference
    audit.record(
        session,
        actor=actor,
        action="subsidies.paid",
        entity_type="subsidy_line",
        entity_id=line_id,
        before={"status": "proposed"},
        after={"status": "paid", "amount_fen": line.amount_fen, "reference": reference},
    )
    session.flush()
    return line


def line_row(line: SubsidyLine, enterprise: str, credit_code: str) -> dict[str, Any]:
    rule = rules_on(line.period_end)["rules"][line.rule_code]
    return {
        "id": line.id,
        "rule_code": line.rule_code,
        "rule_name": rule["name"],
        "rules_effective_from": line.rules_effective_from,
        "period_start": line.period_start,
        "period_end": line.period_end,
        "enterprise_id": line.enterprise_id,
        "enterprise": enterprise,
        "credit_code": credit_code,
        "amount_fen": line.amount_fen,
        "facts": line.facts,
        "status": line.status,
        "evaluated_at": line.evaluated_at,
        "paid_at": line.paid_at,
        "payment_reference": line.payment_reference,
    }
