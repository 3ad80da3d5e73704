"""Review memory: a rejected enterprise–product pair is not proposed again while its facts are
unchanged; once a fact changes it may be, carrying the earlier rejection and what changed; the
proposal list shows decision, backing patents and whitelist entry as the detail view does."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import update

from service.db import transaction
from service.models import PledgeProduct
from service.seed import load_demo

AS_OF = "2026-11-01"


@pytest.fixture
def demo(engine):
    load_demo(engine)


def run(client, headers) -> dict:
    response = client.post(
        "/api/v1/matching/runs", json={"as_of": AS_OF, "population": "all_enterprises"}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def proposals(client, headers, run_id) -> list[dict]:
    page = client.get("/api/v1/matching/proposals", params={"run_id": run_id, "limit": 500}, headers=headers)
    return page.json()["items"]


def pair(p: dict) -> tuple[str, str, str]:
    return p["enterprise_credit_code"], p["bank_code"], p["product_code"]


def test_a_rejection_stands_until_a_fact_changes(client, engine, demo, reviewer_headers):
    first = run(client, reviewer_headers)
    rejected = proposals(client, reviewer_headers, first["id"])[0]
    decision = client.post(
        f"/api/v1/matching/proposals/{rejected['id']}/decision",
        json={"decision": "rejected", "comment": "企业经营异常，暂不推送"},
        headers=reviewer_headers,
    )
    assert decision.status_code == 200

    second = run(client, reviewer_headers)
    assert pair(rejected) not in {pair(p) for p in proposals(client, reviewer_headers, second["id"])}
    detail = client.get(f"/api/v1/matching/runs/{second['id']}", headers=reviewer_headers).json()
    remembered = detail["summary"]["not_proposed_again"]
    assert [r["enterprise"] for r in remembered] == [rejected["enterprise_credit_code"]]

    # The bank raises the product's pledge rate: the pair's facts changed, so it is judged afresh.
    product_id = int(remembered[0]["product_id"])
    with transaction(engine) as session:
        product = session.get(PledgeProduct, product_id)
        new_rate = min(product.pledge_rate + Decimal("0.05"), Decimal("0.6"))
        session.execute(update(PledgeProduct).where(PledgeProduct.id == product_id).values(pledge_rate=new_rate))
    third = run(client, reviewer_headers)
    assert run_detail(client, reviewer_headers, third["id"])["summary"]["not_proposed_again"] == []
    again = [p for p in proposals(client, reviewer_headers, third["id"]) if pair(p) == pair(rejected)]
    assert len(again) == 1, "the same pair is the optimum again once it may be proposed"
    memory = again[0]["earlier_rejection"]
    assert memory["proposal_id"] == rejected["id"] and memory["comment"] == "企业经营异常，暂不推送"
    assert [c["fact"] for c in memory["changed"]] == ["product.pledge_rate"]
    assert memory["changed"][0]["after"] == pytest.approx(float(new_rate))


def run_detail(client, headers, run_id) -> dict:
    return client.get(f"/api/v1/matching/runs/{run_id}", headers=headers).json()


def test_the_list_shows_decision_backing_patents_and_entry(client, demo, reviewer_headers):
    created = run(client, reviewer_headers)
    first = proposals(client, reviewer_headers, created["id"])[0]
    approved = client.post(
        f"/api/v1/matching/proposals/{first['id']}/decision", json={"decision": "approved"}, headers=reviewer_headers
    ).json()
    listed = next(p for p in proposals(client, reviewer_headers, created["id"]) if p["id"] == first["id"])
    detail = client.get(f"/api/v1/matching/proposals/{first['id']}", headers=reviewer_headers).json()
    assert listed["whitelist_entry_id"] == detail["whitelist_entry_id"] == approved["whitelist_entry_id"]
    assert listed["decision"] == detail["decision"] and listed["decision"]["decision"] == "approved"
    assert listed["patents"] == detail["patents"] and listed["patents"]
    numbers = [p["application_no"] for p in detail["explanation"]["proposal"]["patents"]]
    assert [p["application_no"] for p in listed["patents"]] == numbers
    assert listed["explanation"] is None  # the full explanation stays in the detail view
