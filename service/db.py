"""Engine and session construction for SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlmodel import Session

from service.encoding import column_dumps

# How long a SQLite writer waits for the write lock before "database is locked" (a 503 to the
# client). Write transactions are short, so a long wait means something is wrong.
SQLITE_BUSY_TIMEOUT_MS = 30_000

_READ_ONLY = re.compile(r"^\s*(SELECT|PRAGMA|EXPLAIN|BEGIN)\b", re.IGNORECASE)
_WITH_WRITE = re.compile(r"^\s*WITH\b.*\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE | re.DOTALL)


def writes(statement: str) -> bool:
    """Whether a SQL statement may write (or opens a savepoint, which needs the transaction):
    everything but SELECT, PRAGMA, EXPLAIN, a WITH … SELECT and BEGIN itself."""
    if _READ_ONLY.match(statement):
        return False
    if re.match(r"^\s*WITH\b", statement, re.IGNORECASE):
        return bool(_WITH_WRITE.match(statement))
    return True


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with the settings each backend needs for concurrent use.

    SQLite (DESIGN.md §10, "SQLite under concurrency"): a session reads in autocommit — each
    SELECT is its own WAL snapshot and takes no lock, so reads never wait for writers nor hold
    anyone up. The first statement that writes opens `BEGIN IMMEDIATE` (see `_write_lock`): the
    write lock is taken only when the request first writes and held until its commit, which
    `service.deps` runs without waiting for a busy thread pool. Starting the write transaction
    IMMEDIATE (not deferred) matters: a deferred transaction that read first and writes later
    fails at once with "database is locked" when another writer got in between, without
    waiting. Statements before the first write see committed data, as PostgreSQL's default READ
    COMMITTED does, so code that is correct on PostgreSQL (conditional UPDATEs, unique
    constraints) is correct here. WAL lets readers proceed while a writer holds the lock; the
    busy timeout makes writers queue instead of failing. PostgreSQL needs none of this.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            json_serializer=column_dumps,
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # the driver never BEGINs by itself
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

        @event.listens_for(engine, "before_cursor_execute")
        def _write_lock(connection, cursor, statement, parameters, context, executemany):
            dbapi_connection = connection.connection.dbapi_connection
            if not dbapi_connection.in_transaction and writes(statement):
                cursor.execute("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=column_dumps, **kwargs)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def serialise(session: Session, name: str) -> None:
    """Hold a named lock until the session's transaction ends, across processes and hosts:
    one holder of `name` at a time. PostgreSQL: a transaction-scoped advisory lock (it blocks
    only other holders of the same name). SQLite: the database's write lock, its only lock."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    elif not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def dialect_insert(session: Session, table):
    """An INSERT of the session's dialect, so it can take ON CONFLICT clauses (PostgreSQL's and
    SQLite's share their API): the one place the two databases are told apart for upserts."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
