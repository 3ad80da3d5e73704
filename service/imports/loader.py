"""All-or-nothing import: parse and check every row, resolve references, then upsert.

Nothing is written unless every row of the file is good; the caller's transaction makes a
multi-file batch atomic too. After parsing, the rows travel column by column (`Rows`): references
are resolved a column at a time and the columns are written by set-based upserts
(`service/imports/writing.py`), so 100,000 patents take seconds, not minutes. On PostgreSQL a
file of several chunks is written while it is parsed (`_import_streamed`), in a savepoint that a
problem in any row undoes before the import is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat

from sqlalchemy import Table as SATable
from sqlalchemy import any_, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from service.imports.columns import Parsed, ParsedChunk, Parsing, Progress, RowError, parsing
from service.imports.kinds import KINDS, LOAD_ORDER
from service.imports.reader import Chunks, Table, without_cyclic_gc
from service.imports.writing import Abandon, Bound, constant_columns, count_stored, insert_rows, streamed_insert, upsert
from service.models import (
    Bank,
    CreditLoan,
    Enterprise,
    Patent,
    PledgedIpItem,
    PledgedPatent,
    PledgeProduct,
    PledgeRegistration,
)
from service.models.enums import IpType
from service.models.types import utcnow

# Rows or keys per statement. An IN list binds one parameter per value (a tuple per column), and
# PostgreSQL takes at most 65,535 parameters per statement, SQLite 32,766: every statement that
# carries a file's keys goes in chunks of this size (at most 4 columns × 2000 = 8,000 parameters).
_CHUNK = 2000


def _chunks(values) -> Iterable[list]:
    values = list(values)
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


# An answer lists the first problems and counts them all: a file with a problem in every row
# must not produce an answer larger than itself (issue 10: a 7 MB body gave a 48 MB 422).
MAX_REPORTED_ERRORS = 200


class ImportRejected(Exception):
    """Nothing was written; `errors` holds the first MAX_REPORTED_ERRORS problems, `count` all."""

    def __init__(self, kind: str, errors: list[RowError]):
        self.kind = kind
        self.count = len(errors)
        self.errors = sorted(errors, key=lambda e: (e.row, e.column))[:MAX_REPORTED_ERRORS]
        listed = self.count > MAX_REPORTED_ERRORS
        zh = f"（列出前 {MAX_REPORTED_ERRORS} 处）" if listed else ""
        en = f" (the first {MAX_REPORTED_ERRORS} are listed)" if listed else ""
        super().__init__(
            f"{kind}：{self.count} 处问题{zh}，未写入任何数据 / "
            f"{kind}: {self.count} problem(s){en}; nothing was written"
        )


@dataclass(frozen=True)
class ImportReport:
    kind: str
    rows: int
    inserted: int
    updated: int


def import_table(
    session: Session, kind_name: str, table: Table | Chunks, progress: Progress | None = None
) -> ImportReport:
    """Import one file's rows into the session's transaction; raise ImportRejected on any bad row
    (and UnreadableFile when a file read in chunks turns out unreadable further on)."""
    parse = parsing(KINDS[kind_name], table, progress)
    with without_cyclic_gc():
        streamed = _import_streamed(session, kind_name, parse) if _streams(session, kind_name) else None
        parsed = parse.result()
    if streamed is not None:
        return streamed
    if parsed.errors:
        raise ImportRejected(kind_name, parsed.errors)
    return import_rows(session, kind_name, Rows.from_columns(parsed.numbers, parsed.columns))


def import_rows(session: Session, kind_name: str, rows: Rows) -> ImportReport:
    """Write a file's parsed rows (every one good) into the session's transaction: resolve the
    references, raise ImportRejected naming each row whose reference is unknown, else upsert."""
    columns, errors = _RESOLVERS[kind_name](session, rows)
    if errors:
        raise ImportRejected(kind_name, errors)
    existing = _WRITERS.get(kind_name, _write_simple)(session, kind_name, columns)
    session.flush()
    return ImportReport(kind_name, len(rows.numbers), len(rows.numbers) - existing, existing)


def import_batch(
    session: Session, tables: Iterable[tuple[str, Table]], progress: Progress | None = None
) -> list[ImportReport]:
    """Several files in dependency order, in one transaction: a row may reference an earlier file."""
    ordered = sorted(tables, key=lambda item: LOAD_ORDER.index(item[0]))
    return [import_table(session, kind, table, progress) for kind, table in ordered]


@dataclass(frozen=True)
class Rows:
    """A file's parsed rows column by column, what the writing side reads: the spreadsheet row
    number of each row, and per column key (`Column.key`) its values in row order. The columns go
    on to the database as they are, renamed and joined with resolved ids, never as a dict per row."""

    numbers: list[int]
    columns: dict[str, list]

    @classmethod
    def from_columns(cls, numbers: Sequence[int], columns: Mapping[str, Sequence]) -> Rows:
        """From a columnar parser: numbers and columns as lists, numpy arrays or anything with a
        `tolist()` giving the values in row order."""
        return cls(_listed(numbers), {key: _listed(values) for key, values in columns.items()})

    def records(self) -> Parsed:
        """(row number, column key → value) per row, for rules that read a row as a whole."""
        keys = list(self.columns)
        return [
            (number, dict(zip(keys, values, strict=True)))
            for number, values in zip(self.numbers, zip(*self.columns.values(), strict=True), strict=True)
        ]


def _listed(values: Sequence) -> list:
    return values.tolist() if hasattr(values, "tolist") else list(values)


def _stored(rows: Rows, *, leave_out: tuple[str, ...] = ()) -> dict[str, list]:
    """The columns stored as they were parsed, by their table column's name: a `*_yuan` column holds
    fen once parsed and is stored as `*_fen`. `leave_out`: references resolved to ids instead."""
    return {
        key.removesuffix("_yuan") + "_fen" if key.endswith("_yuan") else key: values
        for key, values in rows.columns.items()
        if key not in leave_out
    }


# --- references -----------------------------------------------------------------------------


def _ids(session: Session, column, keys: Iterable) -> dict:
    """Map natural key → id for the keys that exist, in one query whatever their number: the keys
    go as one parameter, an array on PostgreSQL (`= ANY`; 100,000 keys as 50 IN lists of 2,000
    bound values took 1.8 s), a JSON array on SQLite (`IN json_each`; as IN lists, 0.4 s of
    statement compiling alone)."""
    keys = list(keys)
    if not keys:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        where = column == any_(bindparam("keys", keys, type_=postgresql.ARRAY(column.type)))
    else:
        where = column.in_(select(func.json_each(json.dumps(keys)).table_valued("value").c.value))
    return dict(session.execute(select(column, column.class_.id).where(where)).all())


def _refer(
    session: Session, rows: Rows, code_column: str, column, what: str
) -> tuple[list[int | None], list[RowError]]:
    """Per row, the id of the row `rows.columns[code_column]` names (None where the cell is empty),
    and a problem for each row naming one not stored."""
    codes = rows.columns[code_column]
    ids = _ids(session, column, {code for code in codes if code})
    errors = [
        _missing(number, code_column, what, code)
        for number, code in zip(rows.numbers, codes, strict=True)
        if code and code not in ids
    ]
    return [ids.get(code) for code in codes], errors


_WHAT = {"bank": "银行", "enterprise": "企业", "patent": "专利", "product": "产品"}


def _missing(number: int, column: str, what: str, value) -> RowError:
    zh = _WHAT.get(what.split()[0], what)
    return RowError(number, column, f"未知的{zh} {value!r}，请先导入 / unknown {what} {value!r}: import it first")


Resolved = tuple[dict[str, list], list[RowError]]  # the table's columns, and the rows' problems


def _resolve_banks(session: Session, rows: Rows) -> Resolved:
    return _stored(rows), []


def _resolve_products(session: Session, rows: Rows) -> Resolved:
    bank_ids, errors = _refer(session, rows, "bank_code", Bank.code, "bank")
    return {"bank_id": bank_ids, **_stored(rows, leave_out=("bank_code",))}, errors


def _resolve_enterprises(session: Session, rows: Rows) -> Resolved:
    return _stored(rows), []


def _resolve_credit_loans(session: Session, rows: Rows) -> Resolved:
    enterprise_ids, errors = _refer(session, rows, "enterprise_credit_code", Enterprise.credit_code, "enterprise")
    bank_ids, bank_errors = _refer(session, rows, "bank_code", Bank.code, "bank")
    columns = _stored(rows, leave_out=("enterprise_credit_code", "bank_code"))
    return {"enterprise_id": enterprise_ids, "bank_id": bank_ids, **columns}, errors + bank_errors


def _resolve_patents(session: Session, rows: Rows) -> Resolved:
    owner_ids, errors = _refer(session, rows, "owner_credit_code", Enterprise.credit_code, "enterprise")
    return {**_stored(rows, leave_out=("owner_credit_code",)), "owner_id": owner_ids}, errors


def _resolve_pledges(session: Session, rows: Rows) -> Resolved:  # noqa: C901 — one pass over the rows checks every reference and pledge rule, naming each failure by row; split by rule it would walk the file once per rule
    parsed = rows.records()  # a pledge file is small (one row per registration) and its rules read whole rows
    enterprises = _ids(session, Enterprise.credit_code, {r["enterprise_credit_code"] for _, r in parsed})
    banks = _ids(session, Bank.code, {r["bank_code"] for _, r in parsed})
    patents = _ids(session, Patent.application_no, {no for _, r in parsed for no in r["patents"]})
    owners = {
        pid: owner
        for chunk in _chunks(patents.values())
        for pid, owner in session.execute(select(Patent.id, Patent.owner_id).where(Patent.id.in_(chunk))).all()
    }
    products = {
        (bank_id, code): pid
        for pid, bank_id, code in session.execute(
            select(PledgeProduct.id, PledgeProduct.bank_id, PledgeProduct.code)
        ).all()
    }
    # Active pledges held by registrations outside this file block a patent or trademark.
    active_elsewhere = dict(
        session.execute(
            select(PledgedPatent.patent_id, PledgeRegistration.registration_no)
            .join(PledgeRegistration, PledgeRegistration.id == PledgedPatent.registration_id)
            .where(PledgedPatent.released_date.is_(None))
        ).all()
    )
    trademarks_elsewhere = dict(
        session.execute(
            select(PledgedIpItem.number, PledgeRegistration.registration_no)
            .join(PledgeRegistration, PledgeRegistration.id == PledgedIpItem.registration_id)
            .where(PledgedIpItem.released_date.is_(None), PledgedIpItem.ip_type == IpType.trademark)
        ).all()
    )
    errors, values, active_in_file, trademarks_in_file = [], [], {}, {}
    file_numbers = {r["registration_no"] for _, r in parsed}
    for n, r in parsed:
        enterprise_id = enterprises.get(r["enterprise_credit_code"])
        bank_id = banks.get(r["bank_code"])
        if enterprise_id is None:
            errors.append(_missing(n, "enterprise_credit_code", "enterprise", r["enterprise_credit_code"]))
        if bank_id is None:
            errors.append(_missing(n, "bank_code", "bank", r["bank_code"]))
        product_id = None
        if r["product_code"] and bank_id is not None:
            product_id = products.get((bank_id, r["product_code"]))
            if product_id is None:
                errors.append(_missing(n, "product_code", f"product of bank {r['bank_code']}", r["product_code"]))
        patent_ids = []
        for number in r["patents"]:
            if number not in patents:
                errors.append(_missing(n, "patents", "patent", number))
                continue
            pid = patents[number]
            patent_ids.append(pid)
            if r["released_date"] is not None:
                continue
            if enterprise_id is not None and owners[pid] != enterprise_id:
                errors.append(
                    RowError(
                        n,
                        "patents",
                        f"专利 {number} 不属于出质企业 {r['enterprise_credit_code']} / "
                        f"patent {number} is not owned by the pledgor {r['enterprise_credit_code']}",
                    )
                )
            holder = active_elsewhere.get(pid)
            if holder is not None and holder not in file_numbers:
                errors.append(
                    RowError(
                        n,
                        "patents",
                        f"专利 {number} 已在有效质押 {holder} 中 / "
                        f"patent {number} is already in active pledge {holder}",
                    )
                )
            if pid in active_in_file:
                errors.append(
                    RowError(
                        n,
                        "patents",
                        f"专利 {number} 也在第 {active_in_file[pid]} 行质押中 / "
                        f"patent {number} is also actively pledged in row {active_in_file[pid]}",
                    )
                )
            active_in_file.setdefault(pid, n)
        for number in r["trademarks"] if r["released_date"] is None else ():
            holder = trademarks_elsewhere.get(number)
            if holder is not None and holder not in file_numbers:
                errors.append(
                    RowError(
                        n,
                        "trademarks",
                        f"商标 {number} 已在有效质押 {holder} 中 / "
                        f"trademark {number} is already in active pledge {holder}",
                    )
                )
            if number in trademarks_in_file:
                errors.append(
                    RowError(
                        n,
                        "trademarks",
                        f"商标 {number} 也在第 {trademarks_in_file[number]} 行质押中 / "
                        f"trademark {number} is also actively pledged in row {trademarks_in_file[number]}",
                    )
                )
            trademarks_in_file.setdefault(number, n)
        values.append((enterprise_id, bank_id, product_id, patent_ids))
    enterprise_ids, bank_ids, product_ids, patent_ids = (
        (list(column) for column in zip(*values, strict=True)) if values else ([], [], [], [])
    )
    columns = {
        **_stored(rows, leave_out=("enterprise_credit_code", "bank_code", "product_code", "patents", "trademarks")),
        "enterprise_id": enterprise_ids,
        "bank_id": bank_ids,
        "product_id": product_ids,
        # patent when it pledges any patent, else trademark (as service.whitelist registers them)
        "ip_type": [IpType.patent if numbers else IpType.trademark for numbers in rows.columns["patents"]],
        "_patent_ids": patent_ids,
        "_trademarks": rows.columns["trademarks"],
    }
    return columns, errors


_RESOLVERS = {
    "banks": _resolve_banks,
    "products": _resolve_products,
    "enterprises": _resolve_enterprises,
    "credit-loans": _resolve_credit_loans,
    "patents": _resolve_patents,
    "pledges": _resolve_pledges,
}

# --- writing --------------------------------------------------------------------------------

_TARGETS: dict[str, tuple[SATable, list[str]]] = {
    "banks": (Bank.__table__, ["code"]),
    "products": (PledgeProduct.__table__, ["bank_id", "code"]),
    "enterprises": (Enterprise.__table__, ["credit_code"]),
    "credit-loans": (CreditLoan.__table__, ["enterprise_id", "bank_id", "kind", "start_date"]),
    "patents": (Patent.__table__, ["application_no"]),
    "pledges": (PledgeRegistration.__table__, ["registration_no"]),
}


def _write_simple(session: Session, kind_name: str, columns: dict[str, list]) -> int:
    """Upsert the rows; returns how many were stored already. A table with `updated_at` gets one
    timestamp for the whole import, on insert and on update."""
    table, key = _TARGETS[kind_name]
    same = {"updated_at": utcnow()} if "updated_at" in table.c else {}
    return upsert(session, table, columns, key, same)


def _write_pledges(session: Session, kind_name: str, columns: dict[str, list]) -> int:
    patent_ids, trademarks = columns.pop("_patent_ids"), columns.pop("_trademarks")
    existing = _write_simple(session, kind_name, columns)
    ids = _ids(session, PledgeRegistration.registration_no, columns["registration_no"])
    for chunk in _chunks(ids.values()):
        session.execute(delete(PledgedPatent).where(PledgedPatent.registration_id.in_(chunk)))
        session.execute(
            delete(PledgedIpItem).where(
                PledgedIpItem.registration_id.in_(chunk), PledgedIpItem.ip_type == IpType.trademark
            )
        )
    session.flush()
    registrations = [ids[number] for number in columns["registration_no"]]
    released = columns["released_date"]
    holders, marks, when = _per_item(registrations, trademarks, released)
    kinds = [IpType.trademark] * len(marks)
    insert_rows(
        session,
        PledgedIpItem.__table__,
        {"registration_id": holders, "ip_type": kinds, "number": marks, "released_date": when},
    )
    holders, pledged, when = _per_item(registrations, patent_ids, released)
    insert_rows(
        session, PledgedPatent.__table__, {"registration_id": holders, "patent_id": pledged, "released_date": when}
    )
    return existing


def _per_item(registrations: list[int], items: list[list], released: list) -> tuple[list, list, list]:
    """One row per item of each registration's list, as three columns: registration, item, release."""
    rows = [
        (registration, item, when)
        for registration, listed, when in zip(registrations, items, released, strict=True)
        for item in listed
    ]
    holders, pledged, when = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [])
    return holders, pledged, when


