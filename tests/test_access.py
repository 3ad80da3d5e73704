"""Who may read what (README "Who may read what"), table-driven: every public read endpoint × every
role; a presented key that is wrong or revoked is 401 on every route of the app; security headers
on every answer and `Cache-Control: no-store` on keyed ones; production refuses the default secret."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
import small_county as county
from sqlalchemy import select

from service.auth.keys import issue_key, revoke
from service.db import transaction
from service.models import Target

# The county's private figures, as they would appear in an answer (fen, digits only; phones as text).
REVENUE_P1 = 150_000_000  # P1's annual_revenue_yuan 1,500,000
NEED_E1 = 200_000_000  # E1's need_amount_yuan 2,000,000
LOANS = (120_000_000, 80_000_000)  # the two pledge registrations' amounts
PRIVATE_NUMBERS = (REVENUE_P1, NEED_E1, *LOANS)
PRIVATE_TEXT = ("13800000001", "13800000002", "023-55100001", "023-55100002", "王经理", "李经理")

ROLES = ("anonymous", "bank", "reviewer", "admin")
STAFF = {"reviewer", "admin"}


@pytest.fixture
def world(engine, tmp_path):
    county.load_county(engine, tmp_path)
    from service.valuations.service import run_portfolio_valuation, start_run

    with transaction(engine) as session:
        run_id = start_run(session, date(2025, 6, 30), "test").id
        session.add(
            Target(
                code="pledge",
                name="质押融资",
                metric="pledge_amount",
                figure=1_000_000_000,
                window_start=date(2023, 1, 1),
                deadline=date(2026, 12, 31),
            )
        )
        session.add(
            Target(
                code="standard",
                name="贯标企业",
                metric="ip_standard_enterprises",
                figure=5,
                window_start=date(2020, 1, 1),
                deadline=date(2026, 12, 31),
            )
        )
    run_portfolio_valuation(engine, run_id)
    with transaction(engine) as session:
        targets = dict(session.execute(select(Target.code, Target.id)).tuples().all())
        headers = {"anonymous": {}}
        for role in ROLES[1:]:
            from service.models import Bank

            bank = session.scalars(select(Bank).where(Bank.code == "CQRCB")).one() if role == "bank" else None
            key = issue_key(session, role=role, name=f"access {role}", bank=bank)
            headers[role] = {"Authorization": f"Bearer {key}"}
    return {"targets": targets, "headers": headers}


def _numbers(body: str) -> set[int]:
    return {int(n) for n in re.findall(r"(?<![\d.])\d{6,}(?![\d.])", body)}


# Public read endpoints: (path, what staff must see there that others must not; None: nothing).
PUBLIC_READS = [
    ("/api/v1/banks", "023-55100001"),
    ("/api/v1/banks/CQRCB", "王经理"),
    ("/api/v1/enterprises", NEED_E1),
    (f"/api/v1/enterprises/{county.E1}", "13800000001"),
    (f"/api/v1/enterprises/{county.E1}", NEED_E1),
    ("/api/v1/patents", REVENUE_P1),
    (f"/api/v1/patents/{county.P1}", REVENUE_P1),
    ("/api/v1/targets/{pledge}/progress?as_of=2025-06-30", LOANS[0]),
    ("/api/v1/targets/{pledge}/progress?as_of=2025-06-30", LOANS[1]),
    ("/api/v1/targets/{standard}/progress?as_of=2025-06-30", None),
    ("/api/v1/targets", None),
    ("/api/v1/products", None),
    (f"/api/v1/patents/{county.P1}/valuation", None),
    ("/api/v1/valuations/runs", None),
    ("/health", None),
]


@pytest.mark.parametrize("role", ROLES)
def test_public_reads_show_private_fields_to_staff_only(client, world, role):
    for path, private in PUBLIC_READS:
        response = client.get(path.format(**world["targets"]), headers=world["headers"][role])
        assert response.status_code == 200, (path, role, response.text)
        body = response.text
        if role in STAFF:
            if private is not None:
                assert (private in _numbers(body)) if isinstance(private, int) else (private in body), (path, role)
            continue
        leaked = _numbers(body) & set(PRIVATE_NUMBERS)
        assert not leaked, (path, role, leaked)
        assert not [text for text in PRIVATE_TEXT if text in body], (path, role)


@pytest.mark.parametrize("role", ROLES)
def test_amount_target_progress_for_non_staff_keeps_counts_and_probability(client, world, role):
    path = f"/api/v1/targets/{world['targets']['pledge']}/progress"
    body = client.get(path, params={"as_of": "2025-06-30"}, headers=world["headers"][role]).json()
    assert body["figure"] == 1_000_000_000 and 0 <= body["projection"]["probability"] <= 1
    counts = {row["month"]: row["count"] for row in body["monthly"]}
    assert counts["2023-06"] == 1 and counts["2025-03"] == 1 and sum(counts.values()) == 2
    assert {row["key"]: row["count"] for row in body["breakdowns"]["bank"]} == {"CQRCB": 2}
    if role in STAFF:
        assert body["achieved"] == sum(LOANS) and "withheld" not in body
        assert body["monthly"][5]["amount_fen"] == LOANS[0]
    else:
        assert body["achieved"] is None and body["share"] is None and body["run_rate"] is None
        assert body["registrations"] == 2 and "staff-only" in body["withheld"]
        assert all(set(row) == {"month", "count"} for row in body["monthly"])


@pytest.mark.parametrize("role", ROLES)
def test_who_holds_a_credit_loan_is_staff_only(client, world, role):
    response = client.get(
        "/api/v1/enterprises", params={"credit_loan_kind": "knowledge_value"}, headers=world["headers"][role]
    )
    if role in STAFF:
        assert response.status_code == 200 and [e["credit_code"] for e in response.json()["items"]] == [county.E2]
    else:
        assert response.status_code == 403 and response.json()["code"] == "forbidden"


# --- a presented key that is wrong or revoked is 401 on every route ------------------------------


def _every_route(app) -> list[tuple[str, str]]:
    """(method, concrete path) for every route the app serves, path parameters filled in."""
    fill = {"int": "1", "str": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000"}
    routes = []
    for route in app.routes:
        path = re.sub(r"\{(\w+):(\w+)\}", lambda m: fill.get(m.group(2), "x"), route.path)
        for method in sorted(getattr(route, "methods", ())):
            if method not in ("HEAD", "OPTIONS"):
                routes.append((method, path))
    return routes


def test_every_route_is_listed(app):
    routes = _every_route(app)
    paths = {path for _, path in routes}
    # The walk finds the public, staff, bank and admin routes and the docs (guards against an empty table).
    assert {"/health", "/api/v1/banks", "/api/v1/whitelist", "/api/v1/admin/imports/x", "/schema"} <= paths
    assert len(routes) >= 35


def test_a_wrong_or_revoked_key_is_401_on_every_route(engine, database_url):
    """Every route × five wrong keys: more calls than one address may make in a minute, so the
    app runs with rate limits off (a wrong key counts against its address)."""
    from litestar.testing import TestClient

    from service.app import create_app
    from service.settings import Settings

    app = create_app(Settings(database_url=database_url, rate_limit_anonymous=0, rate_limit_per_key=0), engine)
    with transaction(engine) as session:
        revoked = issue_key(session, role="admin", name="revoked")
        revoke(session, revoked.split("_")[1])
        valid = issue_key(session, role="admin", name="valid")
    wrong = [
        revoked,
        valid[:-1] + ("A" if valid[-1] != "A" else "B"),  # the right prefix, a wrong secret
        "ipf_00000000_" + "x" * 32,  # an unknown prefix
        "not-a-key",
        "x" * 10_000,  # too long to be hashed
    ]
    with TestClient(app) as client:
        for method, path in _every_route(app):
            for key in wrong:
                response = client.request(method, path, headers={"Authorization": f"Bearer {key}"})
                assert response.status_code == 401, (method, path, key[:20], response.status_code)
                if not path.startswith("/ui"):  # the staff pages answer an HTML page with the status
                    assert response.json()["code"] == "invalid_api_key"
            basic = client.request(method, path, headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
            assert basic.status_code == 401, (method, path)
        assert client.get("/health", headers={"Authorization": f"Bearer {valid}"}).status_code == 200


# --- security headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "keyed", "status", "docs"),
    [
        ("GET", "/health", False, 200, False),
        ("GET", "/api/v1/enterprises", False, 200, False),
        ("GET", "/api/v1/enterprises", True, 200, False),
        ("GET", "/api/v1/audit-events", True, 200, False),
        ("GET", "/api/v1/audit-events", False, 401, False),
        ("GET", "/api/v1/no-such-route", False, 404, False),
        ("GET", "/api/v1/enterprises?limit=0", True, 400, False),
        ("POST", "/api/v1/valuations/estimate", False, 400, False),
        ("GET", "/schema", False, 200, True),
        ("GET", "/schema/swagger", False, 200, True),
        ("GET", "/schema/assets/swagger-ui-bundle.js", False, 200, True),
        ("GET", "/schema/openapi.json", False, 200, False),
    ],
)
def test_security_headers_on_every_answer(client, admin_headers, method, path, keyed, status, docs):
    response = client.request(method, path, headers=admin_headers if keyed else {})
    assert response.status_code == status
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["strict-transport-security"] == "max-age=31536000"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    if docs:  # the docs viewer runs from this origin only: no CDN, no inline script
        assert "script-src 'self';" in policy and "https:" not in policy and "unsafe" not in policy
    else:
        assert policy.startswith("default-src 'none'") and "script-src" not in policy
    assert (headers.get("cache-control") == "no-store") == keyed


def test_a_wrong_key_answer_is_not_cached_either(client):
    response = client.get("/api/v1/enterprises", headers={"Authorization": "Bearer ipf_nope_nope"})
    assert response.status_code == 401 and response.headers["cache-control"] == "no-store"


def test_rate_limited_answers_carry_the_headers_too(engine, database_url):
    from litestar.testing import TestClient

    from service.app import create_app
    from service.settings import Settings

    app = create_app(Settings(database_url=database_url, rate_limit_anonymous=1), engine)
    with TestClient(app) as client:
        client.get("/api/v1/banks")
        limited = client.get("/api/v1/banks")
    assert limited.status_code == 429 and limited.headers["x-frame-options"] == "DENY"
    assert limited.headers["content-security-policy"].startswith("default-src 'none'")


def test_the_policies_are_one_table():
    from service.security_headers import CONTENT_SECURITY_POLICIES, PAGES_POLICY, content_security_policy

    assert content_security_policy("/ui/targets") == PAGES_POLICY and "default-src 'self'" in PAGES_POLICY
    assert CONTENT_SECURITY_POLICIES[-1][0] == ""  # everything else gets the API's policy
    json.dumps(CONTENT_SECURITY_POLICIES)  # plain strings, one place


# --- production refuses the default or a short secret, before binding ---------------------------


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (None, "public development default"),
        ("ipfin-development-secret", "public development default"),
        ("short-but-not-default", "at least 32"),
    ],
)
def test_production_serve_refuses_a_weak_secret(monkeypatch, capsys, secret, message):
    from service.cli import main

    monkeypatch.setenv("IPFIN_ENV", "production")
    # Unreachable: had serve gone past the check, it would fail on the database (exit 3), not 5.
    monkeypatch.setenv("IPFIN_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    if secret is None:
        monkeypatch.delenv("IPFIN_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("IPFIN_SECRET_KEY", secret)
    assert main(["serve"]) == 5
    err = capsys.readouterr().err
    assert err.startswith("error: refusing to start in production: IPFIN_SECRET_KEY") and message in err


def test_production_accepts_a_long_random_secret_and_development_any():
    from service.app import create_app
    from service.settings import Settings

    assert Settings(environment="production", secret_key="k" * 32).production_problem() is None
    assert Settings(environment="development").production_problem() is None
    with pytest.raises(RuntimeError, match="refusing to start in production"):
        create_app(Settings(environment="production"))


def test_an_unknown_environment_is_a_clear_error(monkeypatch, capsys):
    from service.cli import main

    monkeypatch.setenv("IPFIN_ENV", "prod")
    assert main(["serve"]) == 2
    assert "IPFIN_ENV must be one of development, production" in capsys.readouterr().err
