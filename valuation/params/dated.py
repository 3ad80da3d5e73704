"""Dated parameter values, OpenFisca-style: one value per effective date.

In a parameter file a dated value is a table holding ``values`` (ISO effective date → value) and a
``reference`` (where each figure comes from)::

    [term_years.design]
    by = "filing_date"
    reference = "专利法 (2020修正) 第42条 …"
    values = { 1993-01-01 = 10, 2021-06-01 = 15 }

``by`` names the date that picks the value: ``valuation_date`` (the default — what the rules
said on the day the patent is valued, e.g. the fee schedule), ``filing_date`` or ``grant_date``
(the law in force when the patent was filed or granted, e.g. the design term). A date picks the
entry with the latest effective date on or before it. The earliest entry also stands for earlier
dates: older figures are not encoded, and each reference says where they are known to differ.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

import numpy as np

BY = ("valuation_date", "filing_date", "grant_date")
_METADATA = {"values", "reference", "by", "note", "unit"}


class ParameterError(ValueError):
    """A parameter file (or override) is malformed: says which file, which key and what is wrong."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file, self.key, self.problem = file, key, problem
        super().__init__(f"{file}: {key}: {problem}")


@dataclass(frozen=True)
class Dated:
    """A parameter with a value per effective date (``dates`` ascending, one value each).

    Read it with :meth:`at` (one date) or :meth:`at_dates` (an array of dates). Used as a plain
    value — iterated, indexed, compared to a number — it raises :class:`UnresolvedParameter`:
    a dated value read without a date is a bug, not a default.
    """

    name: str
    by: str
    dates: tuple[date, ...]
    values: tuple[Any, ...]
    reference: str
    note: str = ""

    def at(self, when: date) -> Any:
        """The value in force on ``when`` (the earliest entry for dates before it)."""
        return self.values[max(bisect.bisect_right(self.dates, when) - 1, 0)]

    def at_dates(self, when: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`at` for ``datetime64[D]`` dates (NaT takes the earliest entry); a
        numeric array when every value is a number or a flag, else an object array."""
        starts = np.array(self.dates, dtype="datetime64[D]")
        when = np.asarray(when, dtype="datetime64[D]")
        index = np.searchsorted(starts, np.where(np.isnat(when), starts[0], when), side="right") - 1
        if all(isinstance(value, bool | int | float) for value in self.values):
            values = np.array(self.values)  # numbers gather without a Python object per date
        else:
            values = np.empty(len(self.values), dtype=object)
            for i, value in enumerate(self.values):
                values[i] = value
        return values[np.maximum(index, 0)]

    def as_data(self) -> dict[str, Any]:
        """JSON-ready form (for digests and stored parameter sets)."""
        return {
            "by": self.by,
            "values": {d.isoformat(): v for d, v in zip(self.dates, self.values, strict=True)},
            "reference": self.reference,
        }

    def _unresolved(self, *_: Any) -> NoReturn:
        raise UnresolvedParameter(
            f"{self.name} is dated by {self.by}: read it with .at(date) or resolve the parameters at "
            "the valuation date first (params.at(as_of))"
        )

    __iter__: Any = _unresolved
    __getitem__: Any = _unresolved
    __len__: Any = _unresolved
    __bool__: Any = _unresolved
    __float__: Any = _unresolved
    __int__: Any = _unresolved
    __index__: Any = _unresolved
    __lt__: Any = _unresolved
    __le__: Any = _unresolved
    __gt__: Any = _unresolved
    __ge__: Any = _unresolved


class UnresolvedParameter(TypeError):
    """A dated value was used where a plain value is needed."""


def is_dated(table: Any) -> bool:
    return isinstance(table, Mapping) and "values" in table and isinstance(table["values"], Mapping)


def parse_dated(file: str, name: str, table: Mapping[str, Any]) -> Dated:
    """A :class:`Dated` from its TOML table, or :class:`ParameterError` naming what is wrong."""
    unknown = set(table) - _METADATA
    if unknown:
        raise ParameterError(
            file, name, f"unexpected keys {sorted(unknown)} next to 'values' (allowed: {sorted(_METADATA)})"
        )
    reference = table.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        raise ParameterError(file, name, "a dated value needs a 'reference' saying where its figures come from")
    by = table.get("by", "valuation_date")
    if by not in BY:
        raise ParameterError(file, f"{name}.by", f"{by!r} is not one of {list(BY)}")
    raw = table["values"]
    if not raw:
        raise ParameterError(file, f"{name}.values", "no dated entries")
    entries: list[tuple[date, Any]] = []
    for key, value in raw.items():
        try:
            when = date.fromisoformat(str(key))
        except ValueError:
            raise ParameterError(file, f"{name}.values", f"{key!r} is not an ISO date (YYYY-MM-DD)") from None
        entries.append((when, value))
    entries.sort(key=lambda entry: entry[0])
    kinds = {_kind(value) for _, value in entries}
    if len(kinds) > 1:
        raise ParameterError(file, f"{name}.values", f"entries mix value types {sorted(kinds)}")
    return Dated(
        name=name,
        by=str(by),
        dates=tuple(d for d, _ in entries),
        values=tuple(v for _, v in entries),
        reference=reference.strip(),
        note=str(table.get("note", "")),
    )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def parse_tree(file: str, prefix: str, table: Mapping[str, Any]) -> dict[str, Any]:
    """Copy of a TOML table with every dated value turned into a :class:`Dated`."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if is_dated(value):
            out[key] = parse_dated(file, name, value)
        elif isinstance(value, Mapping):
            out[key] = parse_tree(file, name, value)
        else:
            out[key] = value
    return out


def resolve(tree: Mapping[str, Any], when: date) -> dict[str, Any]:
    """``tree`` with every value dated by the valuation date replaced by its value on ``when``;
    values dated by filing or grant date stay :class:`Dated` (each patent picks its own)."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Dated):
            out[key] = value.at(when) if value.by == "valuation_date" else value
        elif isinstance(value, Mapping):
            out[key] = resolve(value, when)
        else:
            out[key] = value
    return out


def dated_values(tree: Mapping[str, Any]) -> Iterator[Dated]:
    """Every :class:`Dated` in ``tree``."""
    for value in tree.values():
        if isinstance(value, Dated):
            yield value
        elif isinstance(value, Mapping):
            yield from dated_values(value)


def to_data(value: Any) -> Any:
    """JSON-ready deep copy (:class:`Dated` → its :meth:`Dated.as_data`)."""
    if isinstance(value, Dated):
        return value.as_data()
    if isinstance(value, Mapping):
        return {k: to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(v) for v in value]
    return value


__all__ = ["BY", "Dated", "ParameterError", "UnresolvedParameter", "dated_values", "parse_tree", "resolve", "to_data"]
