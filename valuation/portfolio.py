"""A patent portfolio as column arrays: the one place records become numbers.

``Portfolio.from_records`` takes records keyed by the patent import columns
(``docs/import-formats.md``), already validated and typed by the service, and stores one numpy
array per field; ``Portfolio.from_columns`` takes the same values column by column (as a parsed
file holds them: each distinct value once, with each patent's index into them). Money is in
yuan (``annual_revenue_yuan``, ``max_pledge_amount_yuan``): the library's one money unit; the
service converts its integer fen at one place (``service/valuations/inputs.py``). Unknown
values stay visible: counts and amounts are ``float`` arrays with NaN for unknown, dates
``datetime64[D]`` with NaT, enumerations small integer codes with −1 for unknown. How each
unknown is treated is decided — and documented — where it is used (``scoring``, ``rules``,
``survival``, ``income``); the rule throughout is that an unknown never adds value or removes a
risk.

Booleans whose import default is stated (``co_owners_consent`` true; ``invalidation_pending``,
``dual_filing``, ``frozen`` false) take that default when None; the service's optional
``pledged`` is false when absent (the service knows the active pledges); ``granted_abroad`` and
``pct`` unknown count as false.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np

from valuation.fees import PATENT_TYPES

STATUSES = ("pending", "valid", "lapsed", "expired", "invalidated")
PENDING, VALID, LAPSED, EXPIRED, INVALIDATED = range(5)
AWARDS = ("none", "china_patent_excellent", "china_patent_silver", "china_patent_gold", "national_st")
STAGES = ("none", "prototype", "pilot", "production")

_IPC = re.compile(r"^\s*([A-H])\s*(\d{2})\s*([A-Z])\s*(?:(\d{1,4})\s*(?:/\s*(\d{1,6}))?)?\s*$")


def parse_ipc(raw: str | None) -> tuple[str, str, str, str, str]:
    """``'H01M 10/052'`` → (section, class, subclass, main group, group): ``('H', 'H01', 'H01M',
    'H01M 10', 'H01M 10/052')``; unknown or malformed → five empty strings. "group" is the most
    specific level given (``'H01M'`` → group ``'H01M'``, main group ``''``), so every level can be
    recomputed from it."""
    if not raw:
        return ("", "", "", "", "")
    match = _IPC.match(raw.upper())
    if not match:
        return ("", "", "", "", "")
    section, cls, sub, main, subgroup = match.groups()
    subclass = f"{section}{cls}{sub}"
    main_group = f"{subclass} {int(main)}" if main else ""
    group = f"{main_group}/{subgroup}" if main and subgroup else (main_group or subclass)
    return (section, f"{section}{cls}", subclass, main_group, group)


IpcCodes = dict[str, tuple[np.ndarray, np.ndarray]]
# A column given to ``Portfolio.from_columns``: one value per patent, or (values, codes).
Column = Sequence[Any] | tuple[Sequence[Any], np.ndarray]
# The record keys a portfolio reads (the patent import columns, money in yuan, and the service's
# pledge facts).
RECORD_KEYS = (
    "application_no",
    "title",
    "patent_type",
    "ipc",
    "filing_date",
    "grant_date",
    "legal_status",
    "lapse_date",
    "co_owners_consent",
    "fees_paid_through_year",
    "late_fee_payments",
    "forward_citations",
    "backward_citations",
    "claims",
    "independent_claims",
    "family_size",
    "granted_abroad",
    "pct",
    "licenses",
    "transfers",
    "previous_pledges",
    "award",
    "commercialization",
    "annual_revenue_yuan",
    "term_compensation_days",
    "invalidation_pending",
    "dual_filing",
    "frozen",
    "pledged",
    "max_pledge_amount_yuan",
)


def ipc_levels(groups_per_patent: np.ndarray) -> IpcCodes:
    """Per IPC level ("group", "main_group", "subclass", "class", "section") of normalised IPC
    groups (``parse_ipc(...)[4]``): the distinct values and each entry's index into them. Levels
    are recomputed from the distinct groups, so only one string sort runs over the input."""
    groups, inverse = np.unique(groups_per_patent, return_inverse=True)
    parsed = np.array([parse_ipc(g) for g in groups.tolist()], dtype=str).reshape(len(groups), 5)
    codes = {"group": (groups, inverse)}
    for name, column in (("section", 0), ("class", 1), ("subclass", 2), ("main_group", 3)):
        unique, small_inverse = np.unique(parsed[:, column], return_inverse=True)
        codes[name] = (unique, small_inverse[inverse])
    return codes


_EPOCH = date(1970, 1, 1).toordinal()
_NAT = np.iinfo(np.int64).min  # NaT as datetime64's integer


def day_array(values: Sequence[Any]) -> np.ndarray:
    """``values`` (dates, None for unknown) as ``datetime64[D]`` (NaT), through their ordinals:
    numpy converts a ``date`` object in 1.4 µs, an integer in a few ns. Anything else a date
    column may hold (ISO text, datetime64) goes numpy's way."""
    try:
        days = [_NAT if v is None else v.toordinal() - _EPOCH for v in values]
    except AttributeError:
        return np.array(values, dtype="datetime64[D]")
    return np.array(days, dtype=np.int64).view("datetime64[D]")


