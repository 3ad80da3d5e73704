"""Test database: a fresh SQLite file, or a fresh PostgreSQL schema when IPFIN_TEST_DATABASE_URL is
set; built by running the migrations (so they are tested), dropped at the end of the run.
Tests that touch the database get it empty: every table is cleared after each test."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest
from net import free_port
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session
from tables import clear_tables

import service.models  # noqa: F401
from service import migrate
from service.db import make_engine

BASE_POSTGRES_URL = os.environ.get("IPFIN_TEST_DATABASE_URL")


def pytest_report_header(config) -> str:
    return f"ipfin database: {'PostgreSQL ' + BASE_POSTGRES_URL if BASE_POSTGRES_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    if not BASE_POSTGRES_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'ipfin-test.sqlite3'}"
        return
    schema = f"ipfin_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(BASE_POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in BASE_POSTGRES_URL else "?"
    try:
        yield f"{BASE_POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_engine(database_url) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(migrated_engine) -> Iterator[Engine]:
    yield migrated_engine
    clear_tables(migrated_engine)


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def app(engine, database_url):
    from service.app import create_app
    from service.settings import Settings

    # Rate limits off: a test that polls (the feed under concurrent publishers) passes 1,200 calls
    # a minute on a slow machine; the limits are tested with apps of their own.
    return create_app(Settings(database_url=database_url, rate_limit_per_key=0, rate_limit_anonymous=0), engine)


@pytest.fixture
def live_server(app):
    """The app served by a real uvicorn on loopback, in a thread: for tests that need real HTTP
    concurrency (the test client serialises requests)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def client(app):
    from litestar.testing import TestClient

    with TestClient(app) as client:
        yield client


def _key(engine: Engine, role: str, bank_code: str | None = None) -> str:
    from sqlalchemy import select

    from service.auth.keys import issue_key
    from service.db import transaction
    from service.models import Bank

    with transaction(engine) as session:
        bank = session.scalars(select(Bank).where(Bank.code == bank_code)).one() if bank_code else None
        return issue_key(session, role=role, name=f"test {role}", bank=bank)


@pytest.fixture
def admin_key(engine) -> str:
    return _key(engine, "admin")


@pytest.fixture
def reviewer_key(engine) -> str:
    return _key(engine, "reviewer")


@pytest.fixture
def make_key(engine):
    return lambda role, bank_code=None: _key(engine, role, bank_code)


@pytest.fixture
def admin_headers(admin_key) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_key}"}


@pytest.fixture
def reviewer_headers(reviewer_key) -> dict[str, str]:
    return {"Authorization": f"Bearer {reviewer_key}"}
