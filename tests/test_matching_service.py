"""Matching in the service: a run on the demo county, eligibility per product, the review workflow
with its audit trail, and exactly one winner when two reviewers decide at once."""

from __future__ import annotations

import threading
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from service.db import transaction
from service.errors import ApiError
from service.matching.service import decide
from service.models import AuditEvent, CreditLoan, Enterprise, PledgeProduct, WhitelistEntry
from service.models.enums import ProposalStatus
from service.seed import load_demo

AS_OF = "2026-11-01"


@pytest.fixture
def demo(engine):
    load_demo(engine)


@pytest.fixture
def run(client, demo, reviewer_headers):
    response = client.post("/api/v1/matching/runs", json={"as_of": AS_OF}, headers=reviewer_headers)
    assert response.status_code == 201, response.text
    return response.json()


def proposals(client, headers, **params):
    return client.get("/api/v1/matching/proposals", params={"limit": 500, **params}, headers=headers).json()["items"]


def test_demo_run_proposes_for_credit_loan_holders_within_quotas(client, engine, run, reviewer_headers):
    assert run["solver_status"] == "optimal" and run["n_proposals"] > 0
    assert run["objective"] >= run["greedy_objective"] - 1e-9
    # Every enterprise considered either got a proposal or is listed with the reason it did not.
    unmatched = run["summary"]["unmatched"]
    assert run["n_proposals"] + len(unmatched) == run["n_enterprises"]
    assert all(u["reason"] in ("NO_ELIGIBLE_PRODUCT", "QUOTA_ALLOCATED_TO_OTHERS") and u["message"] for u in unmatched)
    items = proposals(client, reviewer_headers, run_id=run["id"])
    assert len(items) == run["n_proposals"]
    with transaction(engine) as session:
        holders = set(
            session.scalars(
                select(Enterprise.credit_code)
                .join(CreditLoan)
                .where(
                    CreditLoan.kind.in_(["knowledge_value", "commercial_value"]),
                    CreditLoan.start_date <= date.fromisoformat(AS_OF),
                    CreditLoan.maturity_date >= date.fromisoformat(AS_OF),
                )
            )
        )
        products = {p.id: p for p in session.scalars(select(PledgeProduct))}
    assert {p["enterprise_credit_code"] for p in items} <= holders
    assert len({p["enterprise_credit_code"] for p in items}) == len(items)  # one product per enterprise
    by_product: dict[str, list[int]] = {}
    for item in items:
        detail = client.get(f"/api/v1/matching/proposals/{item['id']}", headers=reviewer_headers).json()
        proposal = detail["explanation"]["proposal"]
        product = products[int(proposal["product_id"])]
        assert product.min_amount_fen <= item["amount_fen"] <= product.max_amount_fen
        assert proposal["patents"] and sum(p["allocated_fen"] for p in proposal["patents"]) == item["amount_fen"]
        assert proposal["capacity_fen"] >= item["amount_fen"]  # Σ pledge rate × P10 covers the amount
        by_product.setdefault(proposal["product_id"], []).append(item["amount_fen"])
    for product_id, amounts in by_product.items():  # no open entries yet: quotas are the products' own
        product = products[int(product_id)]
        assert product.quota_count is None or len(amounts) <= product.quota_count
        assert product.quota_amount_fen is None or sum(amounts) <= product.quota_amount_fen


def test_eligibility_names_every_failed_rule_in_chinese(client, demo, reviewer_headers):
    with_loans = client.get(
        "/api/v1/enterprises", params={"credit_loan_kind": "knowledge_value", "limit": 1}, headers=reviewer_headers
    ).json()
    code = with_loans["items"][0]["credit_code"]
    assert client.get(f"/api/v1/enterprises/{code}/eligibility").status_code == 401
    rows = client.get(
        f"/api/v1/enterprises/{code}/eligibility", params={"as_of": AS_OF}, headers=reviewer_headers
    ).json()["items"]
    assert len(rows) == 12
    for row in rows:
        assert row["eligible"] == (row["failures"] == [])
        assert all(f["code"] and any("\u4e00" <= ch <= "\u9fff" for ch in f["message"]) for f in row["failures"])


