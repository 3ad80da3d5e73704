"""Monitoring and the statistics API on the small county, against hand-counted figures.

The small county's inventions: P1 (E2, 装备制造, filed 2015-04-01, granted 2017-06-01), P2 (E2,
filed 2018-03-05, granted 2020-09-01), P4 (E1, 绿色消费品, filed 2021-01-20, pending); P3 is
E3's utility model. Employees: E1 120, E2 260, E3 45."""

from __future__ import annotations

import io
from datetime import date

import pytest
import small_county as county
from openpyxl import load_workbook
from sqlalchemy import update

from service.db import transaction
from service.models import Patent
from service.statistics.monitoring import monitoring, per_employee, periods


@pytest.fixture
def small(engine, tmp_path):
    county.load_county(engine, tmp_path)
    return engine


def _rows(engine, *args, **kwargs):
    with transaction(engine) as session:
        return [(r["period"], r["group"], r) for r in monitoring(session, *args, **kwargs)]


def test_periods_cover_whole_months_quarters_and_years():
    assert periods("quarter", date(2024, 5, 20), date(2024, 7, 1)) == [
        ("2024Q2", date(2024, 4, 1), date(2024, 6, 30)),
        ("2024Q3", date(2024, 7, 1), date(2024, 9, 30)),
    ]
    assert periods("month", date(2024, 2, 10), date(2024, 2, 10)) == [("2024-02", date(2024, 2, 1), date(2024, 2, 29))]
    assert [p[0] for p in periods("year", date(2020, 6, 1), date(2021, 1, 1))] == ["2020", "2021"]


def test_yearly_counts_and_maintenance_rate(small):
    rows = {(p, g): r for p, g, r in _rows(small, "year", date(2020, 1, 1), date(2021, 12, 31))}
    r2020, r2021 = rows[("2020", "all")], rows[("2021", "all")]
    assert (r2020["applications"], r2020["grants"], r2020["lapses"]) == (0, 1, 0)
    assert (r2020["in_force_end"], r2020["granted_by_end"], r2020["maintenance_rate"]) == (2, 2, 1.0)
    assert (r2021["applications"], r2021["grants"], r2021["in_force_end"]) == (1, 0, 2)
    utility = {
        p: r for p, _, r in _rows(small, "year", date(2020, 1, 1), date(2020, 12, 31), patent_type="utility_model")
    }
    assert utility["2020"]["grants"] == 1 and utility["2020"]["in_force_end"] == 1


def test_by_cluster_town_and_age(small):
    by_cluster = {g: r for p, g, r in _rows(small, "year", date(2021, 1, 1), date(2021, 12, 31), by="cluster")}
    assert set(by_cluster) == {"equipment_manufacturing", "green_consumer"}
    assert by_cluster["green_consumer"]["applications"] == 1
    assert by_cluster["green_consumer"]["maintenance_rate"] is None  # nothing granted yet
    assert by_cluster["equipment_manufacturing"]["in_force_end"] == 2
    by_town = {g for _, g, _ in _rows(small, "year", date(2021, 1, 1), date(2021, 12, 31), by="town")}
    assert by_town == {"青龙街道", "双江街道"}
    # On 2021-12-31 P1 is 6.75 years old, P2 3.8; P4 was filed at age 0.
    by_age = {g: r for _, g, r in _rows(small, "year", date(2021, 1, 1), date(2021, 12, 31), by="age")}
    assert (by_age["0-5"]["applications"], by_age["0-5"]["in_force_end"], by_age["0-5"]["granted_by_end"]) == (1, 1, 1)
    assert (by_age["5-10"]["in_force_end"], by_age["5-10"]["granted_by_end"]) == (1, 1)


def test_a_lapse_is_counted_in_its_quarter_and_lowers_the_maintenance_rate(small):
    with transaction(small) as session:
        session.execute(
            update(Patent)
            .where(Patent.application_no == county.P2)
            .values(legal_status="lapsed", lapse_date=date(2022, 3, 5), fees_paid_through_year=4)
        )
    rows = {p: r for p, _, r in _rows(small, "quarter", date(2021, 10, 1), date(2022, 3, 31))}
    assert (rows["2021Q4"]["lapses"], rows["2021Q4"]["in_force_end"]) == (0, 2)
    assert (rows["2022Q1"]["lapses"], rows["2022Q1"]["in_force_end"], rows["2022Q1"]["granted_by_end"]) == (1, 1, 2)
    assert rows["2022Q1"]["maintenance_rate"] == 0.5


