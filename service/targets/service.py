"""Targets as data: finding and creating them (progress is computed in ``progress``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.dates import check_target_window
from service.db import dialect_insert
from service.encoding import jsonable
from service.errors import ApiError, not_found
from service.models import Target, TargetSnapshot
from service.models.types import utcnow
from service.targets.schemas import SnapshotRead, TargetCreate


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
    from service.targets.progress import target_progress  # numpy and the projection model

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
