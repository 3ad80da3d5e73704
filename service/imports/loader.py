"""All-or-nothing import: parse and check every row, resolve references, then upsert.

Nothing is written unless every row of the file is good; the caller's transaction makes a
multi-file batch atomic too. Rows are written with set-based upserts (INSERT … ON CONFLICT),
so 100,000 patents take seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter

from sqlalchemy import Table as SATable
from sqlalchemy import any_, bindparam, delete, select, tuple_
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from service.db import dialect_insert
from service.imports.columns import Progress, RowError, parse_rows
from service.imports.kinds import KINDS, LOAD_ORDER
from service.imports.reader import Table
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


def import_table(session: Session, kind_name: str, table: Table, progress: Progress | None = None) -> ImportReport:
    """Import one file's rows into the session's transaction; raise ImportRejected on any bad row."""
    kind = KINDS[kind_name]
    parsed, errors = parse_rows(kind, table, progress)
    if errors:
        raise ImportRejected(kind_name, errors)
    values, errors, existing = _RESOLVERS[kind_name](session, parsed)
    if errors:
        raise ImportRejected(kind_name, errors)
    _WRITERS.get(kind_name, _write_simple)(session, kind_name, values)
    session.flush()
    return ImportReport(kind_name, len(parsed), len(parsed) - existing, existing)


def import_batch(
    session: Session, tables: Iterable[tuple[str, Table]], progress: Progress | None = None
) -> list[ImportReport]:
    """Several files in dependency order, in one transaction: a row may reference an earlier file."""
    ordered = sorted(tables, key=lambda item: LOAD_ORDER.index(item[0]))
    return [import_table(session, kind, table, progress) for kind, table in ordered]


# --- references -----------------------------------------------------------------------------


def _ids(session: Session, column, keys: set) -> dict:
    """Map natural key → id for the keys that exist: on PostgreSQL in one query with the keys as one
    array parameter (`= ANY`; 100,000 keys as 50 IN lists of 2,000 bound values took 1.8 s), on
    SQLite in chunks (IN lists have limits)."""
    found, keys = {}, list(keys)
    model_id = column.class_.id
    if keys and session.get_bind().dialect.name == "postgresql":
        array = bindparam("keys", keys, type_=postgresql.ARRAY(column.type))
        return dict(session.execute(select(column, model_id).where(column == any_(array))).all())
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        found.update(session.execute(select(column, model_id).where(column.in_(chunk))).all())
    return found


_WHAT = {"bank": "银行", "enterprise": "企业", "patent": "专利", "product": "产品"}


def _missing(number: int, column: str, what: str, value) -> RowError:
    zh = _WHAT.get(what.split()[0], what)
    return RowError(number, column, f"未知的{zh} {value!r}，请先导入 / unknown {what} {value!r}: import it first")


def _resolve_banks(session, parsed):
    existing = _ids(session, Bank.code, {row["code"] for _, row in parsed})
    values = [
        {
            "code": r["code"],
            "name": r["name"],
            "contact_person": r["contact_person"],
            "contact_phone": r["contact_phone"],
        }
        for _, r in parsed
    ]
    return values, [], len(existing)


def _resolve_products(session, parsed):
    banks = _ids(session, Bank.code, {r["bank_code"] for _, r in parsed})
    errors = [_missing(n, "bank_code", "bank", r["bank_code"]) for n, r in parsed if r["bank_code"] not in banks]
    if errors:
        return [], errors, 0
    keys = {(banks[r["bank_code"]], r["code"]) for _, r in parsed}
    existing = [
        row
        for chunk in _chunks(keys)
        for row in session.execute(
            select(PledgeProduct.bank_id, PledgeProduct.code).where(
                tuple_(PledgeProduct.bank_id, PledgeProduct.code).in_(chunk)
            )
        ).all()
    ]
    values = []
    for _, r in parsed:
        values.append(
            {
                "bank_id": banks[r["bank_code"]],
                "code": r["code"],
                "name": r["name"],
                "min_amount_fen": r["min_amount_yuan"],
                "max_amount_fen": r["max_amount_yuan"],
                "pledge_rate": r["pledge_rate"],
                "interest_rate_min": r["interest_rate_min"],
                "interest_rate_max": r["interest_rate_max"],
                "term_min_months": r["term_min_months"],
                "term_max_months": r["term_max_months"],
                "eligible_clusters": r["eligible_clusters"],
                "required_certifications": r["required_certifications"],
                "min_patent_grade": r["min_patent_grade"],
                "min_remaining_term_years": r["min_remaining_term_years"],
                "quota_count": r["quota_count"],
                "quota_amount_fen": r["quota_amount_yuan"],
                "quota_period_start": r["quota_period_start"],
                "quota_period_end": r["quota_period_end"],
                "requires_existing_customer": r["requires_existing_customer"],
                "active": r["active"],
                "updated_at": utcnow(),
            }
        )
    return values, [], len(existing)


_ENTERPRISE_FIELDS = (
    "credit_code",
    "name",
    "industry_cluster",
    "town",
    "contact_person",
    "contact_phone",
    "employees",
    "high_tech_date",
    "specialized_date",
    "ip_advantage_date",
    "ip_standard_date",
    "need_term_months",
)


def _resolve_enterprises(session, parsed):
    existing = _ids(session, Enterprise.credit_code, {r["credit_code"] for _, r in parsed})
    values = [
        {**{f: r[f] for f in _ENTERPRISE_FIELDS}, "need_amount_fen": r["need_amount_yuan"], "updated_at": utcnow()}
        for _, r in parsed
    ]
    return values, [], len(existing)


def _resolve_credit_loans(session, parsed):
    enterprises = _ids(session, Enterprise.credit_code, {r["enterprise_credit_code"] for _, r in parsed})
    banks = _ids(session, Bank.code, {r["bank_code"] for _, r in parsed})
    errors = []
    for n, r in parsed:
        if r["enterprise_credit_code"] not in enterprises:
            errors.append(_missing(n, "enterprise_credit_code", "enterprise", r["enterprise_credit_code"]))
        if r["bank_code"] not in banks:
            errors.append(_missing(n, "bank_code", "bank", r["bank_code"]))
    if errors:
        return [], errors, 0
    values = [
        {
            "enterprise_id": enterprises[r["enterprise_credit_code"]],
            "bank_id": banks[r["bank_code"]],
            "kind": r["kind"],
            "grade": r["grade"],
            "limit_fen": r["limit_yuan"],
            "drawn_fen": r["drawn_yuan"],
            "start_date": r["start_date"],
            "maturity_date": r["maturity_date"],
            "updated_at": utcnow(),
        }
        for _, r in parsed
    ]
    keys = [(v["enterprise_id"], v["bank_id"], v["kind"], v["start_date"]) for v in values]
    existing = 0
    for start in range(0, len(keys), _CHUNK):
        existing += len(
            session.execute(
                select(CreditLoan.id).where(
                    tuple_(CreditLoan.enterprise_id, CreditLoan.bank_id, CreditLoan.kind, CreditLoan.start_date).in_(
                        keys[start : start + _CHUNK]
                    )
                )
            ).all()
        )
    return values, [], existing


_PATENT_FIELDS = tuple(c.key for c in KINDS["patents"].columns if c.key != "owner_credit_code")


def _resolve_patents(session, parsed):
    owners = _ids(
        session, Enterprise.credit_code, {r["owner_credit_code"] for _, r in parsed if r["owner_credit_code"]}
    )
    errors = [
        _missing(n, "owner_credit_code", "enterprise", r["owner_credit_code"])
        for n, r in parsed
        if r["owner_credit_code"] and r["owner_credit_code"] not in owners
    ]
    if errors:
        return [], errors, 0
    existing = _ids(session, Patent.application_no, {r["application_no"] for _, r in parsed})
    now = utcnow()
    values = [
        {
            **{f: r[f] for f in _PATENT_FIELDS},
            "owner_id": owners.get(r["owner_credit_code"]),
            "updated_at": now,
        }
        for _, r in parsed
    ]
    return values, [], len(existing)


def _resolve_pledges(session, parsed):  # noqa: C901 — one pass over the rows checks every reference and pledge rule, naming each failure by row; split by rule it would walk the file once per rule
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
    existing_regs = _ids(session, PledgeRegistration.registration_no, {r["registration_no"] for _, r in parsed})
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
        values.append(
            {
                "registration_no": r["registration_no"],
                "registration_date": r["registration_date"],
                "enterprise_id": enterprise_id,
                "bank_id": bank_id,
                "product_id": product_id,
                "amount_fen": r["amount_yuan"],
                # patent when it pledges any patent, else trademark (as service.whitelist registers them)
                "ip_type": IpType.patent if r["patents"] else IpType.trademark,
                "loan_start": r["loan_start"],
                "loan_end": r["loan_end"],
                "released_date": r["released_date"],
                "updated_at": utcnow(),
                "_patent_ids": patent_ids,
                "_trademarks": r["trademarks"],
            }
        )
    return values, errors, len(existing_regs)


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


def upsert(session: Session, table: SATable, rows: list[dict], key: list[str], update: list[str] | None = None) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE the `update` columns (default: every other given
    column), in the session's transaction.

    PostgreSQL: the rows go by COPY into a temporary table, then one INSERT … SELECT upserts them.
    SQLite: one statement, compiled once, run as the driver's executemany on plain tuples. Either
    way the values are what a statement through SQLAlchemy would send: each passes its column's
    bind processor (UTC timestamps, JSON), and a column the rows omit gets its Python-side default
    on insert. (Through SQLAlchemy's executemany, 100,000 patents took ~12 s on PostgreSQL.)
    """
    if not rows:
        return
    given = list(rows[0])
    defaults = {
        column.name: column.default.arg(None) if column.default.is_callable else column.default.arg
        for column in table.c
        if column.default is not None and column.name not in given and not column.primary_key
    }
    names = [*given, *defaults]
    dialect = session.get_bind().dialect
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    constants = tuple(
        value if processor is None else processor(value)
        for processor, value in zip(processors[len(given) :], defaults.values(), strict=True)
    )
    # Column by column: a processor runs over its column only (a per-row loop over every column
    # cost more than the statement).
    columns: list[Iterable] = []
    for name, processor in zip(given, processors, strict=False):
        values = [row[name] for row in rows]
        columns.append(values if processor is None else _processed(values, processor))
    columns += [repeat(value, len(rows)) for value in constants]
    bound = zip(*columns, strict=True)
    statement = dialect_insert(session, table)
    postgresql = dialect.name == "postgresql"
    if postgresql:
        stage = _copy_to_stage(session, table, names, bound)
        statement = statement.from_select(names, select(stage))
    if update is None:
        update = [name for name in given if name not in key]
    statement = statement.on_conflict_do_update(
        index_elements=key, set_={name: statement.excluded[name] for name in update}
    )
    connection = session.connection()
    if postgresql:
        connection.execute(statement)
        connection.execute(sql_text(f'DROP TABLE "{stage.name}"'))
        return
    compiled = statement.compile(dialect=dialect, column_keys=names)
    order = list(compiled.positiontup or [])  # the statement's ? in table order
    assert sorted(order) == sorted(names), (order, names)
    arrange = itemgetter(*(names.index(name) for name in order))
    tuples = [arrange(values) for values in bound]
    for start in range(0, len(tuples), 10 * _CHUNK):
        connection.exec_driver_sql(str(compiled), tuples[start : start + 10 * _CHUNK])