def test_review_approval_publishes_one_entry_and_is_audited(client, engine, run, reviewer_headers, admin_headers):
    first, second = proposals(client, reviewer_headers, status="proposed")[:2]
    url = f"/api/v1/matching/proposals/{first['id']}/decision"
    response = client.post(url, json={"decision": "rejected"}, headers=reviewer_headers)
    assert response.status_code == 422 and response.json()["code"] == "comment_required"
    assert client.post(url, json={"decision": "approved"}).status_code == 401

    approved = client.post(url, json={"decision": "approved", "comment": "材料齐全"}, headers=reviewer_headers)
    assert approved.status_code == 200 and approved.json()["whitelist_entry_id"]
    again = client.post(url, json={"decision": "approved"}, headers=admin_headers)
    assert again.status_code == 409 and again.json()["details"]["comment"] == "材料齐全"

    rejected = client.post(
        f"/api/v1/matching/proposals/{second['id']}/decision",
        json={"decision": "rejected", "comment": "抵押物价值不足"},
        headers=admin_headers,
    )
    assert rejected.status_code == 200 and rejected.json()["whitelist_entry_id"] is None

    with transaction(engine) as session:
        entries = session.scalars(select(WhitelistEntry)).all()
        assert len(entries) == 1 and entries[0].feed_position == 1
        content = entries[0].content
        assert content["enterprise"]["credit_code"] == first["enterprise_credit_code"]
        assert content["amount_fen"] == first["amount_fen"] and content["patents"]
        assert {"legal_status", "next_fee_due", "score", "grade", "value_p10_fen", "value_p90_fen"} <= set(
            content["patents"][0]
        )
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "match_proposal").order_by(AuditEvent.id)
        ).all()
        assert [(a.action, a.before["status"], a.after["status"], a.comment) for a in audit] == [
            ("proposal.approved", "proposed", "approved", "材料齐全"),
            ("proposal.rejected", "proposed", "rejected", "抵押物价值不足"),
        ]
    trail = client.get("/api/v1/audit-events", params={"entity_type": "match_proposal"}, headers=reviewer_headers)
    assert [(e["action"], e["entity_id"]) for e in trail.json()["items"]] == [
        ("proposal.rejected", str(second["id"])),
        ("proposal.approved", str(first["id"])),
    ]
    assert client.get("/api/v1/audit-events").status_code == 401
    detail = client.get(f"/api/v1/matching/proposals/{first['id']}", headers=reviewer_headers).json()
    assert detail["status"] == "approved" and detail["decision"]["reviewer"] == "test reviewer"


def test_a_new_run_supersedes_undecided_proposals(client, run, reviewer_headers):
    first = proposals(client, reviewer_headers, status="proposed")[0]
    client.post("/api/v1/matching/runs", json={"as_of": AS_OF}, headers=reviewer_headers)
    response = client.post(
        f"/api/v1/matching/proposals/{first['id']}/decision", json={"decision": "approved"}, headers=reviewer_headers
    )
    assert response.status_code == 409 and response.json()["code"] == "proposal_superseded"


def test_second_decider_waits_for_the_first_and_loses(engine, run, client, reviewer_headers):
    """Deterministic interleaving on real connections: A has changed the row but not committed
    when B starts; B must wait (row lock / SQLite write lock) and then see A's decision."""
    proposal_id = proposals(client, reviewer_headers, status="proposed")[0]["id"]
    outcome: dict[str, object] = {}
    session_a = Session(engine, expire_on_commit=False)
    decide(session_a, proposal_id, ProposalStatus.approved, "reviewer A", "first")

    def reviewer_b():
        try:
            with transaction(engine) as session_b:
                decide(session_b, proposal_id, ProposalStatus.rejected, "reviewer B", "second")
            outcome["b"] = "won"
        except ApiError as exc:
            outcome["b"] = (exc.status, exc.code, exc.details)

    thread = threading.Thread(target=reviewer_b)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive(), "B must wait while A holds the proposal"
    session_a.commit()
    session_a.close()
    thread.join(timeout=30)
    status, code, details = outcome["b"]
    assert (status, code) == (409, "already_decided") and details["reviewer"] == "reviewer A"
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(WhitelistEntry)) == 1


def test_concurrent_http_decisions_give_one_200_and_one_409(
    live_server, engine, run, client, reviewer_headers, admin_headers
):
    for proposal in proposals(client, reviewer_headers, status="proposed")[:3]:
        barrier = threading.Barrier(2)
        answers = []

        # Bound as defaults: each iteration's threads use that iteration's barrier, list and proposal.
        def post(headers, body, barrier=barrier, answers=answers, proposal=proposal):
            with httpx.Client(base_url=live_server, timeout=60) as http:
                barrier.wait()
                answers.append(
                    http.post(f"/api/v1/matching/proposals/{proposal['id']}/decision", json=body, headers=headers)
                )

        threads = [
            threading.Thread(target=post, args=(reviewer_headers, {"decision": "approved"})),
            threading.Thread(target=post, args=(admin_headers, {"decision": "rejected", "comment": "不同意"})),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(a.status_code for a in answers) == [200, 409]
        winner = next(a for a in answers if a.status_code == 200).json()
        loser = next(a for a in answers if a.status_code == 409).json()
        assert loser["details"]["decision"] == winner["decision"]
        assert loser["details"]["reviewer"] == winner["reviewer"]
    with transaction(engine) as session:
        approved = session.scalar(select(func.count()).select_from(WhitelistEntry))
        decided = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "match_proposal")
        )
    assert decided == 3 and approved <= 3
