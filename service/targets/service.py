"""Targets as data (finding, creating, weekly snapshots) and their progress: what has been
achieved in the window, where it came from, and the projection to the deadline
(service.targets.projection holds the model).

Metrics (DESIGN.md §8):
* pledge_amount — Σ amount of pledge registrations whose registration date lies in
  [window_start, min(as_of, deadline)], whatever IP they pledge (the plan counts
  "专利、商标等知识产权质押融资额"; broken down by `ip_type`: patent, trademark, other).
  Trademarks are counted, not valued. A later release does not undo new financing.
* high_value_patents — valid high-value invention patents held by the county's enterprises on
  as_of, judged from the data as of that date (service.statistics: the five CNIPA flags on the
  date, validity from filing, grant, lapse dates and fee rules), not from stored valuations; its
  monthly series is the stock at each month end of the window (computed, never typed in).
* ip_advantage_enterprises / ip_standard_enterprises — enterprises whose certification date
  lies in the window (up to as_of).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.dates import check_target_window
from service.db import dialect_insert
from service.encoding import jsonable
from service.errors import ApiError, not_found
from service.models import (
    Bank,
    Enterprise,
    Patent,
    PledgedIpItem,
    PledgedPatent,
    PledgeProduct,
    PledgeRegistration,
    Target,
    TargetSnapshot,
)
from service.models.enums import TargetMetric
from service.models.types import utcnow
from service.statistics import service as statistics
from service.targets.projection import monthly_series, project_count_to_deadline, project_to_deadline
from service.targets.schemas import SnapshotRead, TargetCreate

_CERTIFICATION_DATE = {
    TargetMetric.ip_advantage_enterprises: Enterprise.ip_advantage_date,
    TargetMetric.ip_standard_enterprises: Enterprise.ip_standard_date,
}


@dataclass(frozen=True)
class Contribution:
    """One registration or certification counted by a target, with what breakdowns need."""

    day: date
    amount: int  # fen for pledge_amount, 1 for counts
    labels: dict[str, str]


def window_end(target: Target, as_of: date) -> date:
    return min(as_of, target.deadline)


def pledge_registrations(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    """Registrations dated in [start, end], with enterprise, bank and product — the export's rows too."""
    rows = session.execute(
        select(PledgeRegistration, Enterprise, Bank, PledgeProduct)
        .join(Enterprise, Enterprise.id == PledgeRegistration.enterprise_id)
        .join(Bank, Bank.id == PledgeRegistration.bank_id)
        .outerjoin(PledgeProduct, PledgeProduct.id == PledgeRegistration.product_id)
        .where(PledgeRegistration.registration_date.between(start, end))
        .order_by(PledgeRegistration.registration_date, PledgeRegistration.registration_no)
    ).all()
    return [
        {"registration": reg, "enterprise": ent, "bank": bank, "product": product} for reg, ent, bank, product in rows
    ]


def pledged_ip(session: Session, registration_ids: list[int]) -> dict[int, list[str]]:
    """Each registration's pledged IP as printable numbers: patents' application numbers, then
    trademarks as `TM:number` and other IP as `IP:number`."""
    pledged: dict[int, list[str]] = {}
    for start in range(0, len(registration_ids), 1000):
        chunk = registration_ids[start : start + 1000]
        for registration_id, number in session.execute(
            select(PledgedPatent.registration_id, Patent.application_no)
            .join(Patent, Patent.id == PledgedPatent.patent_id)
            .where(PledgedPatent.registration_id.in_(chunk))
            .order_by(Patent.application_no)
        ):
            pledged.setdefault(registration_id, []).append(number)
        for registration_id, ip_type, number in session.execute(
            select(PledgedIpItem.registration_id, PledgedIpItem.ip_type, PledgedIpItem.number)
            .where(PledgedIpItem.registration_id.in_(chunk))
            .order_by(PledgedIpItem.ip_type.desc(), PledgedIpItem.number)
        ):
            pledged.setdefault(registration_id, []).append(f"{'TM' if ip_type == 'trademark' else 'IP'}:{number}")
    return pledged


