"""`ipfin targets`: progress bars in the terminal, adding targets, exporting progress."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

BAR = 30


def _figure(value: float, unit: str) -> str:
    return f"¥{value / 100:,.0f}" if unit == "fen" else f"{value:,.0f}"


def render(progress: dict) -> str:
    target, unit = progress["target"], progress["unit"]
    share = progress["share"]
    filled = min(BAR, round(share * BAR))
    bar = "█" * filled + "░" * (BAR - filled)
    line = (
        f"{target['name']} [{target['code']}]\n  {bar} {share:6.1%}  "
        f"{_figure(progress['achieved'], unit)} / {_figure(progress['figure'], unit)}"
        f"  ({target['window_start']} → {target['deadline']}, "
    )
    line += "window closed)" if progress["window_closed"] else f"{progress['days_left']} days left)"
    projection = progress["projection"]
    if projection and projection.get("probability") is not None:
        if projection["status"] == "final":
            line += "\n  final: " + ("reached 已完成" if projection["probability"] >= 1 else "not reached 未完成")
        else:
            line += (
                f"\n  P(reach by deadline) = {projection['probability']:.0%}; needed "
                f"{_figure(projection['required_rate_per_month'] or 0, unit)}/month, "
                f"actual {_figure(projection['rate_per_month'] or 0, unit)}/month"
            )
    elif progress.get("note"):
        line += f"\n  {progress['note']}"
    return line


def _add(session, args: argparse.Namespace) -> int:
    import msgspec

    from service.errors import ApiError
    from service.targets.schemas import TargetCreate
    from service.targets.service import create_target

    figure = args.figure * 100 if args.metric == "pledge_amount" else args.figure  # yuan → fen
    fields = {
        "code": args.code,
        "name": args.name,
        "metric": args.metric,
        "figure": figure,
        "window_start": args.start.isoformat(),
        "deadline": args.deadline.isoformat(),
        "source": args.source,
    }
    try:
        target = create_target(session, msgspec.convert(fields, TargetCreate))
    except msgspec.ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ApiError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"added target {target.code}")
    return 0


def _export(session, args: argparse.Namespace, targets: list, as_of: date) -> int:
    from service.targets.export import NothingToExport, export_file

    fmt = args.out.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        print("error: --out must end in .csv or .xlsx", file=sys.stderr)
        return 2
    try:
        data, count = export_file(session, targets, as_of, what=args.what, fmt=fmt, chinese=args.lang == "zh")
    except NothingToExport as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.out.write_bytes(data)
    print(f"wrote {count} row(s) to {args.out}")
    return 0


def run(args: argparse.Namespace, engine) -> int:
    """`ipfin targets show|add|export` in one transaction (imports inside: `ipfin --help` stays fast)."""
    from sqlalchemy import select

    from service.db import transaction
    from service.models import Target
    from service.models.types import utctoday
    from service.targets.service import target_progress

    as_of = args.as_of or utctoday()
    with transaction(engine) as session:
        if args.action == "add":
            return _add(session, args)
        targets = list(session.scalars(select(Target).order_by(Target.id)).all())
        if args.code:
            targets = [t for t in targets if t.code == args.code]
            if not targets:
                print(f"error: no target {args.code}", file=sys.stderr)
                return 1
        if args.action == "export":
            return _export(session, args, targets, as_of)
        if not targets:
            print("no targets; add one with `ipfin targets add`")
        for target in targets:
            print(render(target_progress(session, target, as_of)))
    return 0


def add_parser(commands, command) -> None:
    from service.cli import as_of_argument

    targets = commands.add_parser("targets", help="progress against the plan's targets")
    targets.add_argument("action", nargs="?", choices=["show", "add", "export"], default="show")
    targets.add_argument("--as-of", type=as_of_argument, default=None, help="YYYY-MM-DD (default today)")
    targets.add_argument("--code", help="one target (show/export) or the new target's code (add)")
    targets.add_argument("--name")
    targets.add_argument(
        "--metric",
        choices=["pledge_amount", "high_value_patents", "ip_advantage_enterprises", "ip_standard_enterprises"],
    )
    targets.add_argument("--figure", type=int, help="yuan for pledge_amount, a count otherwise")
    targets.add_argument("--start", type=date.fromisoformat)
    targets.add_argument("--deadline", type=date.fromisoformat)
    targets.add_argument("--source")
    targets.add_argument("--what", choices=["progress", "registrations"], default="progress")
    targets.add_argument("--lang", choices=["en", "zh"], default="en", help="header language of exports")
    targets.add_argument("--out", type=Path, help="export file, .csv or .xlsx")
    targets.set_defaults(run=command)
