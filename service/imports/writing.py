"""Writing an import's rows: set-based upserts, by COPY on PostgreSQL and executemany on SQLite.

Rows arrive column by column (`Columns`: a column's name → its values in row order), so nothing
builds a dict per row between the parser and the driver. The values sent are what a statement
through SQLAlchemy would send: each passes its column's bind processor (UTC timestamps, JSON),
once per distinct value, and a column the rows omit gets its Python-side default on insert.
(Through SQLAlchemy's executemany, 100,000 patents took ~12 s on PostgreSQL.)

Every statement runs on the session's connection, in its transaction: a rejected or failed import
leaves nothing behind.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import repeat
from operator import itemgetter

import psycopg
from sqlalchemy import Table, select
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from service.db import dialect_insert

Columns = Mapping[str, Sequence]  # column name → its values, one per row, in row order

# SQLite's page cache while an import writes (KiB; the default is 2 MB). 100,000 patents update
# five B-trees in key order, not row order: in 2 MB pages are evicted and read back again and
# again (the write of 100,000 new patents after parsing: 2.4-2.7 s of CPU, 2.2 s with 64 MB).
SQLITE_IMPORT_CACHE_KIB = 64 * 1024


def upsert(
    session: Session,
    table: Table,
    columns: Columns,
    key: Sequence[str],
    same: Mapping | None = None,
    update: Sequence[str] | None = None,
) -> int:
    """INSERT … ON CONFLICT (key) DO UPDATE the `update` columns (default: every other given
    column); `same`: columns with one value for every row (`updated_at`). Returns how many of the
    rows' keys were already stored (updated).

    When none is stored yet (a first import), the rows are inserted plainly: on PostgreSQL by
    binary COPY straight into the table, so the server inserts while the client still encodes.
    Should a concurrent import store one of the keys after the count, that insert fails on the
    unique key, is undone to its savepoint, and the rows are upserted after all. The upsert:
    PostgreSQL, binary COPY into a temporary table, then one INSERT … SELECT … ON CONFLICT; SQLite,
    one statement, compiled once, run as the driver's executemany.
    """
    same = dict(same or {})
    n = len(next(iter(columns.values()))) if columns else 0
    if n == 0:
        return 0
    given = [*columns, *same]
    dialect = session.get_bind().dialect
    processed = {name: _bound(table, name, values, dialect) for name, values in columns.items()}
    constants = constant_columns(table, list(columns), same, dialect)
    existing = count_stored(session, table, {name: processed[name] for name in key})
    names = [*processed, *constants]

    def rows() -> Iterator[tuple]:
        return zip(*processed.values(), *(repeat(value, n) for value in constants.values()), strict=False)

    if existing == 0 and _insert_new(session, table, names, rows):
        return 0
    changed = list(update) if update is not None else [name for name in given if name not in key]
    if dialect.name == "postgresql":
        _copy_upsert(session, table, names, rows(), key, changed)
    else:
        _executemany_upsert(session, table, names, rows(), key, changed)
    return existing


def constant_columns(table: Table, given: Sequence[str], same: Mapping, dialect) -> dict[str, object]:
    """The columns with one value for every row, bound: `same`, and the Python-side default of each
    column neither given nor in `same` (a primary key is left to the database)."""
    defaults = {
        column.name: column.default.arg(None) if column.default.is_callable else column.default.arg
        for column in table.c
        if column.default is not None
        and column.name not in given
        and column.name not in same
        and not column.primary_key
    }
    return {name: _bound(table, name, [value], dialect)[0] for name, value in {**same, **defaults}.items()}


class Bound:
    """A column's distinct values as the driver gets them, each through the column's bind
    processor once, as a list parallel to the values (which grow as a file is parsed)."""

    def __init__(self, table: Table, name: str, dialect):
        self._processor = table.c[name].type._cached_bind_processor(dialect)
        self._done: list = []

    def of(self, values: list) -> list:
        if self._processor is None:
            return values
        if len(self._done) < len(values):
            self._done.extend(map(self._processor, values[len(self._done) :]))
        return self._done


class Abandon(Exception):
    """Raised in a `streamed_insert` block to give it up: nothing it sent is kept."""


class StreamedInsert:
    """Rows sent into the table chunk by chunk (`write` returns at once) while the caller prepares
    the next: a thread of its own sends each chunk as one binary COPY and waits for the server to
    take it, its foreign keys checked (a COPY checks them when it ends: one COPY for the whole
    file would check 100,000 rows' after the last was sent). `written` tells, after the block,
    whether the rows are in the table."""

    _QUEUED = 4  # chunks waiting for the server at most: the parser waits for it beyond that

    def __init__(self, cursor, statement: str, types: list[int]):
        self._cursor, self._statement, self._types = cursor, statement, types
        self._queue: queue.Queue[Iterable[tuple] | None] = queue.Queue(maxsize=self._QUEUED)
        self._failure: BaseException | None = None
        self._sender = threading.Thread(target=self._send, name="ipfin-import-copy", daemon=True)
        self._sender.start()
        self.written = False

    def write(self, rows: Iterable[tuple]) -> None:
        if self._failure is None:
            self._queue.put(rows)

    def _send(self) -> None:
        while (rows := self._queue.get()) is not None:
            if self._failure is not None:
                continue  # a chunk failed: the rest is not sent, the caller learns why at the end
            try:
                with self._cursor.copy(self._statement) as copy:
                    copy.set_types(self._types)
                    write = copy.write_row
                    for row in rows:
                        write(row)
            except BaseException as exc:  # raised again in the caller's thread
                self._failure = exc

    def finish(self) -> None:
        """Wait for every chunk to be stored; raise the error a chunk met."""
        self._queue.put(None)
        self._sender.join()
        if self._failure is not None:
            raise self._failure

    def stop(self) -> None:
        """Send no more (the caller gives up): wait for the chunk being sent."""
        self._failure = self._failure or Abandon()
        self._queue.put(None)
        self._sender.join()


@contextmanager
def streamed_insert(session: Session, table: Table, names: list[str]) -> Iterator[StreamedInsert]:
    """Plain binary COPYs into `table` (PostgreSQL), one a chunk, for the block to stream rows into
    while it parses the next chunk: the server inserts on the other core. In a savepoint: when
    the block raises `Abandon`, or a COPY fails on a unique key (a key already stored, by an
    earlier or a concurrent import), nothing sent is kept and `written` stays False, for the
    caller to upsert instead; any other error is raised, likewise undone."""
    connection = session.connection()
    connection.exec_driver_sql("SAVEPOINT ipfin_import_stream")
    stream = None
    try:
        with _raw_cursor(session) as cursor:
            oids = _oids(cursor, table.name)
            quoted = ", ".join(f'"{name}"' for name in names)
            statement = f'COPY "{table.name}" ({quoted}) FROM STDIN (FORMAT BINARY)'
            stream = StreamedInsert(cursor, statement, [oids[name] for name in names])
            try:
                yield stream
            except BaseException:
                stream.stop()
                raise
            stream.finish()
    except (Abandon, IntegrityError) as exc:
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT ipfin_import_stream")
        if isinstance(exc, IntegrityError) and not _unique_violation(exc):
            raise
        return
    except BaseException:
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT ipfin_import_stream")
        raise
    connection.exec_driver_sql("RELEASE SAVEPOINT ipfin_import_stream")
    stream.written = True


def insert_rows(session: Session, table: Table, columns: Columns) -> None:
    """A plain INSERT of the rows (link rows, replaced as a whole): binary COPY on PostgreSQL,
    executemany on SQLite."""
    if columns and len(next(iter(columns.values()))):
        dialect = session.get_bind().dialect
        bound = [_bound(table, name, values, dialect) for name, values in columns.items()]
        _insert(session, table, list(columns), zip(*bound, strict=True))


def _insert_new(session: Session, table: Table, names: list[str], rows: Callable[[], Iterator[tuple]]) -> bool:
    """Insert rows none of whose keys was stored at the count, in a savepoint; False, with nothing
    written, when a concurrent import stored one of them since."""
    connection = session.connection()
    connection.exec_driver_sql("SAVEPOINT ipfin_import_new")
    try:
        _insert(session, table, names, rows())
    except IntegrityError as exc:
        if not _unique_violation(exc):
            raise
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT ipfin_import_new")
        return False
    connection.exec_driver_sql("RELEASE SAVEPOINT ipfin_import_new")
    return True


def _unique_violation(exc: IntegrityError) -> bool:
    return isinstance(exc.orig, psycopg.errors.UniqueViolation) or (
        getattr(exc.orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_UNIQUE"
    )


def _insert(session: Session, table: Table, names: list[str], rows: Iterable[tuple]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        with _raw_cursor(session) as cursor:
            binary_copy(cursor, table.name, table.name, names, rows)
        return
    quoted = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join("?" * len(names))
    connection = session.connection()
    with _sqlite_cache(connection, SQLITE_IMPORT_CACHE_KIB):
        connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', list(rows))


def _bound(table: Table, name: str, values: Sequence, dialect) -> list:
    """`values` as the driver gets them: through the column's bind processor, called once per
    distinct value (a column holds few: flags, dates, one timestamp); bind processors map equal
    values to equal values, so equal values may share a call."""
    processor = table.c[name].type._cached_bind_processor(dialect)
    if processor is None:
        return values if isinstance(values, list) else list(values)
    try:
        done = {value: processor(value) for value in dict.fromkeys(values)}
    except TypeError:  # unhashable (a JSON list)
        return [processor(value) for value in values]
    return list(map(done.__getitem__, values))


def count_stored(session: Session, table: Table, keys: Mapping[str, list]) -> int:
    """How many of the rows' keys (bound values, distinct: the parser refuses a repeated key) are
    stored, in one query whatever their number: the keys go as one JSON parameter, an array of
    [column, …] per row (as PostgreSQL arrays, 100,000 application numbers cost 0.17 s of client
    CPU to encode; as IN lists, a statement each 2,000 keys)."""
    names = list(keys)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        elements, element = "json_array_elements(%s::json) AS e(value)", "(value ->> {i})::{type}"
    else:
        elements, element = "json_each(?)", "json_extract(value, '$[{i}]')"
    parts = ", ".join(
        element.format(i=i, type=table.c[name].type.compile(connection.dialect)) + f" AS c{i}"
        for i, name in enumerate(names)
    )
    on = " AND ".join(f't."{name}" = k.c{i}' for i, name in enumerate(names))
    statement = f'SELECT count(*) FROM "{table.name}" t JOIN (SELECT {parts} FROM {elements}) k ON {on}'
    given = json.dumps(list(zip(*keys.values(), strict=True)), default=str)  # dates as ISO text
    return connection.exec_driver_sql(statement, (given,)).scalar_one()


def _copy_upsert(session, table, names, rows, key, changed) -> None:
    stage = sql_table(f"_ipfin_stage_{table.name}", *(sql_column(name) for name in names))
    quoted = ", ".join(f'"{name}"' for name in names)
    with _raw_cursor(session) as cursor:
        cursor.execute(f'CREATE TEMPORARY TABLE "{stage.name}" AS SELECT {quoted} FROM "{table.name}" WITH NO DATA')
        binary_copy(cursor, table.name, stage.name, names, rows)
    statement = dialect_insert(session, table).from_select(names, select(stage))
    statement = statement.on_conflict_do_update(
        index_elements=key, set_={name: statement.excluded[name] for name in changed}
    )
    connection = session.connection()
    connection.execute(statement)
    connection.exec_driver_sql(f'DROP TABLE "{stage.name}"')


def binary_copy(cursor, typed_like: str, into: str, names: list[str], rows: Iterable[tuple]) -> None:
    """Binary COPY of `rows` into the table `into`, typed as the columns of `typed_like` (binary: the
    server parses no text and the client's encoding costs a quarter of text's: 0.12 s of CPU
    instead of 0.46 s for 100,000 patents)."""
    oids = _oids(cursor, typed_like)
    quoted = ", ".join(f'"{name}"' for name in names)
    with cursor.copy(f'COPY "{into}" ({quoted}) FROM STDIN (FORMAT BINARY)') as copy:
        copy.set_types([oids[name] for name in names])
        write = copy.write_row
        for row in rows:
            write(row)


def _oids(cursor, table: str) -> dict[str, int]:
    """The type of each column of `table`, as the binary COPY names it."""
    return dict(
        cursor.execute(
            "SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
            (f'"{table}"',),
        ).fetchall()
    )


@contextmanager
def _raw_cursor(session: Session) -> Iterator:
    """The driver's cursor on the session's connection; a database error is raised as SQLAlchemy's
    (IntegrityError, OperationalError, …) as through any statement, so callers and the API's error
    handlers see one kind of exception."""
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        try:
            yield cursor
        except psycopg.Error as exc:
            raise DBAPIError.instance(None, None, exc, psycopg.Error) from exc


def _executemany_upsert(session, table, names, rows, key, changed) -> None:
    statement = dialect_insert(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=key, set_={name: statement.excluded[name] for name in changed}
    )
    compiled = statement.compile(dialect=session.get_bind().dialect, column_keys=names)
    order = list(compiled.positiontup or [])  # the statement's ? in table order
    assert sorted(order) == sorted(names), (order, names)
    arrange = itemgetter(*(names.index(name) for name in order))
    connection = session.connection()
    with _sqlite_cache(connection, SQLITE_IMPORT_CACHE_KIB):
        connection.exec_driver_sql(str(compiled), list(map(arrange, rows)))


@contextmanager
def _sqlite_cache(connection, kib: int) -> Iterator[None]:
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{kib}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {previous}")