def _contributions(session: Session, target: Target, as_of: date) -> list[Contribution]:
    end = window_end(target, as_of)
    metric = TargetMetric(target.metric)
    if metric is TargetMetric.pledge_amount:
        return [
            Contribution(
                r["registration"].registration_date,
                r["registration"].amount_fen,
                {
                    "bank": r["bank"].code,
                    "industry_cluster": r["enterprise"].industry_cluster,
                    "product": r["product"].code if r["product"] else "unknown",
                    "ip_type": r["registration"].ip_type,
                },
            )
            for r in pledge_registrations(session, target.window_start, end)
        ]
    if metric in _CERTIFICATION_DATE:
        column = _CERTIFICATION_DATE[metric]
        rows = session.execute(
            select(column, Enterprise.industry_cluster, Enterprise.town)
            .where(column.between(target.window_start, end))
            .order_by(column)
        ).all()
        return [
            Contribution(day, 1, {"industry_cluster": cluster, "town": town or "unknown"})
            for day, cluster, town in rows
        ]
    return []


def high_value_patents(session: Session, as_of: date) -> list[Contribution]:
    """High-value invention patents held by the county's enterprises on as_of (from the data)."""
    return [
        Contribution(as_of, 1, {"industry_cluster": row["industry_cluster"], "town": row["town"]})
        for row in statistics.high_value_patents_on(session, as_of)
    ]


def high_value_monthly(session: Session, target: Target, end: date) -> list[dict[str, Any]]:
    """The stock at each month end of the window (not a sum of flows: a stock rises and falls)."""
    if end < target.window_start:
        return []
    return [
        {"month": p["month"], "as_of": p["as_of"], "count": p["high_value_patents"]}
        for p in statistics.high_value_series(session, target.window_start, end)
    ]


def _breakdowns(contributions: list[Contribution]) -> dict[str, list[dict[str, Any]]]:
    totals: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for c in contributions:
        for dimension, label in c.labels.items():
            totals[dimension][label][0] += c.amount
            totals[dimension][label][1] += 1
    grand = sum(c.amount for c in contributions) or 1
    return {
        dimension: sorted(
            (
                {"key": key, "amount": amount, "count": count, "share": amount / grand}
                for key, (amount, count) in by_key.items()
            ),
            key=lambda row: -row["amount"],
        )
        for dimension, by_key in totals.items()
    }


def target_progress(
    session: Session, target: Target, as_of: date, *, seed: int = 0, draws: int = 20_000
) -> dict[str, Any]:
    """Achieved, share, monthly series, breakdowns, run-rates and the projection, as plain data."""
    metric = TargetMetric(target.metric)
    end = window_end(target, as_of)
    if metric is TargetMetric.high_value_patents:
        contributions = high_value_patents(session, end)
        achieved = len(contributions)
        projection = None
        note = (
            "a stock, not a flow: patents enter when granted and leave when they lapse, so no "
            "arrival model is fitted; the figure is the count on the date from the data ("
            + statistics.UNDATED_NOTE
            + ")"
        )
    else:
        contributions = _contributions(session, target, as_of)
        events = [(c.day, c.amount) for c in contributions]
        if metric is TargetMetric.pledge_amount:
            projection = project_to_deadline(
                events, target.window_start, as_of, target.deadline, target.figure, seed=seed, draws=draws
            )
        else:
            projection = project_count_to_deadline(
                [c.day for c in contributions],
                target.window_start,
                as_of,
                target.deadline,
                target.figure,
                seed=seed,
                draws=draws,
            )
        achieved = projection.achieved
        note = None
    unit = "fen" if metric is TargetMetric.pledge_amount else "count"
    monthly = (
        monthly_series([(c.day, c.amount) for c in contributions], target.window_start, end)
        if metric is not TargetMetric.high_value_patents
        else high_value_monthly(session, target, end)
    )
    return {
        "target": target_summary(target),
        "as_of": as_of,
        "unit": unit,
        "achieved": achieved,
        "figure": target.figure,
        "share": achieved / target.figure,
        "remaining": max(target.figure - achieved, 0),
        "days_left": max((target.deadline - as_of).days, 0),
        "window_closed": as_of >= target.deadline,
        "monthly": monthly,
        "run_rate": None
        if projection is None
        else {"actual_per_month": projection.rate_per_month, "required_per_month": projection.required_rate_per_month},
        "breakdowns": _breakdowns(contributions),
        "projection": None if projection is None else projection.to_dict(),
        "note": note,
    }


