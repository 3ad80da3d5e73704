"""Outcome reports: a granted outcome is checked as CNIPA would and registers the pledge in the same
transaction, moving the pledge target by exactly its amount; a declined one needs a listed reason;
Idempotency-Key replays, refuses a reused key with another body, and concurrent duplicates make
exactly one registration."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
import small_county as county
from bank_loop import bearer, publish
from sqlalchemy import func, select

from service.db import transaction
from service.models import AuditEvent, IdempotencyKey, PledgedPatent, PledgeRegistration, Target, WhitelistOutcome
from service.models.types import utctoday
from service.valuations.service import run_portfolio_valuation, start_run

TODAY = utctoday()
AMOUNT = 100_000_000  # ¥1,000,000 in fen; IPLOAN lends ¥300,000–5,000,000


@pytest.fixture
def world(engine, tmp_path, make_key):
    return make_world(engine, tmp_path, make_key)


def make_world(engine, tmp_path, make_key) -> dict:
    """The small county valued today, a pledge target whose window holds today, and one entry of
    CQRCB's IPLOAN for E2 (owner of P2, pledge-eligible) of AMOUNT."""
    county.load_county(engine, tmp_path)
    with transaction(engine) as session:
        run_id = start_run(session, TODAY, "test").id
        session.add(
            Target(
                code="pledge",
                name="质押融资",
                metric="pledge_amount",
                figure=10_000_000_00,
                window_start=TODAY - timedelta(days=30),
                deadline=TODAY + timedelta(days=365),
            )
        )
    run_portfolio_valuation(engine, run_id)
    (entry,) = publish(engine, "CQRCB", enterprise_code=county.E2, amount_fen=AMOUNT)
    with transaction(engine) as session:
        target_id = session.scalar(select(Target.id).where(Target.code == "pledge"))
    return {
        "entry": entry,
        "target": target_id,
        "CQRCB": bearer(make_key("bank", "CQRCB")),
        "CCB": bearer(make_key("bank", "CCB")),
        "staff": bearer(make_key("reviewer")),  # target amounts are staff-only
    }


def granted(**overrides):
    body = {
        "outcome": "granted",
        "amount_fen": AMOUNT,
        "registration_no": "Y2026500000789",
        "registration_date": TODAY.isoformat(),
        "loan_start": TODAY.isoformat(),
        "loan_end": (TODAY + timedelta(days=365)).isoformat(),
        "patents": [county.P2],
    }
    return body | overrides


def post_outcome(client, world, body, key="key-1", bank="CQRCB", entry=None):
    return client.post(
        f"/api/v1/whitelist/{entry or world['entry']}/outcome",
        json=body,
        headers=world[bank] | ({"Idempotency-Key": key} if key else {}),
    )


def achieved(client, world) -> int:
    body = client.get(
        f"/api/v1/targets/{world['target']}/progress", params={"as_of": TODAY.isoformat()}, headers=world["staff"]
    ).json()
    return body["achieved"]


def count(engine, model) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_granted_registers_the_pledge_and_moves_the_target_by_exactly_its_amount(client, engine, world):
    before = achieved(client, world)
    response = post_outcome(client, world, granted())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["entry"]["status"] == "granted" and body["entry"]["outcome"]["amount_fen"] == AMOUNT
    registration = body["registration"]
    assert registration["registration_no"] == "Y2026500000789" and registration["patents"] == [county.P2]
    assert registration["ip_type"] == "patent" and registration["amount_fen"] == AMOUNT
    assert achieved(client, world) == before + AMOUNT
    with transaction(engine) as session:
        row = session.scalars(select(PledgeRegistration).where(PledgeRegistration.registration_no == "Y2026500000789"))
        row = row.one()
        assert row.whitelist_entry_id == world["entry"] and row.bank_id and row.released_date is None
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "whitelist_entry")).all()
        assert actions == ["whitelist.granted"]
    # A second outcome for the same entry, with a new key, is refused.
    again = post_outcome(client, world, {"outcome": "declined", "reason_code": "credit_risk"}, key="key-2")
    assert again.status_code == 409 and again.json()["code"] == "outcome_exists"


def test_a_retry_with_the_same_key_replays_and_counts_once(client, engine, world):
    first = post_outcome(client, world, granted())
    replay = post_outcome(client, world, granted())
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json() and replay.headers.get("idempotent-replayed") == "true"
    assert count(engine, PledgeRegistration) == 2 + 1  # the county's two, and this one
    other_body = post_outcome(client, world, granted(amount_fen=AMOUNT + 100))
    assert other_body.status_code == 422 and other_body.json()["code"] == "idempotency_key_reused"
    # Keys are per bank: the same key from another bank is that bank's own (and its entry is not found).
    foreign = post_outcome(client, world, granted(), bank="CCB")
    assert foreign.status_code == 404
    missing = post_outcome(client, world, granted(), key=None)
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_required"
    assert achieved(client, world) == AMOUNT  # the window opened 30 days ago: this registration only


