"""Offset pagination shared by the list endpoints."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.params import QueryParameter
from sqlalchemy import Select, func, select
from sqlmodel import Session

T = TypeVar("T")

Limit = Annotated[int, QueryParameter(ge=1, le=500, description="page size")]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000_000, description="rows to skip")]  # 64-bit safe


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def page_of(items: list[T], limit: int, offset: int) -> Page[T]:
    """A page of a list computed in Python (risk alerts, eligibility per product): same envelope."""
    return Page(items[offset : offset + limit], len(items), limit, offset)


def paginate(session: Session, statement: Select, limit: int, offset: int) -> tuple[list, int]:
    """Rows of one page (the statement must be ordered) and the total count."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = session.execute(statement.limit(limit).offset(offset)).all()
    return rows, total
