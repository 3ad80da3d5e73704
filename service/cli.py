"""`ipfin` command line: database, import, demo, keys, serve (and the domain commands)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

from service.settings import Settings


def _engine(settings: Settings):
    from service.db import make_engine

    return make_engine(settings.database_url)


def cmd_db(args, settings: Settings) -> int:
    from service import migrate

    engine = _engine(settings)
    if args.action == "upgrade":
        migrate.upgrade(engine)
        print(f"database at head: {engine.url.render_as_string(hide_password=True)}")
    else:
        migrate.check(engine)
        print("models and migrations agree")
    return 0


def cmd_import(args, settings: Settings) -> int:
    from service import migrate
    from service.db import transaction
    from service.imports import KINDS, ImportRejected, UnreadableFile, import_table, read_path

    if args.kind not in KINDS:  # checked here, not by argparse: the parser must not import the models
        print(f"error: unknown kind {args.kind!r}; choose one of {', '.join(KINDS)}", file=sys.stderr)
        return 2
    engine = _engine(settings)
    migrate.upgrade(engine)
    try:
        table = read_path(args.file)
    except (OSError, UnreadableFile) as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 2
    from tqdm import tqdm

    try:
        with (
            transaction(engine) as session,
            tqdm(total=len(table.rows), unit="row", desc=f"import {args.kind}", disable=None, file=sys.stderr) as bar,
        ):
            report = import_table(session, args.kind, table, progress=bar.update)
    except ImportRejected as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{report.kind}: {report.rows} rows, {report.inserted} inserted, {report.updated} updated")
    return 0


def cmd_demo(args, settings: Settings) -> int:
    from service import migrate
    from service.seed import database_is_empty, demo_key_lines, load_demo

    engine = _engine(settings)
    migrate.upgrade(engine)
    if args.if_empty and not database_is_empty(engine):
        print("database already holds data; demo not loaded")
        return 0
    loaded = load_demo(engine, scale=args.scale, seed=args.seed, with_whitelist=args.whitelist)
    for line in loaded.summary + demo_key_lines(loaded, f"http://{settings.host}:{settings.port}"):
        print(line)
    return 0


def cmd_keys(args, settings: Settings) -> int:
    from sqlalchemy import select

    from service.auth.keys import issue_key, list_keys, revoke
    from service.db import transaction
    from service.models import Bank

    with transaction(_engine(settings)) as session:
        if args.action == "list":
            for key, bank_code in list_keys(session):
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
                print(f"{key.prefix:16s} {key.role:9s} {bank_code or '-':10s} {state:18s} {key.name}")
            return 0
        if args.action == "revoke":
            if not revoke(session, args.prefix):
                print(f"error: no key with prefix {args.prefix}", file=sys.stderr)
                return 1
            print(f"revoked {args.prefix}")
            return 0
        bank = None
        if args.role == "bank":
            bank = session.scalars(select(Bank).where(Bank.code == (args.bank or "").upper())).first()
            if bank is None:
                print("error: a bank key needs --bank CODE of an existing bank", file=sys.stderr)
                return 1
        key = issue_key(session, role=args.role, name=args.name, bank=bank)
    print(key)
    return 0


def _port_taken(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on, or None (a probe bind, released at once)."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def cmd_serve(args, settings: Settings) -> int:
    # Said before anything else: no migration, demo load or URL banner for a server that cannot start.
    if reason := settings.production_problem():
        print(f"error: refusing to start in production: {reason}", file=sys.stderr)
        return 5
    if reason := _port_taken(settings.host, settings.port):
        print(f"error: cannot listen on {settings.host}:{settings.port}: {reason}", file=sys.stderr)
        return 4

    import uvicorn

    from service import migrate
    from service.app import create_app
    from service.seed import database_is_empty, demo_key_lines, load_demo

    engine = _engine(settings)
    migrate.upgrade(engine)
    base = f"http://{settings.host}:{settings.port}"
    keys: list[str] = []
    if args.demo and database_is_empty(engine):
        print("loading the demo county (first start) …", flush=True)
        loaded = load_demo(engine, with_whitelist=True)
        for line in loaded.summary:
            print("  " + line)
        keys = demo_key_lines(loaded, base)
    print(
        f"\nipfin on {base}\n  API          {base}/api/v1/enterprises\n  OpenAPI docs {base}/schema"
        f"\n  OpenAPI JSON {base}/schema/openapi.json\n  health       {base}/health"
    )
    for line in keys:  # printed once: the database keeps only their hashes
        print("  " + line)
    sys.stdout.flush()
    if args.scheduler:
        os.environ["IPFIN_SCHEDULER"] = "1"  # read by each worker's create_app
        settings = replace(settings, run_scheduler=True)
    if args.workers > 1:  # each worker builds its app (and engine) from the environment
        engine.dispose()
        uvicorn.run(
            "service.app:create_app", factory=True, workers=args.workers, host=settings.host, port=settings.port
        )
    else:
        uvicorn.run(create_app(settings, engine), host=settings.host, port=settings.port, log_level="info")
    return 0


def as_of_argument(text: str) -> date:
    """`--as-of`: an ISO date inside the API's plausible window for `as_of` (service/dates.py)."""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a date YYYY-MM-DD") from None
    from service.dates import implausible_as_of  # only when the option is given: --help stays instant

    problem = implausible_as_of(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser imports nothing heavy (no models, numpy or web stack): `ipfin --help` is instant."""
    parser = argparse.ArgumentParser(prog="ipfin", description="IP-financing matchmaking and valuation service")
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "check"])
    db.set_defaults(run=cmd_db)

    imp = commands.add_parser("import", help="import a CSV/XLSX file, all or nothing")
    imp.add_argument("kind", help="banks, products, enterprises, credit-loans, patents or pledges")
    imp.add_argument("file", type=Path)
    imp.set_defaults(run=cmd_import)

    demo = commands.add_parser("demo", help="load the demo county")
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--seed", type=int, default=None)
    demo.add_argument("--if-empty", action="store_true", help="only when the database holds no enterprises")
    demo.add_argument(
        "--whitelist", action="store_true", help="also run matching and walk entries through every feed state"
    )
    demo.set_defaults(run=cmd_demo)

    keys = commands.add_parser("keys", help="API keys")
    key_actions = keys.add_subparsers(dest="action", required=True)
    create = key_actions.add_parser("create")
    create.add_argument("role", choices=["admin", "reviewer", "bank"])  # ApiRole (models stay out of --help)
    create.add_argument("name")
    create.add_argument("--bank", help="bank code, for a bank key")
    revoke = key_actions.add_parser("revoke")
    revoke.add_argument("prefix")
    key_actions.add_parser("list", help="every key: prefix, role, bank, state, name (never the key)")
    keys.set_defaults(run=cmd_keys)

    from service.jobs.cli import add_parser as add_jobs
    from service.statistics.cli import add_parser as add_statistics
    from service.subsidies.cli import add_parser as add_subsidies
    from service.targets.cli import add_parser as add_targets

    add_targets(commands, cmd_targets)
    add_jobs(commands, cmd_jobs, cmd_scheduler)
    add_statistics(commands, cmd_statistics)
    add_subsidies(commands, cmd_subsidies)
    report = commands.add_parser("report", help="the quarterly report: XLSX with charts (Chinese headings)")
    report.add_argument("--quarter", required=True, help="e.g. 2024Q2")
    report.add_argument("--out", type=Path, required=True, help="output .xlsx")
    report.set_defaults(run=cmd_report)

    from service.users.cli import add_parser as add_users

    add_users(commands)

    valuate = commands.add_parser("valuate", help="value a patent import file (no database needed)")
    valuate.add_argument("file", type=Path)
    valuate.add_argument("--as-of", type=as_of_argument, required=True, help="YYYY-MM-DD")
    valuate.add_argument("--out", type=Path, required=True, help="output CSV")
    valuate.add_argument("--loan-term-months", type=int, help="default: the valuation parameters' loan term")
    valuate.add_argument(
        "--reference",
        choices=["auto", "shipped"],
        default="auto",
        help="compare with the file itself when it is large enough (auto), or with the shipped reference",
    )
    valuate.set_defaults(run=cmd_valuate)

    revalue = commands.add_parser("revalue", help="value the stored portfolio and keep the results")
    revalue.add_argument("--as-of", type=as_of_argument, default=None, help="YYYY-MM-DD (default today)")
    revalue.set_defaults(run=cmd_revalue)

    serve = commands.add_parser("serve", help="migrate (and with --demo load the demo when empty), serve HTTP")
    serve.add_argument(
        "--demo", action="store_true", help="load the demo county into an empty database and print its keys once"
    )
    serve.add_argument("--workers", type=int, default=1, help="API processes on this host (default 1)")
    serve.add_argument(
        "--scheduler",
        action="store_true",
        help="also run the scheduled jobs (one process per deployment runs them)",
    )
    serve.set_defaults(run=cmd_serve)
    return parser


def cmd_targets(args, settings: Settings) -> int:
    from service import migrate
    from service.targets.cli import run

    if args.action == "add" and None in (args.code, args.name, args.metric, args.figure, args.start, args.deadline):
        print("error: add needs --code --name --metric --figure --start --deadline", file=sys.stderr)
        return 2
    if args.action == "export" and args.out is None:
        print("error: export needs --out FILE.csv or FILE.xlsx", file=sys.stderr)
        return 2
    engine = _engine(settings)
    migrate.upgrade(engine)
    return run(args, engine)


def cmd_statistics(args, settings: Settings) -> int:
    from service import migrate
    from service.statistics.cli import run

    engine = _engine(settings)
    migrate.upgrade(engine)
    return run(args, engine)


def cmd_subsidies(args, settings: Settings) -> int:
    from service import migrate
    from service.subsidies.cli import run

    engine = _engine(settings)
    migrate.upgrade(engine)
    return run(args, engine)


def cmd_report(args, settings: Settings) -> int:
    from service import migrate
    from service.db import transaction
    from service.statistics.report import BadQuarter, quarter_span, write_report

    try:
        quarter_span(args.quarter)
    except BadQuarter as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out.suffix.lower() != ".xlsx":
        print("error: --out must end in .xlsx", file=sys.stderr)
        return 2
    engine = _engine(settings)
    migrate.upgrade(engine)
    with transaction(engine) as session:
        body = write_report(session, args.quarter)
    args.out.write_bytes(body)
    print(f"wrote the {args.quarter.upper()} report to {args.out}")
    return 0


def cmd_jobs(args, settings: Settings) -> int:
    from service import migrate
    from service.jobs.cli import run_jobs

    engine = _engine(settings)
    migrate.upgrade(engine)
    return run_jobs(args, engine, settings)


def cmd_scheduler(args, settings: Settings) -> int:
    from service import migrate
    from service.jobs.cli import run_scheduler

    engine = _engine(settings)
    migrate.upgrade(engine)
    return run_scheduler(engine, settings)


def cmd_valuate(args, settings: Settings) -> int:
    from service.valuations.cli import valuate_file

    return valuate_file(args.file, args.as_of, args.out, args.loan_term_months, args.reference)


def cmd_revalue(args, settings: Settings) -> int:
    from service import migrate
    from service.models.types import utctoday
    from service.valuations.cli import revalue

    engine = _engine(settings)
    migrate.upgrade(engine)
    return revalue(engine, args.as_of or utctoday(), "cli")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # --help and usage errors exit here, before any heavy import
    from sqlalchemy.exc import OperationalError

    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a malformed IPFIN_* variable
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return args.run(args, settings)
    except OperationalError as exc:  # the database is down, unreachable or locked
        database = settings.database_url.split("@")[-1]
        print(f"error: cannot use the database ({database}): {exc.orig}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    raise SystemExit(main())
