"""`ipfin subsidies`: evaluate the 免申即享 rules over a period, list lines, mark one paid, export."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def run(args: argparse.Namespace, engine) -> int:
    # Imported here: `ipfin --help` must stay fast.
    from service.db import transaction
    from service.errors import ApiError
    from service.subsidies import service
    from service.subsidies.export import lines_file

    try:
        with transaction(engine) as session:
            if args.action == "evaluate":
                if args.start is None or args.end is None:
                    print("error: evaluate needs --start and --end", file=sys.stderr)
                    return 2
                lines = service.evaluate(session, args.start, args.end, "cli")
                total = sum(line.amount_fen for line in lines)
                print(f"{len(lines)} new line(s), ¥{total / 100:,.2f} for {args.start} … {args.end}")
                return 0
            if args.action == "pay":
                if args.line is None:
                    print("error: pay needs a line id", file=sys.stderr)
                    return 2
                line = service.mark_paid(session, args.line, "cli", args.reference)
                print(f"line {line.id} paid: ¥{line.amount_fen / 100:,.2f}")
                return 0
            rows = [service.line_row(*row) for row in session.execute(service.lines_statement(args.status)).all()]
    except ApiError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    if args.action == "export":
        if args.out is None or args.out.suffix.lower() not in (".xlsx", ".csv"):
            print("error: export needs --out FILE.xlsx or FILE.csv", file=sys.stderr)
            return 2
        args.out.write_bytes(lines_file(rows, args.out.suffix.lower().lstrip(".")))
        print(f"wrote {len(rows)} line(s) to {args.out}")
        return 0
    for row in rows:
        basis = "；".join(fact["fact"] for fact in row["facts"])
        amount = f"¥{row['amount_fen'] / 100:,.2f}"
        print("\t".join([str(row["id"]), row["status"], row["rule_name"], row["enterprise"], amount, basis]))
    return 0


def add_parser(commands, command) -> None:
    sub = commands.add_parser("subsidies", help="免申即享: evaluate the reward rules, list, pay, export")
    sub.add_argument("action", choices=["evaluate", "list", "pay", "export"])
    sub.add_argument("line", nargs="?", type=int, help="the line id (pay)")
    sub.add_argument("--start", type=date.fromisoformat)
    sub.add_argument("--end", type=date.fromisoformat)
    sub.add_argument("--status", choices=["proposed", "paid"])
    sub.add_argument("--reference", help="payment reference (pay)")
    sub.add_argument("--out", type=Path, help="export file, .xlsx or .csv")
    sub.set_defaults(run=command)
