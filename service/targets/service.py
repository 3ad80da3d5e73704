"""Targets as data: finding and creating them (progress is computed in ``progress``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.dates import check_target_window
from service.errors import ApiError, not_found
from service.models import Target
from service.targets.schemas import TargetCreate


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
