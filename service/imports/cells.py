"""Parsers for one cell of an import file. Each returns a typed value or raises ValueError
with the message shown to the user as `row N, column C: message`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from service.identifiers import normalize_application_no, normalize_credit_code

Parser = Callable[[str], object]

_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}
_CODE = re.compile(r"^[A-Z0-9_-]{2,32}$")


def text(max_length: int) -> Parser:
    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise ValueError(f"too long: {len(raw)} characters, at most {max_length}")
        return raw

    return parse


def code(raw: str) -> str:
    value = raw.upper()
    if not _CODE.match(value):
        raise ValueError(f"{raw!r} is not a code: use 2–32 of A–Z, 0–9, _ and -")
    return value


def credit_code(raw: str) -> str:
    return normalize_credit_code(raw)


def application_no(raw: str) -> str:
    return normalize_application_no(raw)


def iso_date(raw: str) -> date:
    match = _DATE.match(raw)
    if not match:
        raise ValueError(f"{raw!r} is not a date: use YYYY-MM-DD")
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(f"{raw!r} is not a calendar date") from None


def boolean(raw: str) -> bool:
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not a boolean: use true or false")


def _decimal(raw: str) -> Decimal:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{raw!r} is not a finite number")
    return value


# Largest values the columns hold (32-bit counts; fen in a 64-bit column with room to sum).
MAX_COUNT = 2_147_483_647
MAX_YUAN = Decimal(10) ** 13


def integer(low: int | None = 0, high: int = MAX_COUNT) -> Parser:
    def parse(raw: str) -> int:
        value = _decimal(raw)
        if value != value.to_integral_value():
            raise ValueError(f"{raw!r} is not a whole number")
        number = int(value)
        if low is not None and number < low:
            raise ValueError(f"{number} is below the minimum {low}")
        if number > high:
            raise ValueError(f"{number} is above the maximum {high}")
        return number

    return parse


def decimal(low: Decimal | None = None, high: Decimal | None = None, *, low_open: bool = False) -> Parser:
    def parse(raw: str) -> Decimal:
        value = _decimal(raw)
        if low is not None and (value < low or (low_open and value == low)):
            raise ValueError(f"{raw} must be {'above' if low_open else 'at least'} {low}")
        if high is not None and value > high:
            raise ValueError(f"{raw} must be at most {high}")
        return value

    return parse


def yuan_to_fen(raw: str) -> int:
    """Amount in yuan (at most two decimals, never negative) → integer fen."""
    value = _decimal(raw)
    if value < 0:
        raise ValueError(f"amount {raw} is negative")
    if value > MAX_YUAN:
        raise ValueError(f"amount {raw} is implausibly large (above {MAX_YUAN:,} yuan)")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"amount {raw} has more than two decimals")
    return int(fen)


def one_of(enum: type[StrEnum]) -> Parser:
    codes = {member.value for member in enum}

    def parse(raw: str) -> str:
        if raw not in codes:
            raise ValueError(f"{raw!r} is not one of {', '.join(sorted(codes))}")
        return raw

    return parse


def list_of(enum: type[StrEnum]) -> Parser:
    item = one_of(enum)

    def parse(raw: str) -> list[str]:
        values = [part.strip() for part in raw.split(";") if part.strip()]
        return sorted({item(value) for value in values})

    return parse


def grade(raw: str) -> str:
    value = raw.upper()
    if value not in {"A", "B", "C", "D", "E"}:
        raise ValueError(f"{raw!r} is not a grade: use A, B, C, D or E")
    return value