def _processed(values: list, processor: Callable) -> list:
    """`processor` over `values`, called once per distinct value (a column holds few: flags, one
    timestamp). Bind processors map equal values to equal values, so equal keys may share a call."""
    try:
        done = {value: processor(value) for value in dict.fromkeys(values)}
    except TypeError:  # unhashable (a JSON list)
        return [processor(value) for value in values]
    return [done[value] for value in values]


def _copy_to_stage(session: Session, table: SATable, names: list[str], rows: Iterable[tuple]):
    """COPY the rows into a new temporary table shaped like `table`'s given columns.

    The COPY goes through the session's own connection, so it is part of its transaction: a
    rejected or failed import leaves nothing behind (the table goes with a rollback, and is
    dropped after its use otherwise).
    """
    stage = sql_table(f"_ipfin_stage_{table.name}", *(sql_column(name) for name in names))
    quoted = ", ".join(f'"{name}"' for name in names)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(f'CREATE TEMPORARY TABLE "{stage.name}" AS SELECT {quoted} FROM "{table.name}" WITH NO DATA')
        with cursor.copy(f'COPY "{stage.name}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    return stage


def _write_simple(session, kind_name, values):
    table, key = _TARGETS[kind_name]
    upsert(session, table, values, key)


def _write_pledges(session, kind_name, values):
    links = {v["registration_no"]: (v.pop("_patent_ids"), v["released_date"]) for v in values}
    trademarks = {v["registration_no"]: v.pop("_trademarks") for v in values}
    _write_simple(session, kind_name, values)
    ids = _ids(session, PledgeRegistration.registration_no, set(links))
    for chunk in _chunks(ids.values()):
        session.execute(delete(PledgedPatent).where(PledgedPatent.registration_id.in_(chunk)))
        session.execute(
            delete(PledgedIpItem).where(
                PledgedIpItem.registration_id.in_(chunk), PledgedIpItem.ip_type == IpType.trademark
            )
        )
    session.flush()
    items = [
        {"registration_id": ids[number], "ip_type": IpType.trademark, "number": mark, "released_date": released}
        for number, (_, released) in links.items()
        for mark in trademarks[number]
    ]
    for chunk in _chunks(items):
        session.execute(PledgedIpItem.__table__.insert(), chunk)
    rows = [
        {"registration_id": ids[number], "patent_id": pid, "released_date": released}
        for number, (patent_ids, released) in links.items()
        for pid in patent_ids
    ]
    for chunk in _chunks(rows):
        session.execute(PledgedPatent.__table__.insert(), chunk)


_WRITERS = {"pledges": _write_pledges}
