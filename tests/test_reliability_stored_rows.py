"""Implausible dates (issue 10): a stored patent row with a date the importer refuses (written by SQL)
is set aside with its reason by valuation, at-risk, eligibility and matching — never a 500; target
windows and the CLI's --as-of are bounded like the API's as_of."""

from __future__ import annotations

import contextlib
import time
from datetime import date, timedelta

import pytest
import small_county as county
from sqlalchemy import text

from service.cli import main
from service.db import transaction
from service.models.types import utctoday

# SET clauses for P1 (pledged, valid, owned by E2); grant must stay after filing (a CHECK).
CORRUPTIONS = {
    "far_future_filing": "filing_date = '9990-01-01', grant_date = '9991-01-01'",
    "year_one_filing": "filing_date = '0001-01-01'",
    "far_future_grant": "grant_date = '9999-12-31'",
}


@pytest.fixture
def loaded(engine, tmp_path):
    county.load_county(engine, tmp_path)


def corrupt(engine, clause: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE patents SET {clause} WHERE application_no = :n"), {"n": county.P1})


def revalue(client, admin_headers, as_of: str = "2025-06-30") -> dict:
    run = client.post("/api/v1/valuations/run", json={"as_of": as_of}, headers=admin_headers).json()
    for _ in range(200):
        run = client.get(f"/api/v1/valuations/runs/{run['id']}").json()
        if run["status"] != "running":
            return run
        time.sleep(0.05)
    raise AssertionError(f"valuation run {run['id']} did not finish")


def _answers_without_500(client, headers) -> dict[str, object]:
    answers = {
        "at_risk": client.get("/api/v1/pledges/at-risk", params={"as_of": "2025-06-30"}, headers=headers),
        "eligibility": client.get(
            f"/api/v1/enterprises/{county.E2}/eligibility", params={"as_of": "2025-06-30"}, headers=headers
        ),
        "matching": client.post(
            "/api/v1/matching/runs", json={"as_of": "2025-06-30", "population": "all_enterprises"}, headers=headers
        ),
        "valuation": client.get(f"/api/v1/patents/{county.P1}/valuation"),
        "estimate": client.post("/api/v1/valuations/estimate", json={"patents": [{"application_no": county.P1}]}),
    }
    for name, response in answers.items():
        assert response.status_code < 500, (name, response.status_code, response.text[:300])
    return answers


def _check_set_aside(answers, clause_column: str) -> None:
    (alert,) = [a for a in answers["at_risk"].json()["items"] if a["application_no"] == county.P1]
    assert [flag["code"] for flag in alert["risk_flags"]] == ["implausible_dates"]
    assert clause_column in alert["risk_flags"][0]["values"] and "请更正" in alert["risk_flags"][0]["message"]
    valuation = answers["valuation"]
    assert valuation.status_code == 422 and valuation.json()["code"] == "implausible_dates"
    assert clause_column in valuation.json()["details"]
    estimate = answers["estimate"]
    assert estimate.status_code == 422
    assert "implausible dates" in estimate.json()["details"][0]["message"]
    assert answers["matching"].status_code == 201
    assert answers["eligibility"].status_code == 200


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_row_corrupted_before_the_run_is_set_aside_with_its_reason(
    client, engine, loaded, admin_headers, reviewer_headers, corruption
):
    corrupt(engine, CORRUPTIONS[corruption])
    run = revalue(client, admin_headers)
    assert run["status"] == "done", run
    counts = run["counts"]
    assert counts["set_aside"] == 1 and counts["total"] == len(county.PATENTS) - 1
    (named,) = counts["set_aside_patents"]
    column = "grant_date" if corruption == "far_future_grant" else "filing_date"
    assert named["application_no"] == county.P1 and "not a plausible date" in named["problems"][column]
    answers = _answers_without_500(client, reviewer_headers)
    _check_set_aside(answers, column)
    # Nothing valued from the bad row: the patent has no valuation at all.
    with transaction(engine) as session:
        stored = session.execute(
            text("SELECT count(*) FROM valuations v JOIN patents p ON p.id = v.patent_id WHERE p.application_no = :n"),
            {"n": county.P1},
        ).scalar()
    assert stored == 0


def test_a_row_corrupted_after_its_valuation_is_not_pledgeable_and_says_why(
    client, engine, loaded, admin_headers, reviewer_headers
):
    assert revalue(client, admin_headers)["status"] == "done"
    # Release P1's pledge so that only the bad dates can keep it out of matching.
    with engine.begin() as connection:
        connection.execute(text("UPDATE pledged_patents SET released_date = '2025-05-01'"))
        connection.execute(text("UPDATE pledge_registrations SET released_date = '2025-05-01'"))
    before = client.get(
        f"/api/v1/enterprises/{county.E2}/eligibility", params={"as_of": "2025-06-30"}, headers=reviewer_headers
    ).text
    assert "implausible_dates" not in before
    corrupt(engine, CORRUPTIONS["far_future_filing"])
    answers = _answers_without_500(client, reviewer_headers)
    assert "implausible_dates" in answers["eligibility"].text
    assert answers["valuation"].status_code == 422
    for proposal in answers["matching"].json().get("proposals", []):
        assert county.P1 not in str(proposal)


def test_a_stored_valuation_with_an_out_of_calendar_expiry_does_not_break_matching(
    client, engine, loaded, admin_headers, reviewer_headers
):
    """Valuations made before the bounds existed stored an expiry past year 9999 as a day number."""
    assert revalue(client, admin_headers)["status"] == "done"
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT id, result FROM valuations")).all()
    import json

    with engine.begin() as connection:
        for valuation_id, result in rows:
            result = json.loads(result) if isinstance(result, str) else result
            result["expiry_date"] = 2936549
            connection.execute(
                text("UPDATE valuations SET result = :r WHERE id = :i"), {"r": json.dumps(result), "i": valuation_id}
            )
    response = client.post(
        "/api/v1/matching/runs", json={"as_of": "2025-06-30", "population": "all_enterprises"}, headers=reviewer_headers
    )
    assert response.status_code == 201, response.text[:300]
    assert response.json()["summary"]["stats"]["eligible_pairs"] == 0
    eligibility = client.get(
        f"/api/v1/enterprises/{county.E2}/eligibility", params={"as_of": "2025-06-30"}, headers=reviewer_headers
    )
    assert eligibility.status_code == 200 and "implausible_dates" in eligibility.text


# --- target windows ----------------------------------------------------------------------------


def _target(code: str, start: str, deadline: str) -> dict:
    return {
        "code": code,
        "name": "测试目标",
        "metric": "pledge_amount",
        "figure": 100_000_000,
        "window_start": start,
        "deadline": deadline,
    }


@pytest.mark.parametrize(
    ("start", "deadline", "code"),
    [
        ("1999-12-31", "2025-12-31", "implausible_window"),
        ("0001-01-01", "2025-12-31", "implausible_window"),
        ("2025-01-01", "9999-12-31", "implausible_window"),
        ("2025-01-01", (utctoday() + timedelta(days=31 * 366)).isoformat(), "implausible_window"),
        ("2025-01-01", "2024-12-31", "invalid_window"),
    ],
)
def test_a_target_window_outside_the_plausible_years_is_refused(client, admin_headers, start, deadline, code):
    response = client.post("/api/v1/targets", json=_target("t", start, deadline), headers=admin_headers)
    assert response.status_code == 422 and response.json()["code"] == code
    assert client.get("/api/v1/targets").json()["total"] == 0


def test_a_target_window_at_the_bounds_is_accepted(client, admin_headers):
    latest = date(utctoday().year + 30, utctoday().month, min(utctoday().day, 28)).isoformat()
    response = client.post("/api/v1/targets", json=_target("edge", "2000-01-01", latest), headers=admin_headers)
    assert response.status_code == 201, response.text


def test_cli_targets_add_is_bounded_the_same_way(engine, database_url, monkeypatch, capsys):
    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    args = ["targets", "add", "--code", "c", "--name", "n", "--metric", "pledge_amount", "--figure", "1000"]
    assert main([*args, "--start", "2025-01-01", "--deadline", "9999-12-31"]) == 1
    assert "deadline 9999-12-31 is outside 2000-01-01" in capsys.readouterr().err


# --- the CLI's --as-of ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1999-12-31"])
@pytest.mark.parametrize(
    "command",
    [
        ["revalue", "--as-of"],
        ["targets", "--as-of"],
        ["targets", "export", "--out", "{tmp}/x.csv", "--as-of"],
        ["valuate", "{tmp}/in.csv", "--out", "{tmp}/out.csv", "--as-of"],
    ],
)
def test_cli_as_of_outside_the_api_window_is_a_usage_error(command, value, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main([*(part.format(tmp=tmp_path) for part in command), value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"as_of {value} is outside 2000-01-01" in err and "Traceback" not in err


def test_cli_as_of_that_is_not_a_date_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["revalue", "--as-of", "tomorrow"])
    assert exit_.value.code == 2 and "'tomorrow' is not a date YYYY-MM-DD" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["banks", "products", "enterprises", "credit-loans", "patents", "pledges"])
def test_stored_date_checks_cover_every_date_column(kind):
    # implausible_dates looks at the columns whose parser gives a date, listed once per kind
    from service.imports.kinds import KINDS
    from service.imports.stored import _date_keys, implausible_dates

    dated = []
    for column in KINDS[kind].columns:
        with contextlib.suppress(ValueError):  # not a date column
            dated += [column.key] if isinstance(column.parse("2020-01-02"), date) else []
    assert set(_date_keys(kind)) == set(dated)
    far = {key: date(9990, 1, 1) for key in dated}
    assert set(implausible_dates(kind, far)) == set(dated)
    assert implausible_dates(kind, {key: date(2020, 1, 2) for key in dated}) == {}
