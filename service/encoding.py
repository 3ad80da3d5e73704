"""JSON for what the service stores and hashes: dates as ISO strings, Decimals as strings.

The database engines serialise JSON columns with `column_dumps`, so results holding `date` and
`Decimal` (as the valuation and matching libraries return them) are stored without a
Python-level walk over every value; `jsonable` gives the same plain form in memory.

`dumps` (the standard library's encoder) is the canonical text: hashes are taken over it. A
portfolio run stores three JSON columns and a hash per patent, and `dumps` was a quarter of its
time; `fast_dumps` and `fast_canonical` give the same text by msgspec in a fraction of it, and
fall back to `dumps` wherever msgspec's text could differ (tests/test_encoding.py compares them).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec


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


# msgspec writes a Decimal as its str and a date as its ISO form, as `json_default` does, and
# strings escaped as `dumps` escapes them (ensure_ascii=False). It takes no `default`: a type it
# does not know (a str subclass, numpy's integers …) raises TypeError, and `dumps` is used.
_ENCODER = msgspec.json.Encoder()
_SORTED = msgspec.json.Encoder(order="deterministic")  # dict keys sorted, as sort_keys=True
# Where msgspec's text differs from `dumps`: a UTC datetime ends in Z, not +00:00 (its text ends
# `Z"`); NaN and ±inf become null, not NaN/Infinity (which PostgreSQL's json refuses and SQLite
# stores: `dumps` keeps that). MessagePack keeps every float as IEEE 754 binary64 after the byte
# 0xcb, so a non-finite one shows as 0xcb then an exponent of all ones; any other match (the bytes
# inside a string) only costs the slow path.
_UTC_TEXT = b'Z"'
_NON_FINITE = re.compile(rb"\xcb[\x7f\xff][\xf0-\xff]").search


# The value types for which msgspec's text is byte for byte the text of `dumps` (no float: its
# exponent is written differently; exact types: not a datetime, not a str or int subclass).
_PLAIN_TYPES = frozenset({str, int, bool, type(None), date, Decimal})
_STR = frozenset({str})


def _plain(value: Any) -> bool:
    """Whether `value` is a dict (str keys) or a list of values all of `_PLAIN_TYPES` (a record, a
    list of flags): checked without a Python loop, as msgspec's text is then that of `dumps`."""
    if type(value) is dict:  # values first: a result's are not, and its keys are not looked at
        return _PLAIN_TYPES.issuperset(map(type, value.values())) and _STR.issuperset(map(type, value))
    return type(value) is list and _PLAIN_TYPES.issuperset(map(type, value))


class Encoded(str):
    """JSON text made by `fast_dumps`: `column_dumps` stores it as it is."""


def fast_dumps(value: Any) -> Encoded:
    """`value` as a JSON column stores it: the text of `dumps` for dicts (str keys), lists,
    tuples, str, int, float, bool, None, date, datetime and Decimal, but for a float's exponent
    (msgspec's 1e16 and 0.00001 are `dumps`' 1e+16 and 1e-05: the same number read back). Not for
    sets (msgspec keeps their order; `dumps` sorts them)."""
    try:
        text = _ENCODER.encode(value)
        if _plain(value) or not (_UTC_TEXT in text or _NON_FINITE(msgspec.msgpack.encode(value))):
            return Encoded(text.decode())
    except (TypeError, ValueError, OverflowError):  # what msgspec cannot write (an int beyond 64
        pass  # bits in MessagePack, a lone surrogate): `dumps` writes it, or refuses it, as before
    return Encoded(dumps(value))


def fast_canonical(value: dict[str, Any]) -> str:
    """`dumps(value, sort_keys=True)` — the text hashes are taken over — by msgspec when `value`
    (str keys) holds values of `_PLAIN_TYPES` and `_plain` dicts and lists; by `dumps` otherwise."""
    if _STR.issuperset(map(type, value)) and all(type(item) in _PLAIN_TYPES or _plain(item) for item in value.values()):
        return _SORTED.encode(value).decode()
    return dumps(value, sort_keys=True)


def column_dumps(value: Any) -> str:
    """The engines' JSON serialiser: `dumps`, or an `Encoded` value's text as it is."""
    return value if type(value) is Encoded else dumps(value)
