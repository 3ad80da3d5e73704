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


def test_target_export_documents_csv_and_xlsx_and_its_422(client, admin_headers):
    # ST105 undocumented content type: GET /targets/{id}/export answered text/csv, documented JSON;
    # its 422 (registrations of a target that is not a pledge target) was not declared either.
    operation = _document(client)["paths"]["/api/v1/targets/{target_id}/export"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    target = {
        "code": "hv",
        "name": "高价值发明专利",
        "metric": "high_value_patents",
        "figure": 10,
        "window_start": "2024-01-01",
        "deadline": "2026-12-31",
    }
    created = client.post("/api/v1/targets", json=target, headers=admin_headers)
    assert created.status_code == 201, created.text
    url = f"/api/v1/targets/{created.json()['id']}/export"
    refused = client.get(url, params={"what": "registrations"}, headers=admin_headers)
    assert refused.status_code == 422 and "422" in operation["responses"]
    assert client.get(url, headers=admin_headers).headers["content-type"].startswith("text/csv")


def test_every_operation_declares_the_errors_any_request_can_meet(client):
    # Any caller may present a wrong key (401) or meet a database that does not answer (503);
    # every API call may be rate limited (429); a path naming a resource may name none (404);
    # a body may be too large (413, Litestar's limit: declared nowhere before) or refused (422).
    missing = {}
    for path, methods in _document(client)["paths"].items():
        for method, operation in methods.items():
            expected = {"401", "503"}
            if path.startswith("/api/"):
                expected |= {"400", "429"}
            if "{" in path:
                expected.add("404")
            if "requestBody" in operation:
                expected |= {"413", "422"}
            if undeclared := expected - set(operation["responses"]):
                missing[f"{method.upper()} {path}"] = sorted(undeclared)
    assert missing == {}


def test_a_body_over_the_size_limit_is_the_declared_413(client):
    body = b"[" + b"1," * 5_000_001 + b"1]"  # just over Litestar's 10 MB default
    response = client.post("/api/v1/valuations/estimate", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
