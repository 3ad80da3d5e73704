"""Valuation in the service: portfolio runs (CLI and API), the estimate endpoint, a patent's latest
valuation, and `ipfin valuate` on a simulated portfolio without a database."""

from __future__ import annotations

import copy
import csv
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import small_county as county
from scipy.stats import spearmanr
from sqlalchemy import func, select

from service.cli import main
from service.db import transaction
from service.demo import cells
from service.identifiers import application_check_char
from service.models import Patent, Valuation
from valuation.simulation import simulate_portfolio

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 1)
RESULT_FIELDS = {
    "score",
    "legal_score",
    "technical_score",
    "economic_score",
    "grade",
    "eligible",
    "reasons",
    "high_value",
    "high_value_flags",
    "risk_flags",
    "value_p10_yuan",
    "value_p50_yuan",
    "value_p90_yuan",
    "max_loan_yuan",
    "value_p10_fen",
    "value_p50_fen",
    "value_p90_fen",
    "max_loan_fen",
    "value_note",
    "max_loan_basis",
    "high_value_note",
    "reference",
    "explanation",
    "p_alive_1y",
    "expected_life_years",
    "model_version",
}


@pytest.fixture
def loaded(engine, tmp_path):
    county.load_county(engine, tmp_path)


def valuations(engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(Valuation))


def test_cli_revalue_stores_results_that_the_api_serves(engine, loaded, database_url, monkeypatch, client):
    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    assert main(["revalue", "--as-of", AS_OF.isoformat()]) == 0
    assert valuations(engine) == 4
    body = client.get(f"/api/v1/patents/{county.P1}/valuation").json()
    assert set(body) >= RESULT_FIELDS and body["as_of"] == AS_OF.isoformat()
    # P1 is actively pledged (the 2025 registration), so it cannot be pledged again.
    assert body["eligible"] is False and "already_pledged" in {r["code"] for r in body["reasons"]}
    assert body["explanation"] and all({"indicator", "contribution"} <= set(x) for x in body["explanation"])
    # The same date, model and inputs again: no duplicate rows.
    assert main(["revalue", "--as-of", AS_OF.isoformat()]) == 0
    assert valuations(engine) == 4
    assert client.get(f"/api/v1/patents/{county.P4}/valuation").json()["eligible"] is False  # pending


def test_api_run_is_admin_only_and_reports_progress(client, engine, loaded, admin_headers, reviewer_headers):
    assert client.post("/api/v1/valuations/run", json={}, headers=reviewer_headers).status_code == 403
    response = client.post("/api/v1/valuations/run", json={"as_of": "2026-06-30"}, headers=admin_headers)
    assert response.status_code == 202
    run_id = response.json()["id"]
    deadline = time.monotonic() + 60
    while (run := client.get(f"/api/v1/valuations/runs/{run_id}").json())["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert run["status"] == "done" and run["counts"]["total"] == run["counts"]["done"] == 4
    assert valuations(engine) == 4


def test_unvalued_patent_is_a_clear_404(client, loaded):
    response = client.get(f"/api/v1/patents/{county.P2}/valuation")
    assert response.status_code == 404 and response.json()["code"] == "not_valued"


def submitted(**overrides):
    record = {k: v for k, v in copy.deepcopy(county.PATENTS[1]).items()}
    record.update(
        application_no=county.application_no(2020, 1, 777777),
        owner_credit_code=county.E1,
        claims=12,
        granted_abroad=True,
        annual_revenue_yuan=2_000_000,
    )
    record.update(overrides)
    return record


def test_estimate_answers_a_valid_record_and_writes_nothing(client, engine, loaded):
    with transaction(engine) as session:
        patents_before = session.scalar(select(func.count()).select_from(Patent))
    response = client.post("/api/v1/valuations/estimate", json={"patents": [submitted()], "as_of": "2026-11-01"})
    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    assert set(result) >= RESULT_FIELDS
    assert 0 <= result["score"] <= 100 and result["grade"] in "ABCDE"
    p10, p50, p90 = (result[k] for k in ("value_p10_fen", "value_p50_fen", "value_p90_fen"))
    assert 0 < p10 <= p50 <= p90 and isinstance(p50, int)
    assert float(result["value_p50_yuan"]) * 100 == pytest.approx(p50, abs=1)
    assert "granted_abroad" in result["high_value_flags"]
    assert valuations(engine) == 0
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Patent)) == patents_before


