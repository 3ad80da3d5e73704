"""A presented key must be valid everywhere: a wrong or revoked key is 401 on public endpoints too
(it used to pass as "no key"), and no key at all still reads public data."""

from __future__ import annotations

import pytest

from service.auth.keys import revoke
from service.db import transaction

PUBLIC = ["/health", "/api/v1/banks", "/api/v1/products", "/api/v1/enterprises", "/api/v1/targets"]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_reads_answer_without_a_key_and_refuse_a_wrong_one(client, path):
    assert client.get(path).status_code == 200
    for header in ["Bearer ipf_nope_nope", "Bearer not-even-a-key", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000]:
        response = client.get(path, headers={"Authorization": header})
        assert response.status_code == 401, (path, header)
        assert response.json()["code"] == "invalid_api_key"


def test_a_revoked_key_is_refused_on_public_and_staff_endpoints(client, reviewer_key):
    headers = {"Authorization": f"Bearer {reviewer_key}"}
    assert client.get("/api/v1/banks", headers=headers).status_code == 200
    assert client.get("/api/v1/audit-events", headers=headers).status_code == 200
    with transaction(client.app.state.engine) as session:
        assert revoke(session, reviewer_key.split("_")[1])
    for path in ["/api/v1/banks", "/api/v1/audit-events", "/health"]:
        response = client.get(path, headers=headers)
        assert response.status_code == 401 and response.json()["code"] == "invalid_api_key", path


def test_a_valid_key_with_a_wrong_secret_is_refused(client, reviewer_key):
    prefix = reviewer_key.split("_")[1]
    response = client.get("/api/v1/banks", headers={"Authorization": f"Bearer ipf_{prefix}_wrong-secret"})
    assert response.status_code == 401


def test_a_bank_key_carries_its_bank(engine, make_key, tmp_path):
    import small_county as county

    from service.auth.keys import authenticate

    county.load_county(engine, tmp_path)
    key = make_key("bank", "CCB")
    with transaction(engine) as session:
        principal = authenticate(session, key)
        from sqlalchemy import select

        from service.models import Bank

        ccb = session.scalars(select(Bank).where(Bank.code == "CCB")).one()
    assert principal.role == "bank" and principal.bank_id == ccb.id
