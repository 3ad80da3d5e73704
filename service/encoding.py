"""JSON for what the service stores and hashes: dates as ISO strings, Decimals as strings.

The database engines serialise JSON columns with `dumps`, so results holding `date` and
`Decimal` (as the valuation and matching libraries return them) are stored without a
Python-level walk over every value; `jsonable` gives the same plain form in memory.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    return json.dumps(value, default=json_default, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"))


def jsonable(value: Any) -> Any:
    """The plain JSON form of `value` (dates and Decimals as strings)."""
    return json.loads(dumps(value))