def test_estimate_of_a_known_patent_by_number(client, loaded):
    response = client.post("/api/v1/valuations/estimate", json={"patents": [{"application_no": county.P2}]})
    assert response.status_code == 200 and response.json()["results"][0]["application_no"] == county.P2


def test_estimate_without_revenue_gives_a_score_and_says_why_there_is_no_value(client, loaded):
    result = client.post("/api/v1/valuations/estimate", json={"patents": [submitted(annual_revenue_yuan=None)]}).json()[
        "results"
    ][0]
    assert result["value_p50_fen"] is None and result["max_loan_fen"] is None and result["score"] > 0
    assert "无产品收入数据" in result["value_note"]
    assert "no_revenue" in {r["code"] for r in result["reasons"]}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"application_no": "201710601862.4"}, "application_no"),
        ({"filing_date": "2020-13-01"}, "filing_date"),
        ({"claims": -1}, "claims"),
        ({"legal_status": "alive"}, "legal_status"),
        ({"colour": "blue"}, "colour"),
        ({"claims": [1, 2]}, "claims"),
        ({"patent_type": None}, "patent_type"),
    ],
)
def test_estimate_names_the_bad_field(client, loaded, patch, field):
    second = submitted(**{"application_no": county.application_no(2020, 1, 777778), **patch})
    response = client.post("/api/v1/valuations/estimate", json={"patents": [submitted(), second]})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_records"
    assert [{"index": 1, "field": field}] == [{k: d[k] for k in ("index", "field")} for d in body["details"]]


@pytest.mark.parametrize("payload", [{}, {"patents": []}, {"patents": "x"}, {"patents": [{}], "loan_term_months": 0}])
def test_estimate_rejects_malformed_bodies(client, payload):
    response = client.post("/api/v1/valuations/estimate", json=payload)
    assert response.status_code in (400, 422) and response.json()["code"]


def test_estimate_saves_only_when_asked_by_an_admin(client, engine, loaded, admin_headers):
    body = {"patents": [submitted()], "save": True}
    assert client.post("/api/v1/valuations/estimate", json=body).status_code == 403
    assert client.post("/api/v1/valuations/estimate", json=body, headers=admin_headers).status_code == 200
    number = body["patents"][0]["application_no"]
    assert client.get(f"/api/v1/patents/{number}/valuation").json()["application_no"] == number


def simulated_import_file(path: Path, n: int, seed: int) -> np.ndarray:
    """A patent import file of a portfolio simulated by the renewal process; returns true values."""
    simulation = simulate_portfolio(n, AS_OF, seed)
    header = [column for column in county.PATENTS[0]]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for i, record in enumerate(simulation.records):
            digits = f"{record['filing_date'].year}{1 if record['patent_type'] == 'invention' else 2}{i:07d}"
            row = {}
            for name in header:
                value = record.get(name)
                row[name] = (
                    cells.day(value)
                    if isinstance(value, date)
                    else cells.flag(value)
                    if isinstance(value, bool) or (value is None and name in ("granted_abroad", "pct"))
                    else ""
                    if value is None
                    else str(value)
                )
            row["application_no"] = f"{digits}.{application_check_char(digits)}"
            row["owner_credit_code"] = ""
            row["annual_revenue_yuan"] = cells.yuan(record.get("annual_revenue_yuan"))
            writer.writerow(row)
    return np.asarray(simulation.true_value, dtype=float)


