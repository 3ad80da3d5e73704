"""The server across a PostgreSQL restart (issue 10, part 5): 503 while the database is down, and
answers again once it is back, without a restart of the server (stale pooled connections are
tested before use: `pool_pre_ping`). On a throwaway cluster of this test only (initdb/pg_ctl in a
temporary directory, its own port), never the machine's server; skipped where PostgreSQL's
binaries are missing. scripts/reliability does the same under load."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from _live import ThrowawayPostgres

from service import migrate
from service.db import make_engine


@pytest.fixture
def cluster():
    # Not pytest's tmp_path: as root the cluster runs as `postgres`, which cannot enter root's
    # private pytest directories; mkdtemp's directory is handed to that user.
    workdir = Path(tempfile.mkdtemp(prefix="ipfin-restart-"))
    try:
        cluster = ThrowawayPostgres(workdir)
    except SystemExit as exc:
        pytest.skip(str(exc))
    cluster.create()
    yield cluster
    cluster.destroy()
    shutil.rmtree(workdir, ignore_errors=True)


# The cluster is the test's own whatever database the suite runs on: once per suite run is enough.
@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("IPFIN_TEST_DATABASE_URL")), reason="run in the SQLite half only")
def test_the_api_answers_503_while_postgres_is_down_and_recovers_when_it_is_back(cluster):
    from litestar.testing import TestClient

    from service.app import create_app
    from service.settings import Settings

    engine = make_engine(cluster.url)
    migrate.upgrade(engine)
    app = create_app(Settings(database_url=cluster.url, rate_limit_per_key=0, rate_limit_anonymous=0), engine)
    with TestClient(app) as client:
        assert client.get("/api/v1/banks").status_code == 200  # a pooled connection now exists
        cluster.stop("fast")
        down = client.get("/api/v1/banks")
        assert down.status_code == 503 and down.json()["code"] == "database_unavailable"
        assert down.headers["Retry-After"] == "1"
        assert client.get("/health").status_code == 503
        cluster.start()
        assert client.get("/health").status_code == 200
        back = client.get("/api/v1/banks")
        assert back.status_code == 200 and back.json()["items"] == []
    engine.dispose()
