"""Untrusted values (issue 10): numeric text bounded before conversion (a huge exponent is a clear
4xx in milliseconds, never a Python-internal message), plausible dates at import, and `as_of`
bounded on every route that takes one."""

from __future__ import annotations

import copy
import time
from datetime import date, timedelta

import pytest
import small_county as county

from service.dates import EARLIEST_AS_OF, latest_as_of
from service.imports import KINDS, ImportRejected, Table, cells, import_table, parse_rows, read_path
from service.models.types import utctoday

HUGE = ["1e400000", "1E+999999999", "9" * 100_000, "1" + "0" * 5000, "-1e400000", "1e-400000", "5e31"]
PYTHON_INTERNALS = ("Exceeds the limit", "InvalidOperation", "<class", "Traceback", "decimal.")


@pytest.mark.parametrize("raw", HUGE)
@pytest.mark.parametrize(
    "parser", [cells.integer(0), cells.yuan_to_fen, cells.decimal()], ids=["integer", "yuan", "decimal"]
)
def test_huge_numeric_text_is_refused_in_milliseconds_with_a_plain_message(parser, raw):
    started = time.perf_counter()
    with pytest.raises(ValueError) as caught:
        parser(raw)
    assert time.perf_counter() - started < 0.05
    message = str(caught.value)
    assert len(message) < 200 and not any(p in message for p in PYTHON_INTERNALS), message


def test_ordinary_numbers_still_parse():
    assert cells.integer(0)("1,234") == 1234
    assert cells.integer(0)("12.0") == 12
    assert cells.yuan_to_fen("1,200,000.50") == 120_000_050
    assert cells.yuan_to_fen("1.2e6") == 120_000_000
    assert cells.decimal()("0.000001") == cells.decimal()("1e-6")
    assert cells.yuan_to_fen("0") == 0


def test_a_bad_value_is_quoted_short_in_messages():
    for parser in (cells.code, cells.boolean, cells.grade, cells.application_no, cells.credit_code, cells.iso_date):
        with pytest.raises(ValueError) as caught:
            parser("Z" * 200_000)
        assert len(str(caught.value)) < 300


def _patents_table(**overrides) -> Table:
    row = copy.deepcopy(county.PATENTS[1]) | {"owner_credit_code": ""} | overrides
    return Table(list(row), [(2, row)])


def test_huge_numbers_in_an_import_are_row_errors_at_once():
    started = time.perf_counter()
    _, errors = parse_rows(
        KINDS["patents"], _patents_table(forward_citations="1e400000", annual_revenue_yuan="9" * 100_000)
    )
    assert time.perf_counter() - started < 0.1
    assert {e.column for e in errors} == {"forward_citations", "annual_revenue_yuan"}
    assert all(len(e.message) < 200 for e in errors)


def test_the_estimate_endpoint_answers_a_huge_exponent_with_a_fast_422(client):
    record = copy.deepcopy(county.PATENTS[1]) | {"owner_credit_code": "", "annual_revenue_yuan": "1e400000"}
    started = time.perf_counter()
    response = client.post("/api/v1/valuations/estimate", json={"patents": [record], "as_of": "2026-11-01"})
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 422, response.text
    (problem,) = response.json()["details"]
    assert problem["field"] == "annual_revenue_yuan"
    assert not any(p in problem["message"] for p in PYTHON_INTERNALS), problem


# --- dates --------------------------------------------------------------------------------


def test_a_filing_date_in_the_year_9990_is_refused_at_import(session, tmp_path):
    """The issue's row: accepted, it made at-risk, eligibility and every matching run answer 500."""
    rows = copy.deepcopy(county.PATENTS)
    rows[0]["filing_date"] = "9990-01-01"
    for kind in ("banks", "products", "enterprises"):
        import_table(session, kind, read_path(county.write_csv(tmp_path / f"{kind}.csv", county.COUNTY[kind])))
    with pytest.raises(ImportRejected) as caught:
        import_table(session, "patents", read_path(county.write_csv(tmp_path / "patents.csv", rows)))
    (error,) = caught.value.errors
    assert (error.row, error.column) == (2, "filing_date")
    assert "9990-01-01 is not a plausible date" in error.message and "1985-04-01" in error.message


@pytest.mark.parametrize("column", ["filing_date", "grant_date", "lapse_date"])
@pytest.mark.parametrize("value", ["1984-12-31", "0001-01-01", "9999-12-31"])
def test_patent_dates_outside_the_plausible_window_are_row_errors(column, value):
    _, errors = parse_rows(KINDS["patents"], _patents_table(**{column: value}))
    assert any(e.column == column and "plausible" in e.message for e in errors), errors


def test_a_date_a_year_ahead_is_the_last_plausible_event_and_terms_may_run_fifty_years():
    today = utctoday()
    assert cells.iso_date(today.isoformat()) == today
    assert cells.iso_date(cells.EARLIEST_DATE.isoformat()) == cells.EARLIEST_DATE
    with pytest.raises(ValueError):
        cells.iso_date((today + cells.EVENT_SLACK + timedelta(days=1)).isoformat())
    thirty_years = today.replace(year=today.year + 30, day=1)
    assert cells.term_end_date(thirty_years.isoformat()) == thirty_years
    with pytest.raises(ValueError):
        cells.term_end_date(today.replace(year=today.year + 60, day=1).isoformat())


@pytest.fixture
def loaded(engine, tmp_path):
    county.load_county(engine, tmp_path)


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01", "1999-12-31"])
def test_every_as_of_outside_its_window_is_a_400(client, loaded, admin_headers, as_of):
    target = client.post(
        "/api/v1/targets",
        headers=admin_headers,
        json={
            "code": "pledge",
            "name": "质押融资",
            "metric": "pledge_amount",
            "figure": 10_000_000,
            "window_start": "2022-09-22",
            "deadline": "2024-12-31",
        },
    )
    assert target.status_code == 201, target.text
    target_id = target.json()["id"]
    calls = [
        ("post", "/api/v1/valuations/run", {"json": {"as_of": as_of}}),
        ("post", "/api/v1/valuations/estimate", {"json": {"patents": [{"application_no": county.P2}], "as_of": as_of}}),
        ("post", "/api/v1/matching/runs", {"json": {"as_of": as_of}}),
        ("get", f"/api/v1/enterprises/{county.E1}/eligibility", {"params": {"as_of": as_of}}),
        ("get", "/api/v1/pledges/at-risk", {"params": {"as_of": as_of}}),
        ("get", f"/api/v1/targets/{target_id}/progress", {"params": {"as_of": as_of}}),
        ("get", f"/api/v1/targets/{target_id}/export", {"params": {"as_of": as_of}}),
    ]
    for method, path, kwargs in calls:
        response = getattr(client, method)(path, headers=admin_headers, **kwargs)
        assert response.status_code == 400, (path, response.text)
        body = response.json()
        assert body["code"] == "implausible_as_of" and body["details"]["earliest"] == EARLIEST_AS_OF.isoformat()
    # Nothing was started or stored by the refused calls.
    assert client.get("/api/v1/valuations/runs").json() in ([], {"items": [], "total": 0, "limit": 50, "offset": 0})


def test_the_edges_of_the_as_of_window_are_accepted(client, loaded, reviewer_headers):
    for as_of in (EARLIEST_AS_OF, latest_as_of()):
        response = client.get("/api/v1/pledges/at-risk", params={"as_of": as_of.isoformat()}, headers=reviewer_headers)
        assert response.status_code == 200, response.text
    assert latest_as_of(date(2024, 2, 29)) == date(2029, 2, 28)
