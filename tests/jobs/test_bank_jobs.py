"""Jobs that close the bank loop: signed notifications through the outbox to a real local receiver,
stored expiry, pledge maturity, target snapshots, and the jobs API."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import small_county as county
from bank_loop import bearer, publish
from collateral import build, moment
from sqlalchemy import select, update

from service.db import transaction
from service.jobs.scheduler import run_job
from service.models import PledgedPatent, PledgeRegistration, TargetSnapshot, WebhookMessage, WhitelistEntry
from service.models.types import utcnow
from service.notifications import signing
from service.notifications.service import BACKOFF
from service.settings import Settings


@pytest.fixture
def receiver():
    """A bank's receiver on loopback: answers the statuses queued in `answers` (then 204)."""
    got: list[dict] = []
    answers: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            got.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            self.send_response(answers.pop(0) if answers else 204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ipfin", got, answers
    server.shutdown()


@pytest.fixture
def loop_app(engine, database_url):
    from service.app import create_app

    return create_app(Settings(database_url=database_url, webhook_allow_loopback=True), engine)


@pytest.fixture
def loop_client(loop_app):
    from litestar.testing import TestClient

    with TestClient(loop_app) as client:
        yield client


def settings(database_url) -> Settings:
    return Settings(database_url=database_url, webhook_allow_loopback=True)


def test_a_bank_registers_and_gets_signed_notices_with_retries(
    engine, database_url, tmp_path, loop_client, make_key, receiver
):
    url, got, answers = receiver
    county.load_county(engine, tmp_path)
    bank = bearer(make_key("bank", "CQRCB"))
    refused = loop_client.put("/api/v1/bank/webhook", json={"url": "http://bank.example/hook"}, headers=bank)
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_url"
    registered = loop_client.put("/api/v1/bank/webhook", json={"url": url}, headers=bank)
    assert registered.status_code == 200, registered.text
    secret = registered.json()["secret"]
    assert secret.startswith("whsec_") and "secret" not in loop_client.get("/api/v1/bank/webhook", headers=bank).json()

    publish(engine, "CQRCB", 3)  # three approvals before the next delivery: one coalesced notice
    publish(engine, "CCB", 1)  # CCB registered nothing: no notice for it
    with transaction(engine) as session:
        queued = session.scalars(select(WebhookMessage)).all()
    assert [(m.event_type, m.payload["feed_position"]) for m in queued] == [("whitelist.entries_available", 3)]

    answers.extend([503, 503])  # the bank's server fails twice, then takes it
    start = utcnow()
    first = run_job(engine, "webhook-delivery", settings=settings(database_url), now=start)
    assert first.detail == {"due": 1, "delivered": 0, "retrying": 1, "failed": 0}
    nothing_due = run_job(engine, "webhook-delivery", settings=settings(database_url), now=start + timedelta(seconds=1))
    assert nothing_due.detail["due"] == 0  # the next attempt waits for its backoff (5 s ± 20 %)
    run_job(
        engine, "webhook-delivery", settings=settings(database_url), now=start + timedelta(seconds=BACKOFF[0] * 1.2)
    )
    third = run_job(engine, "webhook-delivery", settings=settings(database_url), now=start + timedelta(seconds=60))
    assert third.detail["delivered"] == 1
    assert len(got) == 3 and len({g["headers"]["webhook-id"] for g in got}) == 1
    assert all(signing.verify(secret, g["headers"], g["body"]) for g in got)
    notice = json.loads(got[-1]["body"])
    assert notice["type"] == "whitelist.entries_available" and notice["data"] == {"bank": "CQRCB", "feed_position": 3}
    status = loop_client.get("/api/v1/bank/webhook", headers=bank).json()["recent"][0]
    assert (status["status"], status["attempts"], status["last_status_code"]) == ("delivered", 3, 204)
    # A refusal (4xx) is final; the feed still has everything.
    publish(engine, "CQRCB", 1)
    answers.append(410)
    run_job(engine, "webhook-delivery", settings=settings(database_url), now=utcnow() + timedelta(seconds=1))
    assert loop_client.get("/api/v1/bank/webhook", headers=bank).json()["recent"][0]["status"] == "failed"
    assert loop_client.delete("/api/v1/bank/webhook", headers=bank).json()["active"] is False
    publish(engine, "CQRCB", 1)
    with transaction(engine) as session:
        assert len(session.scalars(select(WebhookMessage)).all()) == 2  # disabled: nothing more queued


def test_expiry_is_stored_and_the_bank_told(engine, database_url, tmp_path, loop_client, make_key, receiver):
    url, got, _ = receiver
    county.load_county(engine, tmp_path)
    bank = bearer(make_key("bank", "CQRCB"))
    assert loop_client.put("/api/v1/bank/webhook", json={"url": url}, headers=bank).status_code == 200
    stale, fresh = publish(engine, "CQRCB", 2)
    with transaction(engine) as session:
        session.execute(
            update(WhitelistEntry).where(WhitelistEntry.id == stale).values(expires_at=utcnow() - timedelta(hours=1))
        )
    run = run_job(engine, "whitelist-expiry", settings=settings(database_url))
    assert run.detail == {"expired": 1, "banks": 1}
    with transaction(engine) as session:
        stored = dict(session.execute(select(WhitelistEntry.id, WhitelistEntry.status)).all())
    assert stored == {stale: "expired", fresh: "published"}
    assert run_job(engine, "whitelist-expiry", settings=settings(database_url)).detail["expired"] == 0
    run_job(engine, "webhook-delivery", settings=settings(database_url), now=utcnow() + timedelta(seconds=1))
    types = sorted(json.loads(g["body"])["type"] for g in got)
    assert types == ["whitelist.entries_available", "whitelist.entries_expired"]
    assert json.loads(next(g["body"] for g in got if b"expired" in g["body"]))["data"] == {"entry_ids": [stale]}


def test_matured_pledges_are_released_with_their_patents(engine, database_url):
    ids = build(engine)
    with transaction(engine) as session:
        session.execute(
            update(PledgeRegistration).where(PledgeRegistration.bank_id == ids["B"]).values(loan_end=date(2026, 3, 1))
        )
    on_the_day = run_job(engine, "pledge-maturity", settings=settings(database_url), now=moment(date(2026, 3, 1)))
    assert on_the_day.detail == {"released": 0}  # the loan runs through its last day
    after = run_job(engine, "pledge-maturity", settings=settings(database_url), now=moment(date(2026, 3, 2)))
    assert after.detail == {"released": 1}
    with transaction(engine) as session:
        released = dict(session.execute(select(PledgedPatent.patent_id, PledgedPatent.released_date)).all())
    assert released == {ids["leap"]: None, ids["year_end"]: None, ids["later"]: date(2026, 3, 1)}


def test_weekly_snapshots_keep_each_targets_progress_once(engine, database_url, tmp_path, client, reviewer_headers):
    county.load_county(engine, tmp_path)
    from service.models import Target

    with transaction(engine) as session:
        session.add(
            Target(
                code="YY-PLEDGE",
                name="质押融资",
                metric="pledge_amount",
                figure=1_000_000_000,
                window_start=date(2025, 1, 1),
                deadline=date(2026, 12, 31),
            )
        )
    monday = moment(date(2026, 11, 30))
    for slot, written in (("w1", 1), ("w2", 0)):
        run = run_job(engine, "target-snapshots", settings=settings(database_url), slot=slot, now=monday)
        assert run.detail == {"snapshots": written}
    with transaction(engine) as session:
        snapshot = session.scalars(select(TargetSnapshot)).one()
    # The county's one registration in the window (2025-03-10, ¥800,000) is what was achieved.
    assert snapshot.taken_on == date(2026, 11, 30) and snapshot.achieved == 800_000_00
    history = client.get(f"/api/v1/targets/{snapshot.target_id}/snapshots", headers=reviewer_headers).json()
    assert history["total"] == 1 and history["items"][0]["achieved"] == 800_000_00
    assert history["items"][0]["share"] == pytest.approx(800_000_00 / 1_000_000_000)
    assert 0 <= history["items"][0]["probability_by_deadline"] <= 1
    assert client.get(f"/api/v1/targets/{snapshot.target_id}/snapshots").status_code == 401


def test_jobs_api_lists_starts_and_refuses_a_claimed_slot(client, engine, admin_headers, reviewer_headers):
    listed = client.get("/api/v1/jobs", headers=reviewer_headers).json()
    assert {j["name"] for j in listed["items"]} >= {"revalue", "fee-monitoring", "whitelist-expiry"}
    assert listed["total"] == len(listed["items"]) and all(j["timezone"] == "Asia/Shanghai" for j in listed["items"])
    assert client.post("/api/v1/jobs/housekeeping/runs", json={}, headers=reviewer_headers).status_code == 403
    started = client.post("/api/v1/jobs/housekeeping/runs", json={"slot": "by-hand-1"}, headers=admin_headers)
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    deadline = time.monotonic() + 30
    while (run := client.get(f"/api/v1/jobs/runs/{run_id}", headers=reviewer_headers).json())["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert run["status"] == "done" and run["trigger"] == "manual" and "idempotency_keys_purged" in run["detail"]
    again = client.post("/api/v1/jobs/housekeeping/runs", json={"slot": "by-hand-1"}, headers=admin_headers)
    assert again.status_code == 409 and again.json()["code"] == "slot_claimed"
    assert client.post("/api/v1/jobs/nope/runs", json={}, headers=admin_headers).status_code == 404
    bad = client.post("/api/v1/jobs/housekeeping/runs", json={"slot": "a b"}, headers=admin_headers)
    assert bad.status_code in (400, 422)
    runs = client.get("/api/v1/jobs/runs", params={"job": "housekeeping"}, headers=reviewer_headers).json()
    assert runs["total"] == 1 and runs["items"][0]["id"] == run_id
    assert client.get("/api/v1/jobs/runs").status_code == 401


def test_revalue_started_by_hand_values_as_of_the_date_asked(client, engine, admin_headers, reviewer_headers):
    build(engine)
    started = client.post("/api/v1/jobs/revalue/runs", json={"as_of": "2026-06-30"}, headers=admin_headers)
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    deadline = time.monotonic() + 120
    while (run := client.get(f"/api/v1/jobs/runs/{run_id}", headers=reviewer_headers).json())["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert run["status"] == "done", run["error"]
    valuation_run = client.get("/api/v1/valuations/runs").json()["items"][0]
    assert (valuation_run["as_of"], valuation_run["job_run_id"]) == ("2026-06-30", run_id)
    assert valuation_run["counts"]["total"] == 3
    wrong = client.post("/api/v1/jobs/housekeeping/runs", json={"as_of": "2026-06-30"}, headers=admin_headers)
    assert wrong.status_code == 422


@pytest.mark.parametrize(
    ("url", "allow_loopback", "refused"),
    [
        ("https://bank.example/hook", False, False),
        ("https://8.8.8.8/hook", False, False),
        ("https://10.0.0.5/hook", False, True),  # private
        ("https://172.16.3.4/hook", True, True),
        ("https://192.168.1.1/hook", False, True),
        ("https://169.254.169.254/latest/meta-data", False, True),  # link-local: a cloud's metadata service
        ("https://100.64.0.1/hook", False, True),  # shared address space
        ("https://[fd00::1]/hook", False, True),
        ("https://[::ffff:10.0.0.1]/hook", False, True),  # IPv4-mapped private
        ("https://0.0.0.0/hook", True, True),
        ("https://127.0.0.1/hook", False, True),  # loopback, not allowed here
        ("https://localhost/hook", False, True),
        ("http://127.0.0.1:8000/hook", True, False),  # loopback allowed (tests, a local trial)
        ("http://localhost:8000/hook", True, False),
        ("http://bank.example/hook", True, True),  # plain HTTP beyond loopback
        ("ftp://bank.example/hook", False, True),
        ("https://bank.example:99999/hook", False, True),  # not a port: refused, not a crash at delivery
        ("https://bank.example:https/hook", False, True),
    ],
)
def test_notification_urls_must_name_a_public_host(url, allow_loopback, refused):
    from service.notifications.service import url_problem

    assert (url_problem(url, allow_loopback=allow_loopback) is not None) is refused


def test_an_address_is_checked_where_its_name_resolves():
    from ipaddress import ip_address

    from service.notifications.service import vetted_address

    assert "private or reserved" in vetted_address("localhost", 443, allow_loopback=False)[1]
    address, problem = vetted_address("localhost", 443, allow_loopback=True)
    assert problem is None and address is not None and address.is_loopback
    assert vetted_address("127.0.0.1", 443, allow_loopback=True) == (ip_address("127.0.0.1"), None)
    assert "does not resolve" in vetted_address("no-such-host.invalid", 443, allow_loopback=False)[1]


def test_a_notice_goes_to_the_address_vetted_not_to_a_later_answer(
    engine, database_url, tmp_path, loop_client, make_key, receiver, monkeypatch
):
    """DNS rebinding: the bank's name resolves to an allowed address when checked and to another
    one afterwards; the notice goes to the address checked, naming the bank's host."""
    import socket

    url, got, _ = receiver
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    county.load_county(engine, tmp_path)
    bank = bearer(make_key("bank", "CQRCB"))
    named = f"http://rebind.localhost:{port}/ipfin"
    assert loop_client.put("/api/v1/bank/webhook", json={"url": named}, headers=bank).is_success
    resolve, answers = socket.getaddrinfo, []

    def rebinding(host, *args, **kwargs):
        if host != "rebind.localhost":
            return resolve(host, *args, **kwargs)
        answers.append("127.0.0.1" if not answers else "127.0.0.3")  # nothing listens on the second
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[-1], port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    publish(engine, "CQRCB", 1)
    run = run_job(engine, "webhook-delivery", settings=settings(database_url), now=utcnow() + timedelta(seconds=1))
    assert run.detail == {"due": 1, "delivered": 1, "retrying": 0, "failed": 0}
    assert answers == ["127.0.0.1"]  # resolved once, by the check
    assert len(got) == 1 and got[0]["headers"]["host"] == f"rebind.localhost:{port}"


def test_a_notice_over_tls_is_checked_against_the_banks_name_not_the_address_dialled(
    engine, database_url, tmp_path, loop_client, make_key, monkeypatch
):
    """Sent to the vetted address by number, the notice still names the bank to TLS (SNI) and
    its certificate is checked against that name: a real TLS receiver with a certificate for
    bank.example only, from a throwaway CA the client trusts."""
    import socket
    import ssl

    import httpx
    import trustme

    from service.notifications.service import deliver_due

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("bank.example").configure_cert(server_context)
    named: list[str | None] = []
    server_context.sni_callback = lambda sock, name, context: named.append(name)
    got: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["content-length"]))
            got.append(self.headers["host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    resolve = socket.getaddrinfo

    def bank_here(host, *args, **kwargs):
        if host == "bank.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", bank_here)
    county.load_county(engine, tmp_path)
    bank = bearer(make_key("bank", "CQRCB"))
    url = f"https://bank.example:{port}/hook"
    assert loop_client.put("/api/v1/bank/webhook", json={"url": url}, headers=bank).is_success
    publish(engine, "CQRCB", 1)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    try:
        with httpx.Client(verify=trusting) as client:
            counts = deliver_due(engine, utcnow() + timedelta(seconds=1), client=client, allow_loopback=True)
    finally:
        server.shutdown()
    assert counts["delivered"] == 1
    assert named == ["bank.example"] and got == [f"bank.example:{port}"]


def test_a_private_webhook_address_is_refused_and_never_called(
    engine, database_url, tmp_path, loop_client, make_key, monkeypatch
):
    import socket

    county.load_county(engine, tmp_path)
    bank = bearer(make_key("bank", "CQRCB"))
    for url in ("https://10.1.2.3/hook", "https://169.254.169.254/latest", "https://[fd12::1]:8443/hook"):
        refused = loop_client.put("/api/v1/bank/webhook", json={"url": url}, headers=bank)
        assert refused.status_code == 422 and refused.json()["code"] == "invalid_url", url
    assert loop_client.get("/api/v1/bank/webhook", headers=bank).json().get("url") is None  # nothing stored

    # A public-looking name that resolves to a private address when the notice is due.
    assert loop_client.put("/api/v1/bank/webhook", json={"url": "https://bank.example/hook"}, headers=bank).is_success
    resolve = socket.getaddrinfo

    def private_bank(host, *args, **kwargs):
        if host == "bank.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 443))]
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", private_bank)
    publish(engine, "CQRCB", 1)
    run = run_job(engine, "webhook-delivery", settings=settings(database_url), now=utcnow() + timedelta(seconds=1))
    assert run.detail == {"due": 1, "delivered": 0, "retrying": 1, "failed": 0}
    with transaction(engine) as session:
        message = session.scalars(select(WebhookMessage)).one()
        assert message.last_status_code is None
        assert message.last_error == "the host bank.example resolves to a private or reserved address (10.0.0.7)"


def test_a_stored_url_with_an_impossible_port_is_a_failed_attempt_not_a_failed_run(
    engine, database_url, tmp_path, loop_client, make_key
):
    """A URL stored before registration checked ports: the attempt records why, the run goes on."""
    from service.models import WebhookEndpoint

    county.load_county(engine, tmp_path)
    bank = bearer(make_key("bank", "CQRCB"))
    assert loop_client.put("/api/v1/bank/webhook", json={"url": "https://bank.example/hook"}, headers=bank).is_success
    with transaction(engine) as session:
        session.execute(update(WebhookEndpoint).values(url="https://bank.example:99999/hook"))
    publish(engine, "CQRCB", 1)
    run = run_job(engine, "webhook-delivery", settings=settings(database_url), now=utcnow() + timedelta(seconds=1))
    assert run.status == "done" and run.detail == {"due": 1, "delivered": 0, "retrying": 1, "failed": 0}
    with transaction(engine) as session:
        assert session.scalars(select(WebhookMessage)).one().last_error == "the URL's port is not a port number"
