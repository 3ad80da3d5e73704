"""`ipfin statistics`: the high-value series, monitoring rows and per-employee figure, printed or
exported (.csv/.xlsx, Chinese headings)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def run(args: argparse.Namespace, engine) -> int:
    # Imported here: `ipfin --help` must stay fast.
    from service.db import transaction
    from service.models.types import utctoday
    from service.statistics import export, monitoring
    from service.statistics import service as statistics

    end = args.end or utctoday()
    start = args.start or date(end.year - 2, 1, 1)
    if start > end:
        print(f"error: --start {start} is after --end {end}", file=sys.stderr)
        return 2
    with transaction(engine) as session:
        if args.what == "per-employee":
            figure = monitoring.per_employee(session, end)
            print(
                f"{end}: {figure['invention_patents']} valid invention patents / {figure['employees']:,} employees"
                f" = {figure['per_10k_employees']} per 10,000 employees ({figure['note']})"
            )
            return 0
        if args.what == "high-value":
            rows, columns = (
                export.high_value_rows(statistics.high_value_series(session, start, end)),
                export.HIGH_VALUE_COLUMNS,
            )
        else:
            try:
                rows = monitoring.monitoring(session, args.period, start, end, args.by, args.patent_type)
            except monitoring.TooManyPeriods as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            columns = export.MONITORING_COLUMNS
    if args.out:
        fmt = args.out.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            print("error: --out must end in .csv or .xlsx", file=sys.stderr)
            return 2
        args.out.write_bytes(
            export.export_bytes(
                rows, columns, fmt, chinese=True, title=args.what, values=export.monitoring_values(args.by)
            )
        )
        print(f"wrote {len(rows)} row(s) to {args.out}")
        return 0
    print("\t".join(zh for _, zh in columns))
    for row in rows:
        print("\t".join("" if row[key] is None else str(row[key]) for key, _ in columns))
    return 0


def add_parser(commands, command) -> None:
    stats = commands.add_parser("statistics", help="high-value stock, monitoring, patents per 10,000 employees")
    stats.add_argument("what", choices=["high-value", "monitoring", "per-employee"])
    stats.add_argument("--start", type=date.fromisoformat, help="YYYY-MM-DD (default 1 January two years before end)")
    stats.add_argument("--end", type=date.fromisoformat, help="YYYY-MM-DD (default today); per-employee: the date")
    stats.add_argument("--period", choices=["month", "quarter", "year"], default="quarter")
    stats.add_argument("--by", choices=["all", "cluster", "town", "age"], default="all")
    stats.add_argument("--patent-type", choices=["invention", "utility_model", "design"], default="invention")
    stats.add_argument("--out", type=Path, help="export file, .csv or .xlsx")
    stats.set_defaults(run=command)
