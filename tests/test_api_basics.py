"""HTTP basics: health, list/detail with filters and pagination, one JSON error body, OpenAPI, auth."""

from __future__ import annotations

import pytest
import small_county as county
from sqlalchemy import create_engine, func, select
from sqlmodel import Session


@pytest.fixture
def loaded(engine, tmp_path):
    county.load_county(engine, tmp_path)


def test_health_answers_200_with_the_database_and_503_without(client, app, engine):
    assert client.get("/health").json()["status"] == "ok"
    app.state.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        response = client.get("/health")
    finally:
        app.state.engine = engine
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


def test_enterprise_list_filters_and_pages(client, loaded, reviewer_headers):
    page = client.get("/api/v1/enterprises", params={"limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    rest = client.get("/api/v1/enterprises", params={"limit": 2, "offset": 2}).json()["items"]
    codes = [e["credit_code"] for e in page["items"] + rest]
    assert sorted(codes) == codes == sorted([county.E1, county.E2, county.E3])
    only = client.get("/api/v1/enterprises", params={"cluster": "equipment_manufacturing"}).json()
    assert [e["credit_code"] for e in only["items"]] == [county.E2]
    certified = client.get("/api/v1/enterprises", params={"certification": "ip_standard"}).json()
    assert {e["credit_code"] for e in certified["items"]} == {county.E2, county.E3}
    with_loans = client.get(
        "/api/v1/enterprises", params={"credit_loan_kind": "knowledge_value"}, headers=reviewer_headers
    ).json()
    assert [e["credit_code"] for e in with_loans["items"]] == [county.E2]
    assert client.get("/api/v1/enterprises", params={"q": "新能"}).json()["total"] == 1


def test_contacts_and_credit_loans_are_for_staff_only(client, loaded, reviewer_headers, make_key):
    public = client.get(f"/api/v1/enterprises/{county.E1}").json()
    assert public["contact_phone"] is None and public["certifications"]["high_tech"] == "2021-11-15"
    staff = client.get(f"/api/v1/enterprises/{county.E1}", headers=reviewer_headers).json()
    assert staff["contact_phone"] == "13800000001"
    assert client.get("/api/v1/credit-loans").status_code == 401
    bank_headers = {"Authorization": f"Bearer {make_key('bank', 'CCB')}"}
    assert client.get("/api/v1/credit-loans", headers=bank_headers).status_code == 403
    loans = client.get("/api/v1/credit-loans", params={"kind": "knowledge_value"}, headers=reviewer_headers).json()
    assert loans["total"] == 1 and loans["items"][0]["limit_fen"] == 400_000_000
    bad = client.get("/api/v1/credit-loans", headers={"Authorization": "Bearer ipf_nope_nope"})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_api_key"


def test_patents_products_banks(client, loaded, reviewer_headers):
    patents = client.get("/api/v1/patents", params={"owner": county.E2}).json()
    assert {p["application_no"] for p in patents["items"]} == {county.P1, county.P2}
    assert client.get("/api/v1/patents", params={"legal_status": "pending"}).json()["total"] == 1
    assert client.get("/api/v1/patents", params={"ipc": "h01"}).json()["total"] == 1  # H01M only
    assert client.get("/api/v1/patents", params={"ipc": "h0"}).json()["total"] == 2  # H01M, H02J
    undotted = "CN" + county.P1.replace(".", "")
    detail = client.get(f"/api/v1/patents/{undotted}", headers=reviewer_headers).json()
    assert detail["application_no"] == county.P1 and detail["annual_revenue_fen"] == 150_000_000
    products = client.get("/api/v1/products", params={"bank": "cqrcb"}).json()
    assert [p["code"] for p in products["items"]] == ["IPLOAN"]
    product = client.get(f"/api/v1/products/{products['items'][0]['id']}").json()
    assert product["pledge_rate"] == "0.3000" or float(product["pledge_rate"]) == 0.3
    assert client.get("/api/v1/banks/ccb").json()["name"] == "中国建设银行云阳支行"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/patents/201710601862.4", 400, "invalid_application_no"),
        ("/api/v1/patents/201710601862.3", 404, "not_found"),
        ("/api/v1/enterprises/91350100M000100Y44", 400, "invalid_credit_code"),
        ("/api/v1/banks/NOPE", 404, "not_found"),
        ("/api/v1/products/999999", 404, "not_found"),
        ("/api/v1/enterprises?limit=0", 400, "invalid_request"),
        ("/api/v1/enterprises?cluster=mining", 400, "invalid_request"),
        ("/no/such/path", 404, "not_found"),
    ],
)
def test_errors_are_one_json_shape(client, path, status, code):
    response = client.get(path)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["code"] == code and body["message"]
    chinese, _, english = body["message"].partition(" / ")  # 中文 / English
    assert any("\u4e00" <= c <= "\u9fff" for c in chinese) and english.isascii() and english, body["message"]


def test_openapi_document_lists_every_endpoint(client):
    document = client.get("/schema/openapi.json").json()
    for path in [
        "/health",
        "/api/v1/enterprises",
        "/api/v1/enterprises/{credit_code}",
        "/api/v1/patents",
        "/api/v1/patents/{application_no}",
        "/api/v1/banks",
        "/api/v1/products",
        "/api/v1/credit-loans",
        "/api/v1/admin/imports/{kind}",
    ]:
        assert path in document["paths"], path


def test_every_api_operation_declares_its_error_responses(client):
    document = client.get("/schema/openapi.json").json()
    for path, operations in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"400", "404"} <= declared, (method, path, declared)
            if method == "post":
                assert {"401", "403", "422"} <= declared, (method, path, declared)


def test_every_list_answers_the_page_envelope(client):
    """README: lists answer {items, total, limit, offset} (the bank feed, cursor-paged: {items,
    next_cursor, has_more}) — never a bare array."""
    document = client.get("/schema/openapi.json").json()
    schemas = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        if not path.startswith("/api/") or "get" not in operations:
            continue
        content = operations["get"]["responses"]["200"].get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        assert schema.get("type") != "array", f"GET {path} answers a bare array"
        name = schema.get("$ref", "").rsplit("/", 1)[-1]
        if name.startswith("Page"):
            assert {"items", "total", "limit", "offset"} <= set(schemas[name]["properties"]), path


def test_a_database_rule_violation_is_a_409_and_writes_nothing(client, engine, admin_headers, monkeypatch):
    """With the service's own duplicate check bypassed, the database's unique rule must object."""
    from service.models import AuditEvent, Target
    from service.targets import routes

    def create_without_checks(session, data):
        target = Target(
            code=data.code,
            name=data.name,
            metric=data.metric.value,
            figure=data.figure,
            window_start=data.window_start,
            deadline=data.deadline,
        )
        session.add(target)
        session.flush()
        return target

    monkeypatch.setattr(routes, "create_target", create_without_checks)
    body = {
        "code": "dup",
        "name": "目标",
        "metric": "pledge_amount",
        "figure": 100,
        "window_start": "2025-01-01",
        "deadline": "2025-12-31",
    }
    assert client.post("/api/v1/targets", json=body, headers=admin_headers).status_code == 201
    response = client.post("/api/v1/targets", json=body, headers=admin_headers)
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Target)) == 1
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1  # the first create only


def test_a_post_without_a_body_says_so(client, admin_headers):
    for path in ("/api/v1/valuations/estimate", "/api/v1/targets", "/api/v1/jobs/housekeeping/runs"):
        response = client.post(path, headers=admin_headers)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["code"] == "body_required" and "JSON body" in response.json()["message"], path
