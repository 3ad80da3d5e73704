"""Helpers for the /ui tests: staff users, CSRF tokens, signing in."""

from __future__ import annotations

import re

PASSWORD = "correct-horse-battery"


def make_user(engine, name: str, role: str = "reviewer", password: str = PASSWORD) -> None:
    from service.db import transaction
    from service.users.service import create_user

    with transaction(engine) as session:
        create_user(session, name, role, password, actor="test")


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "every form carries a CSRF token"
    return match.group(1)


def sign_in(client, username: str, password: str = PASSWORD, next_path: str = "/ui/"):
    form = client.get("/ui/login")
    return client.post(
        "/ui/login",
        data={"username": username, "password": password, "next": next_path, "_csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
