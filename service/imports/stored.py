"""The importer's date rules applied to rows already stored.

A row written around the importer (SQL by hand, an older version without date bounds) can hold a
date like 9990-01-01. Derived dates then leave the calendar (expiry = filing + 20 years is past
year 9999), so the services that value, match or watch patents check stored rows with the same
parsers the importer uses and set such rows aside with this reason instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache, lru_cache
from typing import Any

from service.clock import utctoday
from service.imports.cells import EARLIEST_DATE, EVENT_SLACK, iso_date, term_end_date
from service.imports.kinds import KINDS

IMPLAUSIBLE_DATES = "implausible_dates"
_DATE_PARSERS = (iso_date, term_end_date)


def implausible_dates(kind: str, fields: Mapping[str, Any] | object) -> dict[str, str]:
    """{column: why} for each stored date of a `kind` row (a mapping or a table row) the importer
    would refuse; {} when none."""
    today = utctoday()
    earliest, latest = EARLIEST_DATE, today + EVENT_SLACK  # every date parser accepts these (the narrowest window)
    get = fields.get if isinstance(fields, Mapping) else lambda key: getattr(fields, key, None)
    problems = {}
    for key in _date_keys(kind):
        value = get(key)
        if isinstance(value, date) and not earliest <= value <= latest:
            why = _date_problem(kind, key, value, today)
            if why is not None:
                problems[key] = why
    return problems


@cache
def _date_keys(kind: str) -> tuple[str, ...]:
    """The keys of `kind`'s date columns (a portfolio run checks every stored patent)."""
    return tuple(column.key for column in KINDS[kind].columns if column.parse in _DATE_PARSERS)


@lru_cache(maxsize=1 << 12)
def _date_problem(kind: str, key: str, value: date, today: date) -> str | None:
    """Why the importer refuses `value` in this column, or None (cached by day: the window ends
    after today)."""
    column = next(c for c in KINDS[kind].columns if c.key == key)
    try:
        column.parse(value.isoformat())
    except ValueError as exc:
        return str(exc)
    return None


def describe(problems: Mapping[str, str]) -> str:
    """One line for a message: "filing_date: 9990-01-01 is not a plausible date: …"."""
    return "; ".join(f"{column}: {why}" for column, why in problems.items())


def refuse_implausible(kind: str, what: str, fields: Mapping[str, Any] | object) -> None:
    """422 `implausible_dates` naming each bad stored date, for answers that would build on them."""
    from service.errors import ApiError

    problems = implausible_dates(kind, fields)
    if problems:
        raise ApiError(
            422,
            IMPLAUSIBLE_DATES,
            f"{what} holds implausible dates ({describe(problems)}); correct the row and revalue",
            problems,
        )