@pytest.mark.slow
def test_valuate_file_ranks_simulated_true_values_better_than_any_single_indicator(tmp_path):
    source, out = tmp_path / "patents.csv", tmp_path / "valued.csv"
    truth = simulated_import_file(source, 4000, seed=11)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "valuate", str(source), "--as-of", AS_OF.isoformat(), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    with source.open(encoding="utf-8") as handle:
        inputs = list(csv.DictReader(handle))
    with out.open(encoding="utf-8") as handle:
        outputs = list(csv.DictReader(handle))
    assert [r["application_no"] for r in outputs] == [r["application_no"] for r in inputs]
    assert all(r["model_version"] for r in outputs)

    def number(text):
        return float(text) if text not in ("", None) else 0.0

    rho = {
        "score": spearmanr([number(r["score"]) for r in outputs], truth).statistic,
        "value_p50": spearmanr([number(r["value_p50_yuan"]) for r in outputs], truth).statistic,
    }
    for indicator in ("forward_citations", "claims", "family_size", "annual_revenue_yuan", "fees_paid_through_year"):
        rho[indicator] = spearmanr([number(r[indicator]) for r in inputs], truth).statistic
    print(f"\n{len(outputs)} patents valued in {elapsed:.1f} s; Spearman ρ against true remaining value:")
    for name, value in sorted(rho.items(), key=lambda item: -item[1]):
        print(f"  {name:24s} {value:+.3f}")
    best_single = max(v for k, v in rho.items() if k not in ("score", "value_p50"))
    assert rho["score"] > best_single + 0.05 and rho["value_p50"] > best_single + 0.05


def juice_record() -> dict[str, str]:
    """A juice factory's beverage-process invention with ¥8,000,000 of annual revenue (import text)."""
    return county._patent(
        county.application_no(2019, 1, 888888),
        "invention",
        county.E1,
        title="一种果汁饮料的冷压制备方法",
        ipc="A23L 2/02",
        filing_date="2019-04-10",
        grant_date="2021-08-20",
        fees_paid_through_year="8",
        annual_revenue_yuan="8000000",
    )


MONEY = ("value_p10", "value_p50", "value_p90", "max_loan")


def test_the_same_record_gives_the_same_numbers_on_all_three_paths(
    client, engine, loaded, tmp_path, database_url, monkeypatch
):
    """Estimate endpoint, `ipfin valuate FILE`, and import + `ipfin revalue`: one record, one result,
    in the right magnitude (the old 100× fen/yuan mix-up gave this factory a ¥14.5M loan)."""
    record = juice_record()
    api = client.post("/api/v1/valuations/estimate", json={"patents": [record], "as_of": AS_OF.isoformat()}).json()[
        "results"
    ][0]

    source, out = county.write_csv(tmp_path / "juice.csv", [record]), tmp_path / "valued.csv"
    assert main(["valuate", str(source), "--as-of", AS_OF.isoformat(), "--out", str(out)]) == 0
    with out.open(encoding="utf-8") as handle:
        cli = next(csv.DictReader(handle))

    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    assert main(["import", "patents", str(source)]) == 0
    assert main(["revalue", "--as-of", AS_OF.isoformat()]) == 0
    stored = client.get(f"/api/v1/patents/{record['application_no']}/valuation").json()

    for name in MONEY:
        fen = api[f"{name}_fen"]
        assert isinstance(fen, int) and fen > 0, name
        assert stored[f"{name}_fen"] == fen, name
        assert round(float(cli[f"{name}_yuan"]) * 100) == fen, name
    for name in ("score", "grade", "eligible", "p_alive_3y"):
        assert stored[name] == api[name] and str(api[name]).lower() == cli[name].lower(), name
    assert api["reference"] == stored["reference"] == cli["reference"]

    # Magnitude: relief from royalty by hand — revenue × the A-section modal share (1.75 %) over the
    # remaining term at 12 %, mid-year — the P50 must be of that order, the loan a quarter of P10.
    years = api["remaining_term_years"]
    annuity = sum(min(1.0, years - t) * 1.12 ** -(t + 0.5) for t in range(int(np.ceil(years))))
    hand = 8_000_000 * 0.0175 * annuity
    p50 = api["value_p50_fen"] / 100
    assert hand / 3 <= p50 <= hand * 3, (p50, hand)
    assert abs(api["max_loan_fen"] - 0.25 * api["value_p10_fen"]) <= 1
    assert api["max_loan_fen"] / 100 < 0.3 * 8_000_000


