"""Every headline figure of issue 15 in one run: each benchmark in turn, then one table.

Runs, as child processes with their default sizes: the valuation engine (score only for
1,000,000 patents against one argsort), `ipfin valuate` on 100,000 patents (against reading and
writing the same CSV), the import of 100,000 patents on PostgreSQL (against reading it and a bare
COPY), one-patent estimates under 10 concurrent clients (against GET /health), `ipfin revalue` of
100,000 stored patents on PostgreSQL (against `ipfin valuate` of the same file) and the contested
province matching (10 s limit, against the greedy baseline). Their own output goes to standard
error as it comes (progress); the table, to standard output, gives each figure with the floor
measured in the same run, the ratio, the issue's aim and whether it is met. The load average is
printed: these machines are shared.

Usage: ``scripts/bench all [--postgres-url URL] [--skip NAME ...]``; PostgreSQL comes from
--postgres-url, else IPFIN_TEST_POSTGRES_URL (the import and the revaluation are skipped, and say
so, without one).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _bench import TAG

SCRIPTS = Path(__file__).resolve().parent


def benches(postgres: str | None) -> dict[str, list[str]]:
    return {
        "valuation": ["bench_valuation.py"],
        "cli": ["bench_cli.py"],
        "import": ["bench_import.py", "--database-url", postgres] if postgres else [],
        "estimate": ["bench_estimate.py"],
        "revalue": ["bench_revalue.py", "--database-url", postgres] if postgres else [],
        "matching": ["bench_matching.py", "--scenario", "province-contested", "--time-limit", "10"],
    }


def run(name: str, command: list[str]) -> tuple[list[dict], str | None]:
    """The figures a benchmark printed, and an error line if it failed."""
    print(f"== {name}: {' '.join(command)}", file=sys.stderr, flush=True)
    child = subprocess.Popen(
        [sys.executable, *command], cwd=SCRIPTS.parent, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    figures = []
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith(TAG):
            figures.append(json.loads(line[len(TAG) :]))
        else:
            sys.stderr.write(line)
    code = child.wait()
    return figures, None if code == 0 else f"exited with {code}"


def table(rows: list[tuple[str, dict]]) -> str:
    def amount(x: float | None, unit: str) -> str:
        return "" if x is None else f"{x:.3g} {unit}".strip()

    width = max([len("figure")] + [len(f["name"]) for _, f in rows])
    lines = [f"{'figure':<{width}} {'value':>10} {'floor':>10} {'ratio':>7} {'aim':>10}  met"]
    for _, f in rows:
        unit, aim = f["unit"], f["aim"]
        ratio = f"{f['value'] / f['floor']:.1f}×" if f["floor"] else ""
        met = "" if aim is None else ("yes" if f["value"] <= aim else "NO")
        lines.append(
            f"{f['name']:<{width}} {amount(f['value'], unit):>10} {amount(f['floor'], unit):>10} {ratio:>7} "
            f"{amount(aim, unit):>10}  {met}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("IPFIN_TEST_POSTGRES_URL"))
    parser.add_argument("--skip", nargs="*", default=[], help="benchmarks to leave out")
    args = parser.parse_args()
    started = time.perf_counter()
    rows: list[tuple[str, dict]] = []
    failed = []
    for name, command in benches(args.postgres_url).items():
        if name in args.skip:
            continue
        if not command:
            print(f"== {name}: skipped (no PostgreSQL URL: --postgres-url or IPFIN_TEST_POSTGRES_URL)", file=sys.stderr)
            continue
        figures, error = run(name, [str(SCRIPTS / command[0]), *command[1:]])
        rows += [(name, f) for f in figures]
        if error:
            failed.append(f"{name}: {error}")
    print(table(rows))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {time.perf_counter() - started:.0f} s in all")
    for line in failed:
        print(f"FAILED {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
