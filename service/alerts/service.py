"""Fee alerts on watched patents (the `fee-monitoring` job) and who may read them.

A patent is watched while it secures an active pledge or sits on an open whitelist entry; each
bank concerned gets its own alert. The fee rules (due dates, grace period, late fee) are the
valuation library's (`valuation.fees`, DESIGN.md §4): this module only decides which patents to
look at and keeps one alert per patent, fee due date and bank, raised once and moved through
due → grace → lapsed as the dates pass, closed when the fee record shows payment or the patent
is no longer watched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import Select, select
from sqlmodel import Session

from service.auth.keys import Principal
from service.models import Alert, Bank, Patent, PledgedPatent, PledgeRegistration, WhitelistEntry
from service.models.enums import AlertStage, ApiRole, EntryStatus, LegalStatus
from service.notifications import service as notifications
from valuation import load_params
from valuation.fees import PATENT_TYPES, fee_status


@dataclass(frozen=True)
class Watch:
    patent_id: int
    bank_id: int
    registration_id: int | None
    entry_id: int | None


def watched(session: Session, now: datetime) -> list[Watch]:
    """(patent, bank) pairs to watch: active pledges first, then open, unexpired whitelist entries."""
    pairs: dict[tuple[int, int], Watch] = {}
    for patent_id, bank_id, registration_id in session.execute(
        select(PledgedPatent.patent_id, PledgeRegistration.bank_id, PledgeRegistration.id)
        .join(PledgeRegistration, PledgeRegistration.id == PledgedPatent.registration_id)
        .where(PledgedPatent.released_date.is_(None))
    ):
        pairs[(patent_id, bank_id)] = Watch(patent_id, bank_id, registration_id, None)
    entries = session.execute(
        select(WhitelistEntry.id, WhitelistEntry.bank_id, WhitelistEntry.content).where(
            WhitelistEntry.status.in_([EntryStatus.published, EntryStatus.acknowledged]),
            WhitelistEntry.expires_at > now,
        )
    ).all()
    numbers = {item["application_no"] for _, _, content in entries for item in content.get("patents", [])}
    ids = dict(
        session.execute(select(Patent.application_no, Patent.id).where(Patent.application_no.in_(numbers))).all()
    )
    for entry_id, bank_id, content in entries:
        for item in content.get("patents", []):
            patent_id = ids.get(item["application_no"])
            if patent_id is not None:
                pairs.setdefault((patent_id, bank_id), Watch(patent_id, bank_id, None, entry_id))
    return list(pairs.values())


@dataclass(frozen=True)
class FeeAlert:
    stage: AlertStage
    fee_year: int
    due_date: date
    grace_end: date
    fee_fen: int
    late_fee_fen: int
    message: str


def _fen(yuan: float) -> int:
    return round(float(yuan) * 100)


def fee_alerts(patents: list[Patent], today: date, due_within_days: int) -> dict[int, FeeAlert]:
    """Per patent id, the alert its fee record calls for on `today`, if any.

    A patent the register already shows as lapsed is judged as if valid: its unpaid fee is what
    lapsed it, so the alert says which fee and since when. Patents without a fee record are not
    judged (nothing to say)."""
    if not patents:
        return {}
    kind = np.array([PATENT_TYPES.index(p.patent_type) for p in patents])
    filing = np.array([p.filing_date for p in patents], dtype="datetime64[D]")
    paid = np.array([np.nan if p.fees_paid_through_year is None else p.fees_paid_through_year for p in patents])
    fee_bearing = np.array(
        [p.grant_date is not None and p.legal_status in (LegalStatus.valid, LegalStatus.lapsed) for p in patents]
    )
    fees = fee_status(kind, filing, paid, fee_bearing, np.datetime64(today, "D"), load_params().at(today))
    horizon = np.datetime64(today + timedelta(days=due_within_days), "D")
    due_soon = fees.applies & ~fees.overdue & ~fees.past_grace & (fees.next_due <= horizon)
    alerts = {}
    for i, patent in enumerate(patents):
        if not (due_soon[i] or fees.overdue[i] or fees.past_grace[i]):
            continue
        stage = AlertStage.lapsed if fees.past_grace[i] else AlertStage.grace if fees.overdue[i] else AlertStage.due
        due, grace_end = fees.next_due[i].item(), fees.grace_end[i].item()
        year, fee, late = int(fees.next_fee_year[i]), _fen(fees.next_fee[i]), _fen(fees.late_fee[i])
        alerts[patent.id] = FeeAlert(
            stage, year, due, grace_end, fee, late, _message(patent, stage, year, due, grace_end, fee, late)
        )
    return alerts


def _message(patent: Patent, stage: AlertStage, year: int, due: date, grace_end: date, fee: int, late: int) -> str:
    head = f"专利{patent.application_no}第{year}年年费{fee / 100:,.0f}元"
    if stage is AlertStage.due:
        return f"{head}将于{due}到期，请提醒权利人按时缴纳"
    if stage is AlertStage.grace:
        owed = f"现在缴纳需另付滞纳金{late / 100:,.2f}元" if late else "到期后一个月内缴纳无滞纳金"
        return f"{head}已于{due}到期未缴，处于滞纳期（至{grace_end}），{owed}"
    return f"{head}应于{due}缴纳，滞纳期已于{grace_end}届满仍未缴纳，专利权自{due}起终止，质押物失效"


def _close_settled(alerts, patents: dict[int, Patent], watching: set[tuple[int, int]], now: datetime) -> int:
    """Close open alerts whose fee the record shows paid, or whose patent the bank no longer holds."""
    closed = 0
    for alert in alerts:
        if alert.closed_at is not None:
            continue
        patent = patents.get(alert.patent_id)
        if patent is not None and (patent.fees_paid_through_year or 0) >= alert.fee_year:
            alert.close_reason = "paid"
        elif (alert.patent_id, alert.bank_id) not in watching:
            alert.close_reason = "released"
        else:
            continue
        alert.closed_at = alert.updated_at = now
        closed += 1
    return closed


def monitor_fees(session: Session, today: date, now: datetime, due_within_days: int) -> dict[str, int]:
    """Raise, move and close fee alerts for every watched patent; notify each bank of its new or
    worsened alerts. Counts what it did."""
    watches = watched(session, now)
    patents = {
        p.id: p for p in session.scalars(select(Patent).where(Patent.id.in_({w.patent_id for w in watches}))).all()
    }
    wanted = fee_alerts(list(patents.values()), today, due_within_days)
    watching = {(w.patent_id, w.bank_id) for w in watches}
    counts = {"watched": len(watches), "raised": 0, "escalated": 0, "closed": 0}
    existing = {
        (a.patent_id, a.due_date, a.bank_id): a
        for a in session.scalars(select(Alert).where(Alert.patent_id.in_(patents) | Alert.closed_at.is_(None))).all()
    }
    counts["closed"] = _close_settled(existing.values(), patents, watching, now)
    for watch in watches:
        fee = wanted.get(watch.patent_id)
        if fee is None:
            continue
        alert = existing.get((watch.patent_id, fee.due_date, watch.bank_id))
        if alert is None:
            alert = Alert(
                patent_id=watch.patent_id,
                bank_id=watch.bank_id,
                registration_id=watch.registration_id,
                entry_id=watch.entry_id,
                fee_year=fee.fee_year,
                due_date=fee.due_date,
                grace_end=fee.grace_end,
                stage=fee.stage,
                fee_fen=fee.fee_fen,
                late_fee_fen=fee.late_fee_fen,
                message=fee.message,
                raised_at=now,
                updated_at=now,
            )
            counts["raised"] += 1
        elif alert.closed_at is None and alert.stage != fee.stage:  # due → grace → lapsed: tell the bank
            alert.stage, alert.late_fee_fen, alert.message, alert.updated_at = (
                fee.stage,
                fee.late_fee_fen,
                fee.message,
                now,
            )
            counts["escalated"] += 1
        else:
            if alert.closed_at is None and alert.late_fee_fen != fee.late_fee_fen:  # a month on in grace
                alert.late_fee_fen, alert.message, alert.updated_at = fee.late_fee_fen, fee.message, now
            continue
        session.add(alert)
        session.flush()
        notifications.enqueue(
            session,
            watch.bank_id,
            "alert.raised",
            {
                "alert_id": alert.id,
                "application_no": patents[watch.patent_id].application_no,
                "stage": fee.stage.value,
                "due_date": fee.due_date.isoformat(),
            },
        )
    return counts


def visible_alerts(
    principal: Principal, *, status: str = "open", stage: AlertStage | None = None, bank_code: str | None = None
) -> Select:
    """Alerts this caller may read (a bank: its own, whatever `bank_code` says), newest first."""
    statement = (
        select(Alert, Patent.application_no, Bank.code)
        .join(Patent, Patent.id == Alert.patent_id)
        .join(Bank, Bank.id == Alert.bank_id)
        .order_by(Alert.raised_at.desc(), Alert.id.desc())
    )
    if principal.role == ApiRole.bank:
        statement = statement.where(Alert.bank_id == principal.bank_id)
    elif bank_code:
        statement = statement.where(Bank.code == bank_code)
    if status == "open":
        statement = statement.where(Alert.closed_at.is_(None))
    elif status == "closed":
        statement = statement.where(Alert.closed_at.is_not(None))
    if stage is not None:
        statement = statement.where(Alert.stage == stage)
    return statement
