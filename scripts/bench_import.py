"""Import throughput: 100,000 patent rows into a fresh SQLite (or --database-url) database.

Floors, measured in the same run: reading the same CSV with csv.DictReader (what any importer
pays to read), and writing the same rows bare — on PostgreSQL a COPY of the imported rows into an
empty copy of the table, on SQLite the driver's executemany of a plain INSERT — (what any importer
pays to write). Prints rows per second for reading, parsing+checking and the full import, the
import as a multiple of read floor + write floor, and the wall time.
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
        _, errors = parse_rows(KINDS["patents"], table)
        parse = time.perf_counter() - started
        assert not errors, errors[:5]

        started = time.perf_counter()
        with transaction(engine) as session:
            report = import_table(session, "patents", read_path(patents_csv))
        full = time.perf_counter() - started
        write_floor = bare_write(engine)
        engine.dispose()
        drop_schema()

    print(f"patent rows                 {n:>12,}")
    print(f"csv.DictReader (baseline)   {n / baseline:>12,.0f} rows/s   1.0×")
    print(f"read + parse + check        {n / parse:>12,.0f} rows/s   {parse / baseline:.1f}× baseline time")
    floor = baseline + write_floor
    bare = "COPY" if engine.dialect.name == "postgresql" else "executemany"
    print(f"same rows by bare {bare:<11} {n / write_floor:>12,.0f} rows/s   ({write_floor:.2f} s)")
    print(
        f"full import (upsert, {engine.dialect.name}) {n / full:>10,.0f} rows/s   {full / floor:.1f}× floor "
        f"(read + bare {bare}: {floor:.2f} s)   {full:.2f} s; inserted {report.inserted:,}"
    )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def bare_write(engine) -> float:
    """Seconds to send the stored patent rows, as the database returns them, into an empty copy
    of the table: COPY on PostgreSQL, executemany on SQLite, no upsert, no Python per value."""
    with engine.connect() as connection:
        names = [column.name for column in Patent.__table__.c]
        quoted = ", ".join(f'"{name}"' for name in names)
        rows = connection.exec_driver_sql(f"SELECT {quoted} FROM patents").fetchall()
        connection.exec_driver_sql("CREATE TEMPORARY TABLE bare_patents AS SELECT * FROM patents WHERE 0 = 1")
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            cursor = connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY bare_patents ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(names))
            connection.connection.driver_connection.executemany(
                f"INSERT INTO bare_patents ({quoted}) VALUES ({marks})", rows
            )
        connection.commit()
        return time.perf_counter() - started


if __name__ == "__main__":
    main()
