"""Import throughput: 100,000 patent rows into a fresh SQLite (or --database-url) database.

The import is timed as `import_table` runs it on an upload (the file read in chunks): a first
import (every row new) and the same file again (every row updated). On PostgreSQL a new file's
rows stream into the table while the file is parsed (a COPY a chunk), so parsing and writing
overlap; the parse is
also timed on its own (reading the file and parsing + checking its rows, `parse_table`), and the
import's time beyond it is shown as the write.

Floors, measured in the same run: reading the same CSV with csv.DictReader (what any importer
pays to read); writing the same rows bare into an empty copy of the table without its indexes —
on PostgreSQL a binary COPY into a temporary table, on SQLite the driver's executemany of a plain
INSERT — (what any importer pays to send them); and the same bare write into the real, emptied
table (in a transaction that is rolled back): what any importer pays for this schema's indexes,
checks and foreign key. Prints rows per second, each step's wall time as a multiple of its floor,
the full import against read floor + bare write floor, and each step's CPU time (this process's,
and the PostgreSQL backend's when the server runs on this machine). `--repeat N`: the imports and
the floors N times (the table emptied between), each step's best wall time kept.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from _bench import figure
from sqlalchemy import create_engine, text

from service import migrate
from service.db import make_engine, transaction
from service.demo import build_demo
from service.imports import KINDS, import_table, read_path
from service.imports.columns import parse_table
from service.imports.reader import read_path_chunks
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


@dataclass
class Timed:
    """A step's wall time and CPU time: this process's, and the PostgreSQL backend's when the server
    runs on this machine (on a shared machine the CPU times say more than the wall time)."""

    wall: float = 0.0
    client: float = 0.0
    server: float | None = None

    @contextmanager
    def measuring(self, backend: int | None = None) -> Iterator[Timed]:
        wall, client, server = time.perf_counter(), time.process_time(), backend_cpu(backend)
        yield self
        self.wall = time.perf_counter() - wall
        self.client = time.process_time() - client
        after = backend_cpu(backend)
        self.server = None if server is None or after is None else after - server


def best() -> Timed:
    """A step not timed yet: any timing is better."""
    return Timed(wall=float("inf"))


def backend_cpu(pid: int | None) -> float | None:
    """CPU seconds a PostgreSQL backend has used, when it runs on this machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_pid(connection) -> int | None:
    if connection.dialect.name != "postgresql":
        return None
    return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patents", type=int, default=100_000)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL: the benchmark works in a throwaway schema there"
    )
    parser.add_argument(
        "--county", default=None, help="a directory of the county's CSV files to use instead of building one"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds of parse and imports; the best of each kept")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        work = Path(args.county or directory)
        if not args.county:
            print(f"building a county with about {args.patents:,} patents …", file=sys.stderr, flush=True)
            dataset = build_demo(scale=args.patents / 1500)
            dataset.write_csv(work)
        patents_csv = work / "patents.csv"
        with open(patents_csv, encoding="utf-8") as handle:
            n = sum(1 for _ in handle) - 1

        url, drop_schema = scratch_database(args.database_url, work)
        engine = make_engine(url)
        migrate.upgrade(engine)
        with transaction(engine) as session:
            for kind in ("banks", "enterprises"):
                import_table(session, kind, read_path(work / f"{kind}.csv"))

        parse, write_new, write_again = best(), best(), best()
        read, bare_empty, bare_table = best(), best(), best()
        for round in range(args.repeat):
            with Timed().measuring() as reading, open(patents_csv, newline="", encoding="utf-8") as handle:
                assert sum(1 for _ in csv.DictReader(handle)) == n
            read = min(read, reading, key=lambda step: step.wall)
            with Timed().measuring() as parsing:
                parsed = parse_table(KINDS["patents"], read_path_chunks(patents_csv))  # as an upload is read
            assert not parsed.errors, parsed.errors[:5]
            parse = min(parse, parsing, key=lambda step: step.wall)
            del parsed
            if round:
                with engine.begin() as connection:  # a new file again
                    postgresql = engine.dialect.name == "postgresql"
                    connection.exec_driver_sql("TRUNCATE patents CASCADE" if postgresql else "DELETE FROM patents")
            imports = []
            for _ in range(2):  # a first import, then the same file again: every row updated
                with transaction(engine) as session, Timed().measuring(backend_pid(session.connection())) as write:
                    report = import_table(session, "patents", read_path_chunks(patents_csv))
                    session.commit()
                imports.append((write, report))
            (new, first), (again, updated) = imports
            assert (first.inserted, updated.updated) == (n, n), (first, updated)
            write_new = min(write_new, new, key=lambda step: step.wall)
            write_again = min(write_again, again, key=lambda step: step.wall)
            empty, real = bare_write(engine)
            bare_empty = min(bare_empty, empty, key=lambda step: step.wall)
            bare_table = min(bare_table, real, key=lambda step: step.wall)
        engine.dispose()
        drop_schema()

    bare = "bare COPY" if engine.dialect.name == "postgresql" else "bare executemany"

    def line(label: str, step: Timed, floor: Timed | None = None, floor_name: str = "", note: str = "") -> None:
        ratio = f"{step.wall / floor.wall:5.1f}× {floor_name}" if floor else ""
        cpu = f"cpu {step.client:5.2f}" + ("" if step.server is None else f" + server {step.server:4.2f}")
        print(f"{label:<32}{n / step.wall:>10,.0f} rows/s  {ratio:<22}{step.wall:6.2f} s  {cpu:<27}{note}")

    full = write_new
    floor = Timed(read.wall + bare_empty.wall, read.client + bare_empty.client, bare_empty.server)
    beyond = Timed(full.wall - parse.wall, full.client - parse.client, full.server)
    print(f"patent rows ({engine.dialect.name}): {n:,}")
    line("csv.DictReader (read floor)", read)
    line("read + parse + check", parse, read, "read floor")
    line(f"{bare} (write floor)", bare_empty, note="into an empty copy, no indexes")
    line(f"{bare}, real table", bare_table, bare_empty, "write floor", "its indexes, checks, FK")
    line("full import, new", full, floor, "floor", f"floor: read + {bare}, {floor.wall:.2f} s")
    line(
        "  beyond parsing (the write)",
        beyond,
        bare_empty,
        "write floor",
        f"{beyond.wall / bare_table.wall:.1f}× real table",
    )
    line("full import, all updated", write_again, floor, "floor", f"{write_again.wall / full.wall:.1f}× new")
    what = f"import {n:,} patents, {engine.dialect.name}"
    figure(
        f"{what} (floor: read + {bare})",
        full.wall,
        "s",
        floor=floor.wall,
        aim=3.0 if engine.dialect.name == "postgresql" else None,
    )
    figure(f"{what}: beyond parsing (floor: {bare}, real table)", beyond.wall, "s", floor=bare_table.wall)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def bare_write(engine) -> tuple[Timed, Timed]:
    """Sending the stored patent rows, as the database returns them, with no upsert and no Python
    per value: into an empty copy of the table without indexes, and into the real table emptied in
    a transaction that is then rolled back. Binary COPY on PostgreSQL (as the import sends),
    executemany on SQLite (with the page cache the import writes with)."""
    names = [column.name for column in Patent.__table__.c]
    quoted = ", ".join(f'"{name}"' for name in names)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"SELECT {quoted} FROM patents").fetchall()
    postgresql = engine.dialect.name == "postgresql"

    def send(into: str, setup: str) -> Timed:
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            if not postgresql:
                raw.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
                raw.execute("BEGIN IMMEDIATE")
            raw.execute(setup)
            with Timed().measuring(backend_pid(connection)) as sent:
                if postgresql:
                    with raw.cursor() as cursor:
                        binary_copy(cursor, "patents", into, names, rows)
                else:
                    marks = ", ".join("?" * len(names))
                    raw.executemany(f"INSERT INTO {into} ({quoted}) VALUES ({marks})", rows)
            raw.rollback()
            if not postgresql:
                raw.execute("PRAGMA cache_size = -2000")
            return sent

    empty = send("bare_patents", "CREATE TEMPORARY TABLE bare_patents AS SELECT * FROM patents WHERE 0 = 1")
    return empty, send("patents", "TRUNCATE patents CASCADE" if postgresql else "DELETE FROM patents")


if __name__ == "__main__":
    main()
