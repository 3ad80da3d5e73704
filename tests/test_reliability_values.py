"""Malformed values answer 4xx, never 500 (issue 10): ids and offsets past 64 bits, NUL bytes,
over-long LIKE filters, deeply nested JSON, lone surrogates."""

from __future__ import annotations

import pytest

HUGE = "9" * 25  # past 64 bits


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/matching/proposals/{HUGE}",
        f"/api/v1/matching/runs/{HUGE}",
        f"/api/v1/credit-loans/{HUGE}",
        f"/api/v1/whitelist/{HUGE}",
        f"/api/v1/banks?offset={HUGE}",
        f"/api/v1/enterprises?offset={HUGE}",
        "/api/v1/banks?offset=9223372036854775808",
        "/api/v1/enterprises?q=" + "x" * 60_000,
        "/api/v1/patents/CN201710601862%003",
    ],
)
def test_malformed_reads_are_4xx(client, reviewer_headers, path):
    response = client.get(path, headers=reviewer_headers)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.json()["code"]


@pytest.mark.parametrize("path", ["/api/v1/enterprises?town=a%00b", "/api/v1/enterprises?q=a%00b"])
def test_nul_bytes_in_filters_are_not_a_server_error(client, reviewer_headers, path):
    # SQLite finds nothing; PostgreSQL refuses NUL in text: 400.
    assert client.get(path, headers=reviewer_headers).status_code in (200, 400)


def test_deeply_nested_json_is_4xx(client, reviewer_headers):
    body = '{"patents": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    response = client.post(
        "/api/v1/valuations/estimate", content=body, headers=reviewer_headers | {"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text[:300]


@pytest.mark.parametrize("value", ["\\ud800", "a\\u0000b"])
def test_lone_surrogates_and_nul_in_bodies_are_4xx(client, admin_headers, value):
    body = '{"patents": [{"application_no": "201710601862.3", "title": "' + value + '"}]}'
    response = client.post(
        "/api/v1/valuations/estimate", content=body, headers=admin_headers | {"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text[:300]
    response = client.post(
        "/api/v1/matching/proposals/1/decision",
        content='{"decision": "rejected", "comment": "' + value + '"}',
        headers=admin_headers | {"Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text[:300]


def test_an_error_answer_does_not_grow_with_the_input(client):
    """Every submitted record with a long unknown field: the 422 lists the first problems, short."""
    record = {"application_no": "201710601862.3", "patent_type": "invention"}
    patents = [record | {f"field_{i}_" + "x" * 2000: 1 for i in range(5)} for _ in range(600)]
    response = client.post("/api/v1/valuations/estimate", json={"patents": patents})
    assert response.status_code == 422
    body = response.json()
    assert len(body["details"]) == 200 and "of " in body["message"]
    assert len(response.content) < 200_000  # the body was 6 MB