_WRITERS = {"pledges": _write_pledges}


# --- streaming: PostgreSQL writes a large file's rows while it is parsed -----------------------

# The kinds whose rows go to PostgreSQL as each chunk is parsed (a COPY a chunk straight into the
# table, service/imports/writing.py: streamed_insert), and their references: (the code column, the
# column it names, the id column stored). The server inserts on the other core while the client
# parses the next chunk (100,000 patents: the write after parsing had taken 2.4 s, most of it the
# server's). A file of one chunk, a file whose first chunk holds a stored key (a file imported
# again), or a problem anywhere, goes the set-based way, nothing of the stream kept.
_STREAMED = {
    "banks": (),
    "enterprises": (),
    "products": (("bank_code", Bank.code, "bank_id"),),
    "credit-loans": (
        ("enterprise_credit_code", Enterprise.credit_code, "enterprise_id"),
        ("bank_code", Bank.code, "bank_id"),
    ),
    "patents": (("owner_credit_code", Enterprise.credit_code, "owner_id"),),
}


def _streams(session: Session, kind_name: str) -> bool:
    return kind_name in _STREAMED and session.get_bind().dialect.name == "postgresql"


class _Unknown:
    """A referenced code that is not stored: the row is refused (the set-based path names it)."""


_UNKNOWN = _Unknown()


