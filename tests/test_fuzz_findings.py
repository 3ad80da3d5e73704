"""What schemathesis found (tests/test_fuzz_api.py, scripts/fuzz), each kept as a regression test."""

from __future__ import annotations


def _document(client) -> dict:
    return client.get("/schema/openapi.json").json()


def test_health_declares_the_401_of_a_wrong_key_and_its_own_503(client):
    # ST103 undocumented status code: /health answered 401 to a wrong key but documented only 200.
    assert client.get("/health", headers={"Authorization": "Bearer ipf_x_y"}).status_code == 401
    responses = _document(client)["paths"]["/health"]["get"]["responses"]
    assert {"200", "401", "503"} <= set(responses)
    assert responses["503"]["content"]["application/json"]["schema"]["type"] == "object"
