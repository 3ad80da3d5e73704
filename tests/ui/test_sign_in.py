"""Staff sign-in for the pages: users from the CLI, scrypt hashes, the session cookie, CSRF, sign-out."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select
from ui_helpers import PASSWORD, csrf_of, make_user, sign_in


def test_cli_creates_a_user_with_a_scrypt_hash_from_stdin(engine, database_url, monkeypatch, capsys):
    from service.cli import main
    from service.models import StaffUser
    from service.users.passwords import verify_password

    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password-1\n"))
    assert main(["users", "create", "zhao.min", "--role", "admin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "create", "li.na", "--role", "reviewer"]) == 1  # too short: refused, nothing stored
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password-1\n"))
    assert main(["users", "create", "zhao.min", "--role", "reviewer"]) == 1  # the name is taken
    err = capsys.readouterr().err
    assert "至少 10 位" in err and "exists" in err
    with engine.connect() as connection:
        users = connection.execute(select(StaffUser.username, StaffUser.role, StaffUser.password_hash)).all()
    assert [(u, r) for u, r, _ in users] == [("zhao.min", "admin")]
    stored = users[0][2]
    assert stored.startswith("scrypt$16384$8$1$") and "a-long-password-1" not in stored
    assert verify_password("a-long-password-1", stored) and not verify_password("a-long-password-2", stored)


def test_pages_for_staff_send_strangers_to_the_sign_in_form(client):
    for path in ("/ui/", "/ui/review", "/ui/banks/CCB", "/ui/enterprises/91500235MA5U000010"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/ui/login?next=/ui/")
    assert client.get("/ui/estimate").status_code == 200  # enterprises value patents without an account


def test_sign_in_sets_a_session_cookie_and_sign_out_ends_it(client, engine, reviewer):
    wrong = sign_in(client, reviewer, "not-the-password")
    assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text
    assert "ipfin_session" not in client.cookies

    response = sign_in(client, reviewer, next_path="/ui/review")
    assert response.status_code == 303 and response.headers["location"] == "/ui/review"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("ipfin_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/ui" in cookie
    page = client.get("/ui/")
    assert page.status_code == 200 and "wang.li" in page.text and "总览" in page.text

    stolen = client.cookies["ipfin_session"]
    out = client.post("/ui/logout", data={"_csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("ipfin_session", stolen, path="/ui")  # a copy kept from before signing out
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_forged_or_foreign_cookies_name_no_one(client, reviewer):
    sign_in(client, reviewer)
    token, _, signature = client.cookies["ipfin_session"].partition(".")
    client.cookies.set("ipfin_session", f"{token}.{'0' * len(signature)}", path="/ui")
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_a_disabled_user_cannot_sign_in(client, engine, database_url, monkeypatch):
    from service.cli import main

    make_user(engine, "gone.user")
    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    assert main(["users", "disable", "gone.user"]) == 0
    assert sign_in(client, "gone.user").status_code == 401


def test_every_form_needs_its_csrf_token(client, reviewer):
    form = client.get("/ui/login")
    refused = client.post("/ui/login", data={"username": reviewer, "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    forged = client.post(
        "/ui/login",
        data={"username": reviewer, "password": PASSWORD, "_csrf_token": csrf_of(form.text)[:-4] + "abcd"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert "ipfin_session" not in client.cookies


def test_after_sign_in_only_paths_inside_the_pages_are_followed(client, reviewer):
    for target in ("https://evil.example/", "//evil.example/ui/", "/api/v1/banks", "/ui/\\evil"):
        response = sign_in(client, reviewer, next_path=target)
        assert response.headers["location"] == "/ui/", target


def test_the_api_is_not_under_the_pages_csrf(client, admin_headers):
    # Bearer-key clients post JSON without cookies; the pages' CSRF check must not touch them.
    response = client.post("/api/v1/matching/runs", json={}, headers=admin_headers)
    assert response.status_code == 201


def _attempt(client, username: str, password: str):
    return sign_in(client, username, password)


def test_five_wrong_passwords_in_fifteen_minutes_lock_the_username_for_fifteen_minutes(client, engine):
    from sqlalchemy import update

    from service.models import AuditEvent
    from service.models.types import utcnow
    from service.users.service import LOCK_TIME, MAX_FAILURES

    make_user(engine, "wang.li")
    make_user(engine, "zhao.min")
    for attempt in range(MAX_FAILURES - 1):
        assert _attempt(client, "wang.li", f"guess-{attempt}").status_code == 401
    fifth = _attempt(client, "wang.li", "guess-5")
    assert fifth.status_code == 429 and "已锁定" in fifth.text
    assert 0 < int(fifth.headers["retry-after"]) <= LOCK_TIME.total_seconds()
    right = _attempt(client, "wang.li", PASSWORD)  # the right password is not even tried while locked
    assert right.status_code == 429 and "ipfin_session" not in right.cookies
    assert _attempt(client, "zhao.min", PASSWORD).status_code == 303  # per username: others sign in
    assert _attempt(client, "no.such.user", "x" * 12).status_code == 401  # unknown names count the same way
    with engine.connect() as connection:
        failures = connection.execute(
            select(AuditEvent.actor, AuditEvent.after).where(
                AuditEvent.action == "user.sign_in_failed", AuditEvent.entity_id == "wang.li"
            )
        ).all()
    assert len(failures) == MAX_FAILURES  # refused attempts while locked are not counted
    assert failures[0][0] == "anonymous" and "address" in failures[0][1]
    # Sixteen minutes later (the failures moved back in time): the lock has ended.
    with engine.begin() as connection:
        connection.execute(
            update(AuditEvent)
            .where(AuditEvent.entity_id == "wang.li")
            .values(at=utcnow() - LOCK_TIME - timedelta(minutes=1))
        )
    assert _attempt(client, "wang.li", PASSWORD).status_code == 303


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock_and_a_sign_in_clears_them(client, engine):
    from sqlalchemy import update

    from service.db import transaction
    from service.models import AuditEvent
    from service.models.types import utcnow
    from service.users.service import FAILURE_WINDOW, MAX_FAILURES, locked_until

    make_user(engine, "wang.li")
    for attempt in range(MAX_FAILURES - 1):
        assert _attempt(client, "wang.li", f"guess-{attempt}").status_code == 401
    with engine.begin() as connection:
        connection.execute(
            update(AuditEvent)
            .where(AuditEvent.action == "user.sign_in_failed")
            .values(at=utcnow() - FAILURE_WINDOW - timedelta(seconds=5))
        )
    assert _attempt(client, "wang.li", "guess-late").status_code == 401  # 1 in the window, not 5
    assert _attempt(client, "wang.li", PASSWORD).status_code == 303
    for attempt in range(MAX_FAILURES - 1):  # counting starts again after the sign-in
        assert _attempt(client, "wang.li", f"again-{attempt}").status_code == 401
    with transaction(engine) as session:
        assert locked_until(session, "wang.li", utcnow()) is None