def _coded(given: Column | None, n: int) -> tuple[Sequence[Any], np.ndarray]:
    """A column as (distinct values, each patent's index into them); None: n unknown values."""
    if given is None:
        return [None], np.zeros(n, dtype=np.intp)
    if isinstance(given, tuple) and len(given) == 2 and isinstance(given[1], np.ndarray):
        return given
    index = {value: i for i, value in enumerate(dict.fromkeys(given))}
    return list(index), np.fromiter(map(index.__getitem__, given), dtype=np.intp, count=len(given))


@dataclass(frozen=True)
class Portfolio:
    """Column arrays for ``n`` patents (see the module docstring for the encoding of unknowns)."""

    application_no: np.ndarray  # object (str)
    title: np.ndarray  # str, "" unknown
    kind: np.ndarray  # int8: index into fees.PATENT_TYPES
    ipc: np.ndarray  # str, most specific normalised level "H01M 10/052", "" unknown
    ipc_section: np.ndarray  # str "H"
    ipc_class: np.ndarray  # str "H01"
    ipc_subclass: np.ndarray  # str "H01M"
    ipc_main_group: np.ndarray  # str "H01M 10"
    filing: np.ndarray  # datetime64[D]
    grant: np.ndarray  # datetime64[D], NaT = not granted / unknown
    status: np.ndarray  # int8: index into STATUSES
    lapse: np.ndarray  # datetime64[D]
    co_owners_consent: np.ndarray  # bool
    fees_paid_through: np.ndarray  # float, NaN unknown
    late_fee_payments: np.ndarray  # float, NaN unknown
    forward_citations: np.ndarray  # float, NaN unknown
    backward_citations: np.ndarray
    claims: np.ndarray
    independent_claims: np.ndarray
    family_size: np.ndarray
    granted_abroad: np.ndarray  # bool (unknown → False)
    pct: np.ndarray  # bool (unknown → False)
    licenses: np.ndarray
    transfers: np.ndarray
    previous_pledges: np.ndarray
    award: np.ndarray  # int8 index into AWARDS, −1 unknown
    commercialization: np.ndarray  # int8 index into STAGES, −1 unknown
    revenue: np.ndarray  # float yuan, NaN unknown
    term_compensation_days: np.ndarray  # float, NaN unknown
    invalidation_pending: np.ndarray  # bool
    dual_filing: np.ndarray  # bool: utility model with a same-day invention application (一案双申)
    frozen: np.ndarray  # bool
    pledged: np.ndarray  # bool
    max_pledge_amount: np.ndarray  # float yuan, NaN unknown

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    @cached_property
    def ipc_codes(self) -> IpcCodes:
        """Per IPC level, the distinct values and each patent's index into them (computed once;
        IPC lookups, citation fields and the strategic match reuse it): :func:`ipc_levels` of the
        patents' IPC. A ``take`` keeps its parent's values (a superset of its own)."""
        return ipc_levels(self.ipc)

    @classmethod
    def from_records(cls, records: Sequence[Mapping[str, Any]]) -> Portfolio:
        """Build the column arrays from import-style records."""
        return cls.from_columns({key: [r.get(key) for r in records] for key in RECORD_KEYS}, len(records))

    @classmethod
    def from_columns(cls, columns: Mapping[str, Column], n: int) -> Portfolio:
        """Build the column arrays from ``n`` patents' import-style values, column by column (a
        missing column: every value None). A column is a sequence of values, or a pair (values,
        codes) — patent i's value is ``values[codes[i]]``, as a parsed file holds it. Each distinct
        value is converted once (a file holds few: two patent types, a few thousand dates)."""

        def column(key: str, convert: Any, dtype: Any) -> np.ndarray:
            values, codes = _coded(columns.get(key), n)
            return np.array([convert(v) for v in values], dtype=dtype)[codes]

        def counts(key: str) -> np.ndarray:
            return column(key, lambda v: np.nan if v is None else float(v), np.float64)

        def flags(key: str, default: bool) -> np.ndarray:
            return column(key, lambda v: default if v is None else bool(v), bool)

        def dates(key: str) -> np.ndarray:
            values, codes = _coded(columns.get(key), n)
            return day_array(values)[codes]

        def codes(key: str, names: Sequence[str], unknown: int = -1) -> np.ndarray:
            lookup = {name: i for i, name in enumerate(names)}
            values, codes = _coded(columns.get(key), n)
            bad = {v for v in values if v is not None and v not in lookup}
            if bad:
                raise ValueError(f"{key}: unknown code(s) {sorted(map(str, bad))}; expected {list(names)}")
            return np.array([unknown if v is None else lookup[v] for v in values], dtype=np.int8)[codes]

        parts = column("ipc", parse_ipc, str).reshape(n, 5)
        kind = codes("patent_type", PATENT_TYPES)
        status = codes("legal_status", STATUSES)
        if (kind < 0).any() or (status < 0).any():
            raise ValueError("patent_type and legal_status are required for every record")
        filing = dates("filing_date")
        if np.isnat(filing).any():
            raise ValueError("filing_date is required for every record")
        return cls(
            application_no=column("application_no", lambda v: str(v) if v is not None else "", object),
            title=column("title", lambda v: v or "", str),
            kind=kind,
            ipc=parts[:, 4],
            ipc_section=parts[:, 0],
            ipc_class=parts[:, 1],
            ipc_subclass=parts[:, 2],
            ipc_main_group=parts[:, 3],
            filing=filing,
            grant=dates("grant_date"),
            status=status,
            lapse=dates("lapse_date"),
            co_owners_consent=flags("co_owners_consent", True),
            fees_paid_through=counts("fees_paid_through_year"),
            late_fee_payments=counts("late_fee_payments"),
            forward_citations=counts("forward_citations"),
            backward_citations=counts("backward_citations"),
            claims=counts("claims"),
            independent_claims=counts("independent_claims"),
            family_size=counts("family_size"),
            granted_abroad=flags("granted_abroad", False),
            pct=flags("pct", False),
            licenses=counts("licenses"),
            transfers=counts("transfers"),
            previous_pledges=counts("previous_pledges"),
            award=codes("award", AWARDS),
            commercialization=codes("commercialization", STAGES),
            revenue=column(
                "annual_revenue_yuan",
                lambda v: np.nan if v is None else float(Decimal(v) if isinstance(v, str) else v),
                np.float64,
            ),
            term_compensation_days=counts("term_compensation_days"),
            invalidation_pending=flags("invalidation_pending", False),
            dual_filing=flags("dual_filing", False),
            frozen=flags("frozen", False),
            pledged=flags("pledged", False),
            max_pledge_amount=counts("max_pledge_amount_yuan"),
        )

    def take(self, index: np.ndarray | Sequence[int]) -> Portfolio:
        """The sub-portfolio (or resampled portfolio) of the given row indices, in that order."""
        index = np.asarray(index)
        taken = Portfolio(**{f.name: getattr(self, f.name)[index] for f in fields(self)})
        codes = self.__dict__.get("ipc_codes")
        if codes is not None:  # the distinct IPCs carry over: no second string sort
            taken.__dict__["ipc_codes"] = {
                level: (unique, inverse[index]) for level, (unique, inverse) in codes.items()
            }
        return taken

    @classmethod
    def concat(cls, parts: Sequence[Portfolio]) -> Portfolio:
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    def replace(self, **columns: np.ndarray) -> Portfolio:
        """A copy with some columns replaced (arrays of the same length)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in columns.items():
            if name not in data:
                raise KeyError(name)
            value = np.asarray(value)
            if value.shape[0] != len(self):
                raise ValueError(f"{name}: expected {len(self)} rows, got {value.shape[0]}")
            data[name] = value
        return Portfolio(**data)


__all__ = ["AWARDS", "STAGES", "STATUSES", "IpcCodes", "Portfolio", "day_array", "ipc_levels", "parse_ipc"]
