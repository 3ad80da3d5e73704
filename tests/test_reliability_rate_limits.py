"""Rate limits (issue 10, part 3): per API key, and per client address for calls without a valid
key; 429 with Retry-After; set in configuration; the key is resolved before counting; declared
in the OpenAPI document."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from service.app import create_app
from service.settings import Settings


@pytest.fixture
def limited(engine, database_url):
    def make(per_key: int, anonymous: int) -> TestClient:
        settings = Settings(database_url=database_url, rate_limit_per_key=per_key, rate_limit_anonymous=anonymous)
        return TestClient(create_app(settings, engine))

    return make


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_anonymous_calls_are_limited_per_address_with_retry_after(limited):
    with limited(per_key=100, anonymous=5) as client:
        assert [client.get("/api/v1/banks").status_code for _ in range(5)] == [200] * 5
        response = client.get("/api/v1/banks")
        assert response.status_code == 429
        body = response.json()
        assert body["code"] == "rate_limited" and "address" in body["message"]
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert response.headers["RateLimit-Limit"] == "5" and response.headers["RateLimit-Remaining"] == "0"
        # Monitors are never limited.
        assert client.get("/health").status_code == 200


def test_a_key_has_its_own_budget_apart_from_other_keys_and_the_address(limited, make_key):
    first, second = make_key("reviewer"), make_key("reviewer")
    with limited(per_key=3, anonymous=100) as client:
        statuses = [client.get("/api/v1/credit-loans", headers=_bearer(first)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert client.get("/api/v1/credit-loans", headers=_bearer(second)).status_code == 200
        assert client.get("/api/v1/banks").status_code == 200  # the same address, without a key
        ok = client.get("/api/v1/banks", headers=_bearer(second))
        assert ok.headers["RateLimit-Limit"] == "3" and ok.headers["RateLimit-Remaining"] == "1"


def test_wrong_keys_count_against_the_address_and_are_still_401(limited):
    with limited(per_key=100, anonymous=3) as client:
        statuses = [
            client.get("/api/v1/banks", headers=_bearer(f"ipf_dead{i:04d}_guess")).status_code for i in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        assert client.get("/api/v1/banks").status_code == 429


def test_zero_turns_a_limit_off(limited):
    with limited(per_key=0, anonymous=0) as client:
        assert {client.get("/api/v1/banks").status_code for _ in range(50)} == {200}


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("IPFIN_RATE_LIMIT_PER_KEY", "42")
    monkeypatch.setenv("IPFIN_RATE_LIMIT_ANONYMOUS", "0")
    settings = Settings.from_env()
    assert (settings.rate_limit_per_key, settings.rate_limit_anonymous) == (42, 0)
    monkeypatch.setenv("IPFIN_RATE_LIMIT_ANONYMOUS", "-1")
    with pytest.raises(ValueError, match="IPFIN_RATE_LIMIT_ANONYMOUS"):
        Settings.from_env()


def test_every_operation_declares_429(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    missing = [
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        if path != "/health"
        for method, operation in operations.items()
        if method in {"get", "post", "put", "patch", "delete"} and "429" not in operation.get("responses", {})
    ]
    assert not missing, missing
