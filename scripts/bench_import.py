"""Import throughput: 100,000 patent rows into a fresh SQLite (or --database-url) database.

The import is timed in its two steps, which are exactly what `import_table` runs: reading the file
and parsing + checking its rows (`parse_rows`), then writing them (`import_rows`: references
resolved, keys looked up, the upsert, the commit). The write is timed twice: a first import (every
row new) and the same file again (every row updated).

Floors, measured in the same run: reading the same CSV with csv.DictReader (what any importer
pays to read); writing the same rows bare into an empty copy of the table without its indexes —
on PostgreSQL a binary COPY into a temporary table, on SQLite the driver's executemany of a plain
INSERT — (what any importer pays to send them); and the same bare write into the real, emptied
table (in a transaction that is rolled back): what any importer pays for this schema's indexes,
checks and foreign key. Prints rows per second, each step as a multiple of its floor, the full
import against read floor + bare write floor, and the wall times.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from service import migrate
from service.db import make_engine, transaction
from service.demo import build_demo
from service.imports import KINDS, import_table, parse_rows, read_path
from service.imports.loader import Rows, import_rows
from service.imports.writing import SQLITE_IMPORT_CACHE_KIB, binary_copy
from service.models import Patent


def scratch_database(url: str | None, work: Path):
    """A fresh SQLite file, or a throwaway schema in the given PostgreSQL database (dropped after)."""
    if not url:
        return f"sqlite:///{work / 'bench.sqlite3'}", lambda: None
    schema = f"ipfin_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patents", type=int, default=100_000)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL: the benchmark works in a throwaway schema there"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        print(f"building a county with about {args.patents:,} patents …", file=sys.stderr, flush=True)
        dataset = build_demo(scale=args.patents / 1500)
        dataset.write_csv(work)
        patents_csv = work / "patents.csv"
        with open(patents_csv, encoding="utf-8") as handle:
            n = sum(1 for _ in handle) - 1

        started = time.perf_counter()
        with open(patents_csv, newline="", encoding="utf-8") as handle:
            rows = sum(1 for _ in csv.DictReader(handle))
        baseline = time.perf_counter() - started
        assert rows == n

        url, drop_schema = scratch_database(args.database_url, work)
        engine = make_engine(url)
        migrate.upgrade(engine)
        with transaction(engine) as session:
            for kind in ("banks", "enterprises"):
                import_table(session, kind, read_path(work / f"{kind}.csv"))

        started = time.perf_counter()
        table = read_path(patents_csv)
        parsed, errors = parse_rows(KINDS["patents"], table)
        parse = time.perf_counter() - started
        assert not errors, errors[:5]
        del table

        writes = []
        for _ in range(2):  # a first import, then the same rows again: every one updated
            started = time.perf_counter()
            with transaction(engine) as session:
                reports = [import_rows(session, "patents", Rows.of(KINDS["patents"], parsed))]
            writes.append((time.perf_counter() - started, reports[0]))
        (write_new, first), (write_again, again) = writes
        assert (first.inserted, again.updated) == (n, n), (first, again)
        bare_empty, bare_table = bare_write(engine)
        engine.dispose()
        drop_schema()

    bare = "bare COPY" if engine.dialect.name == "postgresql" else "bare executemany"
    full = parse + write_new
    floor = baseline + bare_empty

    def line(label: str, seconds: float, ratio: str = "", note: str = "") -> None:
        print(f"{label:<32}{n / seconds:>10,.0f} rows/s  {ratio:<24}{seconds:6.2f} s  {note}")

    print(f"patent rows ({engine.dialect.name}): {n:,}")
    line("csv.DictReader (read floor)", baseline)
    line("read + parse + check", parse, f"{parse / baseline:5.1f}× read floor")
    line(f"{bare} (write floor)", bare_empty, "", "into an empty copy, no indexes")
    line(f"{bare}, real table", bare_table, f"{bare_table / bare_empty:5.1f}× write floor", "its indexes, checks, FK")
    for label, seconds in (("new", write_new), ("all updated", write_again)):
        line(
            f"write after parsing, {label}",
            seconds,
            f"{seconds / bare_empty:5.1f}× write floor",
            f"{seconds / bare_table:.1f}× the real-table floor",
        )
    line("full import (parse + write)", full, f"{full / floor:5.1f}× floor", f"floor: read + {bare}, {floor:.2f} s")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def bare_write(engine) -> tuple[float, float]:
    """Seconds to send the stored patent rows, as the database returns them, with no upsert and no
    Python per value: into an empty copy of the table without indexes, and into the real table
    emptied in a transaction that is then rolled back. Binary COPY on PostgreSQL (as the import
    sends), executemany on SQLite."""
    names = [column.name for column in Patent.__table__.c]
    quoted = ", ".join(f'"{name}"' for name in names)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"SELECT {quoted} FROM patents").fetchall()
    postgresql = engine.dialect.name == "postgresql"

    def send(into: str, setup: str) -> float:
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            if not postgresql:  # the page cache the import writes with
                raw.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
                raw.execute("BEGIN IMMEDIATE")
            raw.execute(setup)
            started = time.perf_counter()
            if postgresql:
                with raw.cursor() as cursor:
                    binary_copy(cursor, "patents", into, names, rows)
            else:
                marks = ", ".join("?" * len(names))
                raw.executemany(f"INSERT INTO {into} ({quoted}) VALUES ({marks})", rows)
            seconds = time.perf_counter() - started
            raw.rollback()
            if not postgresql:
                raw.execute("PRAGMA cache_size = -2000")
            return seconds

    empty = send("bare_patents", "CREATE TEMPORARY TABLE bare_patents AS SELECT * FROM patents WHERE 0 = 1")
    emptied = "TRUNCATE patents CASCADE" if postgresql else "DELETE FROM patents"
    return empty, send("patents", emptied)


if __name__ == "__main__":
    main()
