"""Isolation between banks, table-driven: for every ordered pair of demo banks and every bank
endpoint, a bank's key on the other bank's entry, product or registration is 404 (never 403,
never the data), and the feed lists only the bank's own entries."""

from __future__ import annotations

import itertools

import pytest
from bank_loop import bearer, publish, pull_all
from sqlalchemy import select

from service.db import transaction
from service.models import Bank, PledgeProduct, PledgeRegistration
from service.seed import load_demo


@pytest.fixture
def demo(engine):
    loaded = load_demo(engine)
    with transaction(engine) as session:
        codes = session.scalars(select(Bank.code).order_by(Bank.code)).all()
        products = {
            code: session.scalars(
                select(PledgeProduct.id).join(Bank).where(Bank.code == code).order_by(PledgeProduct.id)
            ).first()
            for code in codes
        }
        registrations = {
            code: session.scalars(
                select(PledgeRegistration.registration_no).join(Bank).where(Bank.code == code)
            ).first()
            for code in codes
        }
    entries = {code: publish(engine, code, 2) for code in codes}
    return {
        "codes": codes,
        "entries": entries,
        "products": products,
        "registrations": registrations,
        "keys": {code: bearer(loaded.bank_keys[code]) for code in codes},
    }


# Every endpoint that names a bank's resource: (method, path template, body, extra headers).
ENDPOINTS = [
    ("GET", "/api/v1/whitelist/{entry}", None, {}),
    ("POST", "/api/v1/whitelist/{entry}/ack", None, {}),
    (
        "POST",
        "/api/v1/whitelist/{entry}/outcome",
        {"outcome": "declined", "reason_code": "credit_risk"},
        {"Idempotency-Key": "isolation"},
    ),
    ("GET", "/api/v1/bank/products/{product}", None, {}),
    ("PATCH", "/api/v1/bank/products/{product}", {"active": False}, {}),
    ("GET", "/api/v1/bank/registrations/{registration}", None, {}),
]


def test_every_bank_endpoint_hides_every_other_banks_resources(client, demo):
    codes = demo["codes"]
    assert len(codes) >= 6
    checked = 0
    for caller, owner in itertools.permutations(codes, 2):
        for method, template, body, headers in ENDPOINTS:
            if "{registration}" in template and demo["registrations"][owner] is None:
                continue
            path = template.format(
                entry=demo["entries"][owner][0],
                product=demo["products"][owner],
                registration=demo["registrations"][owner],
            )
            response = client.request(method, path, json=body, headers=demo["keys"][caller] | headers)
            assert response.status_code == 404, (caller, owner, method, path, response.text)
            assert response.json()["code"] == "not_found"
            checked += 1
    assert checked >= len(codes) * (len(codes) - 1) * 5
    # Nothing was changed by any of those attempts: each owner still sees its entries open, its products active.
    for code in codes:
        for entry_id in demo["entries"][code]:
            entry = client.get(f"/api/v1/whitelist/{entry_id}", headers=demo["keys"][code]).json()
            assert entry["status"] == "published" and entry["outcome"] is None
        product = client.get(f"/api/v1/bank/products/{demo['products'][code]}", headers=demo["keys"][code])
        assert product.status_code == 200 and product.json()["active"] is True


def test_each_bank_pulls_only_its_own_entries_and_lists_only_its_own_resources(client, demo):
    for code in demo["codes"]:
        items, _ = pull_all(client, demo["keys"][code], limit=1)
        assert [e["id"] for e in items] == demo["entries"][code]
        assert {e["bank_code"] for e in items} == {code}
        # Asking for another bank's entries by filter gives nothing, not their entries.
        other = next(c for c in demo["codes"] if c != code)
        assert pull_all(client, demo["keys"][code], bank=other)[0] == []
        products = client.get("/api/v1/bank/products", headers=demo["keys"][code]).json()["items"]
        assert products and {p["bank_code"] for p in products} == {code}
        registrations = client.get("/api/v1/bank/registrations", params={"limit": 500}, headers=demo["keys"][code])
        numbers = {r["registration_no"] for r in registrations.json()["items"]}
        with transaction(client.app.state.engine) as session:
            expected = set(
                session.scalars(select(PledgeRegistration.registration_no).join(Bank).where(Bank.code == code))
            )
        assert numbers == expected


def test_own_product_updates_are_checked_and_audited(client, demo, reviewer_headers):
    code = demo["codes"][0]
    key, product_id = demo["keys"][code], demo["products"][code]
    url = f"/api/v1/bank/products/{product_id}"
    current = client.get(url, headers=key).json()
    changed = client.patch(
        url,
        json={"pledge_rate": "0.35", "max_amount_fen": current["max_amount_fen"] + 100, "quota_count": None},
        headers=key,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert float(body["pledge_rate"]) == 0.35 and body["quota_count"] is None
    assert body["max_amount_fen"] == current["max_amount_fen"] + 100
    bad = client.patch(url, json={"min_amount_fen": body["max_amount_fen"] + 1}, headers=key)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_product"
    assert client.get(url, headers=key).json()["min_amount_fen"] == current["min_amount_fen"]
    for invalid in [{"term_min_months": 0}, {"bank_id": 2}, {"id": 1}, {"pledge_rate": "abc"}]:
        assert client.patch(url, json=invalid, headers=key).status_code == 400, invalid
    for refused in [{"pledge_rate": "1.5"}, {"pledge_rate": "1e400000"}, {"interest_rate_max": "-1"}]:
        response = client.patch(url, json=refused, headers=key)
        assert response.status_code == 422 and response.json()["code"] == "invalid_product", refused
    assert client.patch(url, json={}, headers=key).status_code == 422
    assert client.patch(url, json={"active": False}, headers=reviewer_headers).status_code == 403
    trail = client.get(
        "/api/v1/audit-events", params={"entity_type": "pledge_product"}, headers=reviewer_headers
    ).json()
    assert [(e["action"], e["entity_id"]) for e in trail["items"]] == [("product.update", str(product_id))]
