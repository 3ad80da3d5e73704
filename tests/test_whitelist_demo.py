"""The demo county's whitelist walks the loop through every state, and each demo bank's real key
opens its own feed (./scripts/run prints them)."""

from __future__ import annotations

from collections import Counter

from bank_loop import bearer, pull_all

from service.seed import load_demo


def test_demo_whitelist_has_every_state_and_working_bank_keys(client, engine, reviewer_headers):
    loaded = load_demo(engine, with_whitelist=True)
    assert loaded.summary[-1].startswith("whitelist: ")
    keys = loaded.bank_keys
    # The funnel narrows: the demo's banks pulled their feed before acting on an entry.
    funnel = client.get("/api/v1/whitelist/pipeline", headers=reviewer_headers).json()["items"]
    assert all(row["approved"] >= row["pushed"] >= row["acknowledged"] for row in funnel), funnel
    assert sum(row["pushed"] for row in funnel) >= 3  # acknowledged, declined, granted
    assert len(keys) >= 6 and len(set(keys.values())) == len(keys)
    states: Counter[str] = Counter()
    for code, key in keys.items():
        items, _ = pull_all(client, bearer(key))
        assert {e["bank_code"] for e in items} <= {code}
        states.update(e["status"] for e in items)
    assert set(states) == {"published", "acknowledged", "granted", "declined", "expired"}
    proposals = client.get("/api/v1/matching/proposals", params={"status": "rejected"}, headers=reviewer_headers).json()
    assert proposals["total"] == 1
    pipeline = client.get("/api/v1/whitelist/pipeline", headers=reviewer_headers).json()["items"]
    granted = sum(row["granted_amount_fen"] for row in pipeline)
    registrations = client.get("/api/v1/pledges", params={"limit": 500}, headers=reviewer_headers).json()["items"]
    from_outcomes = [r for r in registrations if r["registration_no"].startswith("Y2026500009")]
    assert len(from_outcomes) == 1 and from_outcomes[0]["amount_fen"] == granted > 0
