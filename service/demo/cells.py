"""Typed values → CSV cells, exactly as docs/import-formats.md spells them.

Empty cell = unknown (``None`` → ``""``); dates ISO; booleans ``true``/``false``; money in yuan
with at most two decimals; lists joined with ``;``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")


def day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def flag(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def count(value: int | None) -> str:
    return "" if value is None else str(int(value))


def yuan(value: int | float | Decimal | str | None) -> str:
    """Money in yuan: ``1250000`` or ``1250000.50`` (rounded half up to the fen)."""
    if value is None:
        return ""
    amount = Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)
    if amount < 0:
        raise ValueError(f"negative amount {value!r}")
    return str(amount.to_integral_value()) if amount == amount.to_integral_value() else str(amount)


def codes(values: Iterable[str]) -> str:
    return ";".join(values)
