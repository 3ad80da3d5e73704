"""The bank feed: pages in order from an opaque signed cursor, exactly what is new after it, staff
filters, expiry evaluated on read, acknowledgement, the pipeline — and, on PostgreSQL, no entry
skipped or repeated while reviewers publish concurrently."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

import pytest
import small_county as county
from bank_loop import bearer, publish, pull_all
from sqlalchemy import select, update

from service.db import transaction
from service.models import Enterprise, WhitelistEntry
from service.models.enums import Cluster
from service.models.types import utcnow
from service.whitelist import cursor as feed_cursor


@pytest.fixture
def loaded(engine, tmp_path):
    county.load_county(engine, tmp_path)


@pytest.fixture
def banks(loaded, make_key):
    return {"CQRCB": bearer(make_key("bank", "CQRCB")), "CCB": bearer(make_key("bank", "CCB"))}


def test_pages_follow_the_feed_order_and_the_cursor_returns_exactly_what_is_new(client, engine, banks):
    first = publish(engine, "CQRCB", 5)
    publish(engine, "CCB", 2)
    page = client.get("/api/v1/whitelist", params={"limit": 2}, headers=banks["CQRCB"]).json()
    assert [e["id"] for e in page["items"]] == first[:2] and page["has_more"]
    assert [e["feed_position"] for e in page["items"]] == [1, 2]
    rest, cursor = pull_all(client, banks["CQRCB"], after=page["next_cursor"], limit=2)
    assert [e["id"] for e in rest] == first[2:]
    # Nothing new: an empty page that keeps the cursor.
    empty = client.get("/api/v1/whitelist", params={"after": cursor}, headers=banks["CQRCB"]).json()
    assert empty == {"items": [], "next_cursor": cursor, "has_more": False}
    later = publish(engine, "CQRCB", 3)
    new, _ = pull_all(client, banks["CQRCB"], after=cursor)
    assert [e["id"] for e in new] == later
    entry = new[0]
    assert entry["bank_code"] == "CQRCB" and entry["status"] == "published" and entry["outcome"] is None
    assert entry["content"]["enterprise"]["credit_code"] == entry["enterprise_credit_code"]
    assert entry["product_code"] == "IPLOAN" and entry["amount_fen"] > 0


def test_a_tampered_or_foreign_cursor_is_a_400(client, engine, banks, app):
    publish(engine, "CQRCB", 2)
    publish(engine, "CCB", 1)
    cursor = client.get("/api/v1/whitelist", params={"limit": 1}, headers=banks["CQRCB"]).json()["next_cursor"]
    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    for bad in [tampered, "garbage", "x" * 500, cursor + "A"]:
        response = client.get("/api/v1/whitelist", params={"after": bad}, headers=banks["CQRCB"])
        assert response.status_code == 400, bad
        assert response.json()["code"] in ("invalid_cursor", "invalid_request")
    # Signed with another secret: refused too.
    forged = feed_cursor.encode(feed_cursor.Cursor(1, 0), "another secret")
    assert client.get("/api/v1/whitelist", params={"after": forged}, headers=banks["CQRCB"]).status_code == 400
    # A valid cursor of another bank's feed does not open that feed.
    ccb_cursor = client.get("/api/v1/whitelist", headers=banks["CCB"]).json()["next_cursor"]
    response = client.get("/api/v1/whitelist", params={"after": ccb_cursor}, headers=banks["CQRCB"])
    assert response.status_code == 400 and response.json()["code"] == "invalid_cursor"


def test_staff_see_every_bank_with_filters_and_a_bank_only_its_own(client, engine, banks, reviewer_headers):
    cq = publish(engine, "CQRCB", 3)
    ccb = publish(engine, "CCB", 2)
    everything, _ = pull_all(client, reviewer_headers, limit=2)
    assert sorted(e["id"] for e in everything) == sorted(cq + ccb)
    only_ccb, _ = pull_all(client, reviewer_headers, bank="ccb")
    assert [e["id"] for e in only_ccb] == ccb
    assert [e["id"] for e in pull_all(client, banks["CCB"])[0]] == ccb
    assert client.get("/api/v1/whitelist").status_code == 401


def test_expiry_is_evaluated_on_read_and_closes_the_entry(client, engine, banks, reviewer_headers):
    stale, fresh = publish(engine, "CQRCB", 2)
    with transaction(engine) as session:
        session.execute(
            update(WhitelistEntry).where(WhitelistEntry.id == stale).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    detail = client.get(f"/api/v1/whitelist/{stale}", headers=banks["CQRCB"]).json()
    assert detail["status"] == "expired"
    expired, _ = pull_all(client, banks["CQRCB"], status="expired")
    assert [e["id"] for e in expired] == [stale]
    assert [e["id"] for e in pull_all(client, banks["CQRCB"], status="published")[0]] == [fresh]
    ack = client.post(f"/api/v1/whitelist/{stale}/ack", headers=banks["CQRCB"])
    assert ack.status_code == 409 and ack.json()["code"] == "entry_expired"
    outcome = client.post(
        f"/api/v1/whitelist/{stale}/outcome",
        json={"outcome": "declined", "reason_code": "credit_risk"},
        headers=banks["CQRCB"] | {"Idempotency-Key": "late"},
    )
    assert outcome.status_code == 409 and outcome.json()["code"] == "entry_expired"
    pipeline = {
        r["bank_code"]: r for r in client.get("/api/v1/whitelist/pipeline", headers=reviewer_headers).json()["items"]
    }
    assert pipeline["CQRCB"]["expired"] == 1 and pipeline["CQRCB"]["open"] == 1


def test_entry_lifetime_comes_from_settings(engine, banks, monkeypatch):
    monkeypatch.setenv("IPFIN_ENTRY_LIFETIME_DAYS", "3")
    (entry_id,) = publish(engine, "CCB")
    with transaction(engine) as session:
        entry = session.get(WhitelistEntry, entry_id)
        assert entry.expires_at - entry.published_at == timedelta(days=3)


def test_acknowledge_once_then_again_is_a_no_op_and_the_pipeline_counts_each_stage(
    client, engine, banks, reviewer_headers
):
    a, b, c = publish(engine, "CQRCB", 3)
    before = {
        r["bank_code"]: r for r in client.get("/api/v1/whitelist/pipeline", headers=reviewer_headers).json()["items"]
    }
    assert before["CQRCB"]["approved"] == 3 and before["CQRCB"]["pushed"] == 0
    # Staff reading the feed is not delivery to the bank.
    pull_all(client, reviewer_headers)
    client.get("/api/v1/whitelist", params={"limit": 2}, headers=banks["CQRCB"])  # pulls a and b
    first = client.post(f"/api/v1/whitelist/{a}/ack", headers=banks["CQRCB"])
    assert first.status_code == 200 and first.json()["status"] == "acknowledged"
    again = client.post(f"/api/v1/whitelist/{a}/ack", headers=banks["CQRCB"])
    assert again.status_code == 200 and again.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    declined = client.post(
        f"/api/v1/whitelist/{b}/outcome",
        json={"outcome": "declined", "reason_code": "other", "reason": "企业暂无融资需求"},
        headers=banks["CQRCB"] | {"Idempotency-Key": "k-b"},
    )
    assert declined.status_code == 201, declined.text
    assert client.post(f"/api/v1/whitelist/{b}/ack", headers=banks["CQRCB"]).status_code == 409
    row = {
        r["bank_code"]: r for r in client.get("/api/v1/whitelist/pipeline", headers=reviewer_headers).json()["items"]
    }
    assert row["CQRCB"] == {
        "bank_code": "CQRCB",
        "proposed": 0,
        "approved": 3,
        "pushed": 2,
        "acknowledged": 1,
        "granted": 0,
        "declined": 1,
        "expired": 0,
        "open": 2,
        "granted_amount_fen": 0,
    }
    # By industry cluster: the same stages, every entry counted once under its enterprise's cluster.
    clusters = client.get("/api/v1/whitelist/pipeline/clusters", headers=reviewer_headers).json()["items"]
    assert [c["cluster"] for c in clusters] == [c.value for c in Cluster]
    with transaction(engine) as session:
        held = set(
            session.scalars(
                select(Enterprise.industry_cluster).join(WhitelistEntry, WhitelistEntry.enterprise_id == Enterprise.id)
            )
        )
    for stage in ("proposed", "approved", "pushed", "acknowledged", "declined", "open"):
        assert sum(c[stage] for c in clusters) == row["CQRCB"][stage], stage  # only CQRCB has entries
    assert {c["cluster"] for c in clusters if c["approved"]} == held
    assert client.get("/api/v1/whitelist/pipeline/clusters", headers=banks["CQRCB"]).status_code == 403
    assert client.get("/api/v1/whitelist/pipeline", headers=banks["CQRCB"]).status_code == 403
    staff_ack = client.post(f"/api/v1/whitelist/{c}/ack", headers=reviewer_headers)
    assert staff_ack.status_code == 403


def test_bad_ids_and_parameters_are_clear_4xx(client, banks):
    for path in ["/api/v1/whitelist/0", "/api/v1/whitelist/99999999999999999999", "/api/v1/whitelist/abc"]:
        assert client.get(path, headers=banks["CCB"]).status_code in (400, 404), path
    assert client.get("/api/v1/whitelist/2147483647", headers=banks["CCB"]).status_code == 404
    assert client.get("/api/v1/whitelist", params={"limit": 0}, headers=banks["CCB"]).status_code == 400
    assert client.get("/api/v1/whitelist", params={"status": "lost"}, headers=banks["CCB"]).status_code == 400


@pytest.mark.skipif(not os.environ.get("IPFIN_TEST_DATABASE_URL"), reason="concurrent publishers need PostgreSQL")
@pytest.mark.parametrize("path", ["approval", "publish_entry"])
def test_concurrent_publishers_never_make_the_reader_skip_or_repeat(client, engine, banks, path):
    """Publishers on their own connections publish while a reader pulls from its cursor; a slow
    publisher holds its feed position uncommitted for a while. The reader must see every entry
    exactly once, in feed-position order. `approval` goes through the reviewer's decision (which
    also serialises approvals with matching runs); `publish_entry` publishes directly, so only the
    feed's own position lock keeps the order (a variant that commits positions early fails here)."""
    publishers, per_publisher = 6, 8
    published: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def publisher(index: int) -> None:
        from bank_loop import propose

        from service.matching.service import decide
        from service.models import MatchProposal
        from service.models.enums import ProposalStatus
        from service.whitelist.entries import publish_entry

        try:
            for n in range(per_publisher):
                with transaction(engine) as session:
                    proposal_id = propose(session, "CQRCB")
                    if path == "approval":
                        _, entry = decide(session, proposal_id, ProposalStatus.approved, f"reviewer {index}", None)
                    else:
                        proposal = session.get(MatchProposal, proposal_id)
                        proposal.status = ProposalStatus.approved
                        entry = publish_entry(session, proposal)
                    if (index + n) % 3 == 0:
                        time.sleep(0.3)  # commit late while holding the position
                    entry_id = entry.id
                with lock:
                    published.append(entry_id)
        except BaseException as exc:
            errors.append(exc)

    seen: list[dict] = []
    threads = [threading.Thread(target=publisher, args=(i,)) for i in range(publishers)]
    for thread in threads:
        thread.start()
    cursor = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        finished = all(not t.is_alive() for t in threads)
        items, cursor = pull_all(client, banks["CQRCB"], after=cursor, limit=3)
        seen += items
        if finished:
            items, cursor = pull_all(client, banks["CQRCB"], after=cursor, limit=3)
            seen += items
            break
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    ids = [e["id"] for e in seen]
    assert len(published) == publishers * per_publisher
    assert sorted(ids) == sorted(published), "every published entry seen"
    assert len(ids) == len(set(ids)), "no entry seen twice"
    positions = [e["feed_position"] for e in seen]
    assert positions == sorted(positions) == list(range(1, len(published) + 1))


def test_openapi_documents_the_bank_loop_with_its_errors_and_examples(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    feed = paths["/api/v1/whitelist"]["get"]
    assert {"400", "401", "404"} <= set(feed["responses"])
    assert "invalid_cursor" in str(feed["responses"]["400"])
    outcome = paths["/api/v1/whitelist/{entry_id}/outcome"]["post"]
    assert {"201", "400", "401", "403", "404", "409", "422"} <= set(outcome["responses"])
    assert "idempotency_key_reused" in str(outcome["responses"]["422"])
    assert "outcome_exists" in str(outcome["responses"]["409"])
    assert [p["name"] for p in outcome["parameters"] if p["in"] == "header"] == ["Idempotency-Key"]
    examples = outcome["requestBody"]["content"]["application/json"]["schema"]["examples"]
    assert {e["outcome"] for e in examples} == {"granted", "declined"}
    for path in [
        "/api/v1/whitelist/{entry_id}/ack",
        "/api/v1/whitelist/pipeline",
        "/api/v1/bank/products/{product_id}",
    ]:
        assert path in paths
