"""免申即享 on the small county, against hand-computed lines: evaluation, the ledger (no event
rewarded twice), marking lines paid, the XLSX list, the CLI.

Facts used: P2 (E2's invention, granted 2020-09-01) is made granted abroad by PCT and a 中国专利
优秀奖 winner; P1 and P2 are in production; registration Y2023500000123 (2023-06-15, ¥1,200,000)
pledges both. Default amounts (rules.toml): domestic grant ¥5,000, foreign grant ¥20,000,
production ¥10,000 per enterprise a year, pledge 1 % of the registered amount capped at ¥50,000
(from ¥1,000,000), 优秀奖 ¥20,000."""

from __future__ import annotations

import io
from datetime import date

import pytest
import small_county as county
from openpyxl import load_workbook
from sqlalchemy import select, update

from service.db import transaction
from service.imports import import_table, read_path
from service.models import Enterprise, Patent, SubsidyEvent
from service.subsidies.service import rules_on


@pytest.fixture
def small(engine, tmp_path):
    county.load_county(engine, tmp_path)
    with transaction(engine) as session:
        session.execute(
            update(Patent)
            .where(Patent.application_no == county.P2)
            .values(granted_abroad=True, pct=True, award="china_patent_excellent")
        )
    return engine


def _evaluate(client, headers, start, end):
    response = client.post("/api/v1/subsidies/evaluations", json={"start": start, "end": end}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_rules_are_dated_configuration_with_amounts_marked_as_the_countys():
    rules = rules_on(date(2023, 12, 31))
    assert rules["effective_from"] == date(2022, 1, 1)
    assert rules["rules"]["domestic_invention_grant"]["amount_yuan_per_patent"] == 5000
    assert rules_on(date(2020, 12, 31)) is rules  # the earliest version stands for earlier periods


def test_evaluate_mark_paid_and_a_second_evaluation_adds_nothing(client, small, reviewer_headers):
    first = _evaluate(client, reviewer_headers, "2020-01-01", "2020-12-31")
    lines = {line["rule_code"]: line for line in first["items"]}
    assert {code: line["amount_fen"] for code, line in lines.items()} == {
        "domestic_invention_grant": 500_000,
        "foreign_invention_grant": 2_000_000,
        "production_with_valid_invention": 1_000_000,
        "award": 2_000_000,
    }
    assert first["lines_added"] == 4 and first["amount_fen"] == 5_500_000
    assert {line["enterprise"] for line in first["items"]} == {"重庆云阳精工装备制造有限公司"}
    assert lines["domestic_invention_grant"]["facts"][0]["fact"] == f"发明专利{county.P2}于2020-09-01获得授权"
    assert "PCT" in lines["foreign_invention_grant"]["facts"][0]["fact"]
    assert sorted(lines["production_with_valid_invention"]["facts"][0]["application_nos"]) == [county.P1, county.P2]
    # keyed by natural keys (credit code and year), so the ledger outlives row ids
    assert lines["production_with_valid_invention"]["facts"][0]["event_key"] == f"{county.E2}:2020"

    # 2023: the foreign grant and the award were rewarded in 2020; new are the 2023 production year
    # and the registration (1 % of ¥1,200,000 = ¥12,000).
    second = _evaluate(client, reviewer_headers, "2023-01-01", "2023-12-31")
    assert {line["rule_code"]: line["amount_fen"] for line in second["items"]} == {
        "high_pledge_financing": 1_200_000,
        "production_with_valid_invention": 1_000_000,
    }
    pledge = next(line for line in second["items"] if line["rule_code"] == "high_pledge_financing")
    assert "Y2023500000123" in pledge["facts"][0]["fact"] and "1,200,000.00元" in pledge["facts"][0]["fact"]

    for line in first["items"] + second["items"]:
        paid = client.post(
            f"/api/v1/subsidies/lines/{line['id']}/paid", json={"reference": "CZ-2024-001"}, headers=reviewer_headers
        )
        assert paid.status_code == 201 and paid.json()["status"] == "paid"
    assert _evaluate(client, reviewer_headers, "2023-01-01", "2023-12-31") == {
        "start": "2023-01-01",
        "end": "2023-12-31",
        "lines_added": 0,
        "amount_fen": 0,
        "items": [],
    }
    assert _evaluate(client, reviewer_headers, "2020-01-01", "2020-12-31")["lines_added"] == 0
    again = client.post(f"/api/v1/subsidies/lines/{pledge['id']}/paid", json={}, headers=reviewer_headers)
    assert again.status_code == 409 and again.json()["code"] == "already_paid"
    listed = client.get("/api/v1/subsidies/lines", params={"status": "paid"}, headers=reviewer_headers).json()
    assert listed["total"] == 6 and set(listed) == {"items", "total", "limit", "offset"}


def test_an_unpaid_line_is_not_proposed_twice_either(client, small, reviewer_headers, engine):
    _evaluate(client, reviewer_headers, "2023-01-01", "2023-12-31")
    assert _evaluate(client, reviewer_headers, "2023-06-01", "2023-12-31")["lines_added"] == 0
    with transaction(engine) as session:
        assert len(session.scalars(select(SubsidyEvent)).all()) == 4  # production, pledge, foreign, award


def test_pledge_subsidy_floor_and_cap(client, small, reviewer_headers, tmp_path):
    base = {**county.PLEDGES[0], "loan_start": "2024-03-01", "loan_end": "2025-02-28", "released_date": "2025-01-31"}
    rows = [
        {**base, "registration_no": "Y2024500000001", "registration_date": "2024-03-01", "amount_yuan": "6000000"},
        {**base, "registration_no": "Y2024500000002", "registration_date": "2024-04-01", "amount_yuan": "999999.99"},
    ]
    with transaction(small) as session:
        import_table(session, "pledges", read_path(county.write_csv(tmp_path / "more.csv", rows)))
    lines = _evaluate(client, reviewer_headers, "2024-01-01", "2024-12-31")["items"]
    pledge = next(line for line in lines if line["rule_code"] == "high_pledge_financing")
    # 1 % of ¥6,000,000 is ¥60,000, capped at ¥50,000; ¥999,999.99 is under the ¥1,000,000 floor.
    assert pledge["amount_fen"] == 5_000_000 and [f["event_key"] for f in pledge["facts"]] == ["Y2024500000001"]


def test_staff_only_and_bad_input(client, small, make_key, reviewer_headers):
    assert client.get("/api/v1/subsidies/lines").status_code == 401
    bank = {"Authorization": f"Bearer {make_key('bank', 'CQRCB')}"}
    assert client.get("/api/v1/subsidies/lines", headers=bank).status_code == 403
    bad = client.post(
        "/api/v1/subsidies/evaluations", json={"start": "2024-02-01", "end": "2024-01-01"}, headers=reviewer_headers
    )
    assert bad.status_code == 400 and bad.json()["code"] == "bad_range"
    unknown = client.post("/api/v1/subsidies/lines/999/paid", json={}, headers=reviewer_headers)
    assert unknown.status_code == 404


def test_xlsx_list_and_cli(client, small, reviewer_headers, database_url, monkeypatch, capsys, tmp_path):
    from service.cli import main

    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    assert main(["subsidies", "evaluate", "--start", "2023-01-01", "--end", "2023-12-31"]) == 0
    # first seen in 2023: foreign grant and award (¥20,000 each), plus production and the pledge
    assert "4 new line(s), ¥62,000.00" in capsys.readouterr().out
    assert main(["subsidies", "evaluate", "--start", "2023-01-01", "--end", "2023-12-31"]) == 0
    assert "0 new line(s), ¥0.00" in capsys.readouterr().out
    response = client.get("/api/v1/subsidies/lines/export", headers=reviewer_headers)
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][:4] == ("序号", "政策项目", "企业名称", "统一社会信用代码")
    assert sorted(r[1] for r in rows[1:]) == [
        "专利奖配套奖励",
        "专利质押融资补贴",
        "国外发明专利授权资助",
        "有效发明专利产业化奖励",
    ]
    assert sorted(r[6] for r in rows[1:]) == [10000.0, 12000.0, 20000.0, 20000.0]
    assert all(r[8] == "待审核支付" for r in rows[1:])
    with transaction(small) as session:
        credit = session.scalar(select(Enterprise.credit_code).where(Enterprise.credit_code == county.E2))
    assert rows[1][3] == credit
    out = tmp_path / "list.xlsx"
    assert main(["subsidies", "pay", str(rows[1][0]), "--reference", "CZ-1"]) == 0
    assert main(["subsidies", "export", "--status", "paid", "--out", str(out)]) == 0
    assert len(list(load_workbook(out).active.values)) == 2
