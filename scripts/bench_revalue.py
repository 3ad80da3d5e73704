"""Benchmark of ``ipfin revalue`` end to end (a script, not a test): the nightly portfolio valuation
as a user runs it, on a database holding a county of about ``--patents`` patents (default 100,000).

Builds the demo county at that scale, imports it into a fresh SQLite file (or a throwaway schema
of ``--database-url``'s PostgreSQL database), then times in one run, each in a child process with
its CPU time and peak resident set size (``os.wait4``):

* the floor: ``ipfin valuate`` on the same patents file — the same reference fit and valuation of
  the same patents, written to a CSV file instead of stored (what any revaluation pays);
* ``ipfin revalue --as-of …`` on the database: loading the stored patents and pledges, the same
  valuation, and storing each patent's result and inputs (the API's and pages' source).

Usage: ``scripts/bench revalue [--patents 100000] [--database-url URL]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _bench import figure
from bench_import import scratch_database

from service import migrate
from service.db import make_engine, transaction
from service.demo import build_demo
from service.imports import import_table, read_path

AS_OF = "2025-06-30"


def timed_child(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of a child process; raises with its standard error if it fails."""
    with tempfile.TemporaryFile("w+") as errors:
        t = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed:\n{errors.read()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def prepare(work: Path, patents: int, url: str) -> None:
    """Write the county's files to ``work`` and import them into ``url``."""
    paths = build_demo(scale=patents / 1500).write_csv(work)
    engine = make_engine(url)
    migrate.upgrade(engine)
    with transaction(engine) as session:
        for kind, path in paths.items():
            import_table(session, kind, read_path(path))
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patents", type=int, default=100_000)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL: the benchmark works in a throwaway schema"
    )
    parser.add_argument("--prepare", nargs=2, metavar=("DIR", "URL"), help=argparse.SUPPRESS)  # the set-up child
    args = parser.parse_args()
    if args.prepare:
        prepare(Path(args.prepare[0]), args.patents, args.prepare[1])
        return 0
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        url, drop_schema = scratch_database(args.database_url, work)
        try:
            # Built and imported by a child, so this process stays small: a child's peak RSS counts
            # its parent's at the fork.
            print(f"building a county with about {args.patents:,} patents …", file=sys.stderr, flush=True)
            prepare_command = [sys.executable, __file__, "--patents", str(args.patents), "--prepare", str(work), url]
            subprocess.run(prepare_command, check=True)
            patents = work / "patents.csv"
            with patents.open(encoding="utf-8") as handle:
                n = sum(1 for _ in handle) - 1
            env = {**os.environ, "IPFIN_DATABASE_URL": url}
            cli = [sys.executable, "-m", "service.cli"]
            print(f"{n:,} patents imported into {url.split(':')[0]}; timing …", file=sys.stderr, flush=True)
            floor = timed_child(
                [*cli, "valuate", str(patents), "--as-of", AS_OF, "--out", str(work / "valued.csv")], env
            )
            revalue = timed_child([*cli, "revalue", "--as-of", AS_OF], env)
        finally:
            drop_schema()
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    for label, (wall, cpu, peak) in (("ipfin valuate (floor)", floor), (f"ipfin revalue, {dialect}", revalue)):
        ratio = wall / floor[0]
        print(f"{label:<28} {n:>9,} patents {wall:7.2f} s  {ratio:5.1f}×  CPU {cpu:6.2f} s  peak {peak:,.0f} MiB")
    figure(f"ipfin revalue, {n:,} patents, {dialect} (floor: ipfin valuate)", revalue[0], "s", floor=floor[0])
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
