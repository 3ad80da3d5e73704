"""`ipfin users`: staff who sign in to the pages (create with a password from standard input, list, disable)."""

from __future__ import annotations

import argparse
import sys


def add_parser(commands) -> None:
    users = commands.add_parser("users", help="staff users of the pages (/ui)")
    actions = users.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="add a user; the password is read from standard input")
    create.add_argument("name")
    create.add_argument("--role", choices=["reviewer", "admin"], required=True)  # StaffRole (models stay out)
    disable = actions.add_parser("disable", help="stop a user signing in and end their sessions")
    disable.add_argument("name")
    actions.add_parser("list", help="every user: name, role, state")
    users.set_defaults(run=cmd_users)


def _read_password() -> str:
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise ValueError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_users(args: argparse.Namespace, settings) -> int:
    from sqlalchemy import select, update

    from service import migrate
    from service.db import make_engine, transaction
    from service.errors import ApiError
    from service.models import StaffSession, StaffUser
    from service.models.types import utcnow
    from service.users.service import create_user

    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    if args.action == "create":
        try:
            password = _read_password()
            with transaction(engine) as session:
                create_user(session, args.name, args.role, password, actor="cli")
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except ApiError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 1
        print(f"created {args.role} {args.name}")
        return 0
    with transaction(engine) as session:
        if args.action == "list":
            for user in session.scalars(select(StaffUser).order_by(StaffUser.username)):
                state = f"disabled {user.disabled_at:%Y-%m-%d}" if user.disabled_at else "active"
                print(f"{user.username:24s} {user.role:9s} {state}")
            return 0
        if args.action == "disable":
            user = session.scalars(select(StaffUser).where(StaffUser.username == args.name)).first()
            if user is None:
                print(f"error: no user {args.name}", file=sys.stderr)
                return 1
            user.disabled_at = user.disabled_at or utcnow()
            session.execute(
                update(StaffSession)
                .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
                .values(ended_at=utcnow())
            )
            print(f"disabled {args.name}")
    return 0
