from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from service.models.enums import TargetMetric


class TargetCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    metric: TargetMetric
    figure: Annotated[int, msgspec.Meta(gt=0, description="fen for pledge_amount, a count otherwise")]
    window_start: date
    deadline: date
    source: str | None = None


class TargetRead(msgspec.Struct):
    id: int
    code: str
    name: str
    metric: str
    figure: int
    window_start: date
    deadline: date
    source: str | None


class SnapshotRead(msgspec.Struct):
    """A target's progress as the weekly `target-snapshots` job kept it."""

    taken_on: date
    achieved: int  # the target's unit: fen for pledge_amount, a count otherwise
    share: float
    probability_by_deadline: float | None  # the projection's, when the metric has one