def test_per_ten_thousand_employees(small):
    with transaction(small) as session:
        figure = per_employee(session, date(2021, 12, 31))
    # 2 valid inventions (E2's) over 120 + 260 + 45 = 425 employees: 2 × 10,000 / 425 = 47.06
    assert (figure["invention_patents"], figure["employees"], figure["per_10k_employees"]) == (2, 425, 47.06)
    clusters = {c["industry_cluster"]: c for c in figure["by_cluster"]}
    assert clusters["equipment_manufacturing"]["per_10k_employees"] == 76.92  # 2 × 10,000 / 260
    assert clusters["green_consumer"]["per_10k_employees"] == 0.0


def test_api_is_public_for_aggregates_and_staff_for_exports(client, small, reviewer_headers):
    series = client.get("/api/v1/statistics/high-value", params={"start": "2023-05-01", "end": "2023-06-30"})
    assert series.status_code == 200
    body = series.json()
    assert set(body) == {"items", "total", "limit", "offset"} and body["total"] == 2
    assert [p["high_value_patents"] for p in body["items"]] == [0, 2]
    rows = client.get(
        "/api/v1/statistics/monitoring", params={"start": "2020-01-01", "end": "2021-12-31", "period": "year"}
    ).json()["items"]
    assert [(r["period"], r["grants"]) for r in rows] == [("2020", 1), ("2021", 0)]
    assert client.get("/api/v1/statistics/per-employee", params={"as_of": "2021-12-31"}).json()["employees"] == 425
    assert client.get("/api/v1/statistics/high-value/patents").status_code == 401
    listed = client.get(
        "/api/v1/statistics/high-value/patents", params={"as_of": "2024-01-01"}, headers=reviewer_headers
    )
    assert sorted(p["application_no"] for p in listed.json()["items"]) == sorted([county.P1, county.P2])
    assert client.get("/api/v1/statistics/export").status_code == 401
    xlsx = client.get(
        "/api/v1/statistics/export",
        params={"what": "high-value", "start": "2023-05-01", "end": "2023-06-30", "format": "xlsx"},
        headers=reviewer_headers,
    )
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert values[0][2] == "高价值发明专利（件）" and [v[2] for v in values[1:]] == [0, 2]
    csv = client.get(
        "/api/v1/statistics/export",
        params={"what": "monitoring", "start": "2020-01-01", "end": "2020-12-31", "period": "year", "lang": "en"},
        headers=reviewer_headers,
    )
    assert csv.text.splitlines()[1].startswith("2020,all,invention,0,1,0,2,2,1.0")
    chinese = client.get(
        "/api/v1/statistics/export",
        params={"what": "monitoring", "start": "2020-01-01", "end": "2020-12-31", "period": "year", "by": "cluster"},
        headers=reviewer_headers,
    )
    lines = chinese.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("统计期,分组,专利类型,")
    assert {tuple(line.split(",")[1:3]) for line in lines[1:]} <= {
        (name, "发明专利") for name in ("绿色消费品", "装备制造", "能源电子", "其他")
    } and len(lines) > 1


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"start": "2024-02-01", "end": "2024-01-01"}, "bad_range"),
        ({"start": "1999-12-31"}, "implausible_as_of"),
        ({"period": "week"}, "invalid_request"),
        ({"start": "2024-13-01"}, "invalid_request"),
    ],
)
def test_bad_input_is_a_clear_400(client, small, params, code):
    response = client.get("/api/v1/statistics/monitoring", params=params)
    assert response.status_code == 400 and response.json()["code"] == code


def test_cli_prints_and_exports(small, database_url, monkeypatch, capsys, tmp_path):
    from service.cli import main

    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    assert main(["statistics", "per-employee", "--end", "2021-12-31"]) == 0
    assert "2 valid invention patents / 425 employees = 47.06 per 10,000 employees" in capsys.readouterr().out
    out = tmp_path / "m.xlsx"
    args = ["statistics", "monitoring", "--start", "2020-01-01", "--end", "2021-12-31", "--period", "year"]
    assert main([*args, "--by", "cluster", "--out", str(out)]) == 0
    rows = list(load_workbook(out).active.values)
    assert rows[0][:4] == ("统计期", "分组", "专利类型", "申请量（件）")
    assert rows[-1][:4] == ("2021", "绿色消费品", "发明专利", 1)  # Chinese headers, Chinese names
    assert main(["statistics", "high-value", "--start", "2024-02-01", "--end", "2024-01-01"]) == 2