def test_every_refusal_reason_is_named_and_nothing_is_written(client, engine, world):
    registrations, outcomes = count(engine, PledgeRegistration), count(engine, WhitelistOutcome)
    body = granted(
        amount_fen=600_000_000,  # above ¥5,000,000
        registration_no="Y2025500000456",  # the county's own
        loan_end=(TODAY + timedelta(days=365 * 13)).isoformat(),  # after P2 expires in 2038
        patents=[county.P1, county.P2, county.P3, "201710601862.3", "201710601862.4"],
    )
    response = post_outcome(client, world, body)
    assert response.status_code == 422 and response.json()["code"] == "outcome_invalid"
    codes = {(p["field"], p["code"]) for p in response.json()["details"]}
    assert codes == {
        ("amount_fen", "amount_out_of_range"),
        ("registration_no", "registration_no_taken"),
        ("loan_end", "loan_outlives_patent"),
        ("patents", "already_pledged"),  # P1, in the county's active 2025 pledge
        ("patents", "ip_not_owned"),  # P3 belongs to E3
        ("patents", "patent_not_eligible"),  # P3: remaining term too short
        ("patents", "unknown_patent"),
        ("patents", "invalid_number"),  # wrong check character
    }
    assert (count(engine, PledgeRegistration), count(engine, WhitelistOutcome)) == (registrations, outcomes)
    assert count(engine, IdempotencyKey) == 0  # a refused report keeps no key: a corrected retry may reuse it
    entry = client.get(f"/api/v1/whitelist/{world['entry']}", headers=world["CQRCB"]).json()
    assert entry["status"] == "published"
    fixed = post_outcome(client, world, granted())
    assert fixed.status_code == 201, fixed.text


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "granted", "amount_fen": AMOUNT},  # missing fields
        {"outcome": "granted", "amount_fen": -5, "registration_no": "Y1", "registration_date": "2026-01-01"},
        {"outcome": "granted", "amount_fen": 10**30},
        {"outcome": "lent"},
        {"outcome": "declined", "reason_code": "bored"},
        {"outcome": "declined", "reason_code": "credit_risk", "extra": 1},
        ["not", "an", "object"],
    ],
)
def test_malformed_reports_are_400_and_write_nothing(client, engine, world, body):
    response = post_outcome(client, world, body)
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"
    assert count(engine, WhitelistOutcome) == 0


def test_declined_needs_a_listed_reason_and_text_for_other(client, engine, world):
    response = post_outcome(client, world, {"outcome": "declined", "reason_code": "other"})
    assert response.status_code == 422 and response.json()["code"] == "reason_required"
    ok = post_outcome(
        client, world, {"outcome": "declined", "reason_code": "insufficient_collateral", "reason": "估值不足"}, key="k2"
    )
    assert ok.status_code == 201 and ok.json()["registration"] is None
    outcome = ok.json()["entry"]["outcome"]
    assert (outcome["outcome"], outcome["reason_code"], outcome["reason"]) == (
        "declined",
        "insufficient_collateral",
        "估值不足",
    )
    assert achieved(client, world) == 0


def _concurrently(live_server, requests: list[tuple[dict, dict]], url: str) -> list[httpx.Response]:
    barrier = threading.Barrier(len(requests))
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def send(headers, body):
        with httpx.Client(base_url=live_server, timeout=60) as http:
            barrier.wait()
            response = http.post(url, json=body, headers=headers)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return answers


def test_concurrent_duplicates_make_exactly_one_registration(live_server, engine, world, client):
    url = f"/api/v1/whitelist/{world['entry']}/outcome"
    headers = world["CQRCB"] | {"Idempotency-Key": "same-key"}
    answers = _concurrently(live_server, [(headers, granted())] * 8, url)
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1  # every duplicate got the first answer
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 7
    with transaction(engine) as session:
        mine = session.scalars(
            select(PledgeRegistration).where(PledgeRegistration.whitelist_entry_id == world["entry"])
        ).all()
        assert len(mine) == 1
        assert (
            session.scalar(
                select(func.count()).select_from(PledgedPatent).where(PledgedPatent.registration_id == mine[0].id)
            )
            == 1
        )
    assert achieved(client, world) == AMOUNT


def test_concurrent_reports_with_different_keys_give_one_outcome(live_server, engine, world, client):
    url = f"/api/v1/whitelist/{world['entry']}/outcome"
    requests = [
        (world["CQRCB"] | {"Idempotency-Key": f"key-{n}"}, granted(registration_no=f"Y20265000007{n:02d}"))
        for n in range(6)
    ]
    answers = _concurrently(live_server, requests, url)
    assert sorted(a.status_code for a in answers) == [201] + [409] * 5, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} <= {"outcome_exists", "conflict"}
    with transaction(engine) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(PledgeRegistration)
                .where(PledgeRegistration.whitelist_entry_id == world["entry"])
            )
            == 1
        )