def target_summary(target: Target) -> dict[str, Any]:
    return {
        "id": target.id,
        "code": target.code,
        "name": target.name,
        "metric": target.metric,
        "figure": target.figure,
        "window_start": target.window_start,
        "deadline": target.deadline,
        "source": target.source,
    }


# Why the public sees no money in the progress of an amount target (README "Who may read what").
WITHHELD_AMOUNTS = (
    "amounts are staff-only: with a handful of registrations a month, a monthly sum, a breakdown cell "
    "or the difference of two as_of totals is one enterprise's loan; counts and the probability of "
    "reaching the target are public"
)


def public_progress(progress: dict[str, Any]) -> dict[str, Any]:
    """`target_progress` for callers without a staff key: an amount target's money (achieved,
    monthly and breakdown amounts, run-rates, projected totals and the model's fitted sizes) is
    withheld; registration counts, the figure, days left and the probability stay. Count
    targets are unchanged (certifications and high-value patents are public facts)."""
    if progress["unit"] != "fen":
        return progress
    projection = progress["projection"]
    return progress | {
        "achieved": None,
        "share": None,
        "remaining": None,
        "registrations": sum(month["count"] for month in progress["monthly"]),
        "monthly": [{"month": month["month"], "count": month["count"]} for month in progress["monthly"]],
        "run_rate": None,
        "breakdowns": {
            dimension: [{"key": row["key"], "count": row["count"]} for row in rows]
            for dimension, rows in progress["breakdowns"].items()
        },
        "projection": None
        if projection is None
        else {key: projection[key] for key in ("unit", "status", "probability", "days_left")},
        "withheld": WITHHELD_AMOUNTS,
    }


# --- targets as data ----------------------------------------------------------------------


def get_target(session: Session, target_id: int) -> Target:
    target = session.get(Target, target_id)
    if target is None:
        raise not_found("target", target_id)
    return target


def create_target(session: Session, data: TargetCreate) -> Target:
    check_target_window(data.window_start, data.deadline)
    if session.scalars(select(Target).where(Target.code == data.code)).first() is not None:
        raise ApiError(409, "target_exists", f"a target with code {data.code!r} exists")
    target = Target(
        code=data.code,
        name=data.name,
        metric=data.metric.value,
        figure=data.figure,
        window_start=data.window_start,
        deadline=data.deadline,
        source=data.source,
    )
    session.add(target)
    try:
        session.flush()
    except IntegrityError:  # a concurrent create with the same code
        raise ApiError(409, "target_exists", f"a target with code {data.code!r} exists") from None
    return target


def snapshot_targets(session: Session, as_of: date) -> int:
    """Store every target's progress as of a date (the `target-snapshots` job); a date already
    snapshotted is kept as it was. Returns how many were written."""
    written = 0
    for target in session.scalars(select(Target).order_by(Target.id)).all():
        if target.window_start > as_of:
            continue
        progress = target_progress(session, target, as_of)
        written += len(
            session.execute(
                dialect_insert(session, TargetSnapshot)
                .values(
                    target_id=target.id,
                    taken_on=as_of,
                    achieved=progress["achieved"],
                    progress=jsonable(progress),
                    taken_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["target_id", "taken_on"])
                .returning(TargetSnapshot.id)
            ).all()
        )
    return written


def snapshots(session: Session, target: Target) -> list[TargetSnapshot]:
    return list(
        session.scalars(
            select(TargetSnapshot).where(TargetSnapshot.target_id == target.id).order_by(TargetSnapshot.taken_on)
        ).all()
    )


def snapshot_read(snapshot: TargetSnapshot) -> SnapshotRead:
    projection = snapshot.progress.get("projection") or {}
    return SnapshotRead(
        taken_on=snapshot.taken_on,
        achieved=snapshot.achieved,
        share=snapshot.progress["share"],
        probability_by_deadline=projection.get("probability"),
    )