def test_an_estimate_does_not_depend_on_its_company_nor_revalue_the_portfolio(client, loaded, monkeypatch):
    import service.valuations.service as valuation_service

    def refuse(*args, **kwargs):
        raise AssertionError("an estimate must not read the stored portfolio")

    monkeypatch.setattr(valuation_service, "load_records", refuse)
    one = juice_record()
    other = submitted()
    alone = client.post("/api/v1/valuations/estimate", json={"patents": [one], "as_of": AS_OF.isoformat()}).json()
    together = client.post(
        "/api/v1/valuations/estimate", json={"patents": [other, one], "as_of": AS_OF.isoformat()}
    ).json()
    assert alone["results"][0] == together["results"][1]
    assert alone["reference"].startswith("shipped:")


def test_valuate_file_csv_equals_the_full_records_written_cell_by_cell(tmp_path):
    """The CLI's fast path (records without explanations, cells written as lists) writes exactly
    what the full records written through csv.DictWriter give, bad rows included (issue 15)."""
    from service.imports import KINDS, parse_rows, read_path
    from service.valuations.cli import OUTPUT_COLUMNS, _text
    from service.valuations.records import valuation_record
    from valuation import Portfolio, build_reference, valuate

    source, out = tmp_path / "patents.csv", tmp_path / "valued.csv"
    simulated_import_file(source, 1500, seed=5)
    with source.open(encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    lines[7] = lines[7].replace(",invention,", ",nonsense,", 1)  # one row that cannot be valued
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["valuate", str(source), "--as-of", AS_OF.isoformat(), "--out", str(out)]) == 0

    table = read_path(source)
    parsed, errors = parse_rows(KINDS["patents"], table)
    bad = {e.row for e in errors}
    assert len(bad) == 1
    good = [(number, valuation_record(fields)) for number, fields in parsed if number not in bad]
    portfolio = Portfolio.from_records([r for _, r in good])
    result = valuate(portfolio, AS_OF, reference=build_reference(portfolio, AS_OF, label="file"))
    full = result.records()
    lean = result.records(explanation=False)
    assert [dict(r, explanation=[]) for r in full] == lean
    assert all(len(r["explanation"]) == 13 for r in full)
    by_number = {number: r for (number, _), r in zip(good, full, strict=True)}
    expected = tmp_path / "expected.csv"
    with expected.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=OUTPUT_COLUMNS)
        writer.writeheader()
        for number, raw in table.rows:
            r = by_number.get(number)
            if r is None:
                writer.writerow({"application_no": raw["application_no"], "model_version": r or "", "reasons": ""})
                continue
            writer.writerow(
                {name: _text(r.get(name)) for name in OUTPUT_COLUMNS}
                | {
                    "reasons": "; ".join(f"{x['code']}: {x['message']}" for x in r["reasons"]),
                    "high_value_flags": ";".join(r["high_value_flags"]),
                    "risk_flags": "; ".join(f"{x['code']}: {x['message']}" for x in r["risk_flags"]),
                }
            )
    got = out.read_text(encoding="utf-8").splitlines()
    want = expected.read_text(encoding="utf-8").splitlines()
    assert len(got) == len(want) == 1501
    bad_line = sorted(bad)[0] - 1  # data rows are numbered from 2 (the header is row 1)
    assert got[:bad_line] == want[:bad_line] and got[bad_line + 1 :] == want[bad_line + 1 :]
    assert "not valued: patent_type" in got[bad_line]


def test_an_estimate_uses_the_latest_stored_reference_however_it_is_cached(client, engine, loaded):
    """current_reference caches the built reference by fit: a newer fit row is used at once."""
    from service.models import SurvivalFit
    from valuation import shipped_reference

    body = {"patents": [juice_record()], "as_of": AS_OF.isoformat()}
    shipped = client.post("/api/v1/valuations/estimate", json=body).json()
    for name in ("county:first", "county:second"):
        with transaction(engine) as session:
            reference = shipped_reference().to_dict() | {"name": name}
            session.add(
                SurvivalFit(
                    model_version="test",
                    source="reference",
                    as_of=AS_OF,
                    n_patents=0,
                    n_events=0,
                    parameters=reference,
                )
            )
        for _ in range(2):  # built once, then from the cache
            answer = client.post("/api/v1/valuations/estimate", json=body).json()
            assert answer["reference"] == name
            assert answer["results"][0]["value_p50_fen"] == shipped["results"][0]["value_p50_fen"]