class _Chunked:
    """A kind's parsed chunks as the table's columns: stored names, references resolved to ids from
    every stored code (read once: a county's enterprises are tens of thousands), bound values."""

    def __init__(self, session: Session, kind_name: str, first: ParsedChunk):
        table, self.key = _TARGETS[kind_name]
        dialect = session.get_bind().dialect
        connection = session.connection()
        # Per code column: every stored code's id, and the id of each value parsed so far.
        self.references: dict[str, tuple[dict, list]] = {
            code_column: (dict(connection.execute(select(column, column.class_.id)).all()), [])
            for code_column, column, _ in _STREAMED[kind_name]
        }
        id_columns = {code_column: id_column for code_column, _, id_column in _STREAMED[kind_name]}
        self.names = {  # the table's column of each column key
            key: id_columns.get(key) or (key.removesuffix("_yuan") + "_fen" if key.endswith("_yuan") else key)
            for key in first.columns
        }
        self.bound = {
            key: Bound(table, name, dialect) for key, name in self.names.items() if key not in self.references
        }
        same = {"updated_at": utcnow()} if "updated_at" in table.c else {}
        self.constants = constant_columns(table, list(self.names.values()), same, dialect)

    def columns(self, chunk: ParsedChunk) -> dict[str, list] | None:
        """The chunk's rows as the table's columns, by name; None when one names an unknown code."""
        columns: dict[str, list] = {}
        for key, coded in chunk.columns.items():
            codes = coded.codes.tolist()
            if key in self.references:
                stored, ids = self.references[key]
                if len(ids) < len(coded.values):
                    fresh = coded.values[len(ids) :]
                    ids.extend(stored.get(code, _UNKNOWN) if code else None for code in fresh)
                values = list(map(ids.__getitem__, codes))
                if _UNKNOWN in values:
                    return None
            else:
                values = list(map(self.bound[key].of(coded.values).__getitem__, codes))
            columns[self.names[key]] = values
        return columns

    def rows(self, columns: dict[str, list]) -> Iterator[tuple]:
        n = len(next(iter(columns.values())))
        return zip(*columns.values(), *(repeat(value, n) for value in self.constants.values()), strict=True)


def _import_streamed(session: Session, kind_name: str, parse: Parsing) -> ImportReport | None:
    """Write the rows chunk by chunk into one COPY as they are parsed, in a savepoint; None, with
    nothing written, when the file goes the set-based way (see _STREAMED). The file's rows are all
    parsed and checked before the COPY ends: a problem in any of them undoes every row sent."""
    chunks = iter(parse)
    first = next(chunks, None)
    if first is None or first.last or not first.clean:
        return None
    table = _TARGETS[kind_name][0]
    chunked = _Chunked(session, kind_name, first)
    columns = chunked.columns(first)
    if columns is None or count_stored(session, table, {name: columns[name] for name in chunked.key}):
        return None
    names = [*columns, *chunked.constants]
    with streamed_insert(session, table, names) as stream:
        stream.write(chunked.rows(columns))
        sending = True  # until a problem is met: the rest is parsed, and its problems named, unsent
        for chunk in chunks:
            more = chunked.columns(chunk) if sending and chunk.clean else None
            sending = more is not None
            if more is not None:
                stream.write(chunked.rows(more))
        if not sending or parse.result().errors:
            raise Abandon
    if not stream.written:
        return None
    n = len(parse.result().numbers)
    return ImportReport(kind_name, n, n, 0)
