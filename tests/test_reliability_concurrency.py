"""Concurrency against a real server (issue 10): more keyed clients than the handlers' thread pool
has threads (CPU + 4) — reads never wait for the write lock, writers queue briefly, exactly one
review decision wins and the losers get 409, nobody gets a 5xx and nothing hangs."""

from __future__ import annotations

import os
import threading
import time

import httpx
import pytest
import small_county as county
from bank_loop import bearer, propose
from sqlalchemy import func, select

from service.db import transaction, writes
from service.models import ReviewDecision, WhitelistEntry

# Clients of each kind: more than the handlers' thread pool (CPU + 4) and than anyio's 40 worker
# tokens, which the key lookups and commits use (the old code stalled for the busy timeout and
# answered 500 at this size).
CLIENTS = int(os.environ.get("IPFIN_TEST_CONCURRENT_CLIENTS", "45"))


@pytest.fixture
def loaded(engine, tmp_path):
    county.load_county(engine, tmp_path)


def _together(calls) -> list[httpx.Response | BaseException]:
    """Run every call at once (one thread and connection each), behind a barrier."""
    barrier = threading.Barrier(len(calls))
    answers: list[httpx.Response | BaseException | None] = [None] * len(calls)

    def run(i, call):
        try:
            with httpx.Client(timeout=60) as http:
                barrier.wait()
                answers[i] = call(http)
        except BaseException as exc:  # recorded, asserted below
            answers[i] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    return answers


def test_concurrent_keyed_readers_and_deciders_no_5xx_no_hang_one_winner(
    live_server, engine, loaded, make_key, reviewer_key, admin_key
):
    with transaction(engine) as session:
        proposal_id = propose(session, "CQRCB")
    readers = [bearer(make_key("bank", "CQRCB")) for _ in range(4)] + [bearer(reviewer_key)]
    deciders = [bearer(reviewer_key), bearer(admin_key)]
    read_paths = ["/api/v1/whitelist", "/api/v1/matching/proposals", "/api/v1/credit-loans"]

    def read(i):
        headers = readers[i % len(readers)]
        path = read_paths[0] if headers is not readers[-1] else read_paths[1 + i % 2]
        return lambda http: http.get(live_server + path, headers=headers)

    def decision(i):
        body = {"decision": "approved"} if i % 2 else {"decision": "rejected", "comment": f"意见 {i}"}
        url = f"{live_server}/api/v1/matching/proposals/{proposal_id}/decision"
        return lambda http: http.post(url, json=body, headers=deciders[i % 2])

    calls = [read(i) for i in range(CLIENTS)] + [decision(i) for i in range(CLIENTS)]
    started = time.perf_counter()
    answers = _together(calls)
    elapsed = time.perf_counter() - started
    errors = [a for a in answers if isinstance(a, BaseException)]
    assert not errors, errors[:3]
    reads, decisions = answers[:CLIENTS], answers[CLIENTS:]
    assert [r.status_code for r in reads] == [200] * CLIENTS, [r.text for r in reads if r.status_code != 200][:3]
    statuses = sorted(r.status_code for r in decisions)
    assert statuses == [200] + [409] * (CLIENTS - 1), [r.text for r in decisions if r.status_code >= 500][:3]
    winner = next(r for r in decisions if r.status_code == 200).json()
    for loser in (r.json() for r in decisions if r.status_code == 409):
        assert loser["code"] == "already_decided"
        assert loser["details"]["decision"] == winner["decision"]
    # Under the 30 s busy timeout: nobody waited for a lock held across a thread hop.
    assert elapsed < 25, f"{elapsed:.1f} s for {2 * CLIENTS} requests"
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ReviewDecision)) == 1
        entries = session.scalar(select(func.count()).select_from(WhitelistEntry))
        assert entries == (1 if winner["decision"] == "approved" else 0)


def test_reads_never_hold_the_sqlite_write_lock(engine, loaded):
    """A session that only reads leaves the write lock free for another writer (SQLite)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the write lock is SQLite's")
    from sqlmodel import Session

    from service.models import Bank

    reader = Session(engine)
    assert reader.scalars(select(Bank)).all()  # a read, transaction still open on our side
    try:
        started = time.perf_counter()
        with transaction(engine) as writer:  # another connection writes and commits at once
            writer.add(Bank(code="NEWBANK", name="新银行"))
        assert time.perf_counter() - started < 2
    finally:
        reader.close()


@pytest.mark.parametrize(
    "statement, expected",
    [
        ("SELECT 1", False),
        ("  select * from banks", False),
        ("PRAGMA foreign_keys", False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
        ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", True),
        ("INSERT INTO banks VALUES (1)", True),
        ("UPDATE match_proposals SET status = 'approved'", True),
        ("DELETE FROM banks", True),
        ("SAVEPOINT sa_savepoint_1", True),
        ("CREATE TABLE t (a int)", True),
    ],
)
def test_which_statements_take_the_write_lock(statement, expected):
    assert writes(statement) is expected
