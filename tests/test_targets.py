"""Targets: sums against hand-computed figures, window edges, as_of in the past, the high-value count,
the API (progress with its model), CLI bars and exports."""

from __future__ import annotations

import copy
import csv
import io
from datetime import date

import pytest
import small_county as county
from openpyxl import load_workbook
from sqlalchemy import select

from service.cli import main
from service.db import transaction
from service.imports import import_table, read_path
from service.models import Target
from service.targets.service import target_progress

PLAN_START, PLAN_END = date(2022, 9, 22), date(2024, 12, 31)


def pledge(number, day, amount_yuan, patent, *, released="2025-01-31", enterprise=county.E2, name=None):
    return {
        **county.PLEDGES[0],
        "registration_no": number,
        "registration_date": day,
        "amount_yuan": amount_yuan,
        "patents": patent,
        "released_date": released,
        "enterprise_credit_code": enterprise,
        "loan_start": day,
        "loan_end": "2026-12-31",
    }


@pytest.fixture
def plan(engine, tmp_path):
    """The small county plus registrations on, just inside and just outside the window's edges."""
    county.load_county(engine, tmp_path)
    rows = [
        pledge("Y2022500000001", "2022-09-21", "500000", county.P2),  # a day before the start: out
        pledge("Y2022500000002", "2022-09-22", "300000", county.P2),  # on the start: in
        pledge("Y2024500000003", "2024-12-31", "450000.50", county.P2),  # on the deadline: in
        pledge("Y2025500000004", "2025-01-01", "700000", county.P2),  # a day after: out
    ]
    with transaction(engine) as session:
        import_table(session, "pledges", read_path(county.write_csv(tmp_path / "more.csv", rows)))
        session.add_all(
            [
                Target(
                    code="pledge",
                    name="新增知识产权质押融资",
                    metric="pledge_amount",
                    figure=1_000_000_000,
                    window_start=PLAN_START,
                    deadline=PLAN_END,
                    source="plan",
                ),
                Target(
                    code="standard",
                    name="新增贯标企业",
                    metric="ip_standard_enterprises",
                    figure=5,
                    window_start=PLAN_START,
                    deadline=PLAN_END,
                ),
                Target(
                    code="advantage",
                    name="新增知识产权优势企业",
                    metric="ip_advantage_enterprises",
                    figure=5,
                    window_start=PLAN_START,
                    deadline=PLAN_END,
                ),
                Target(
                    code="high_value",
                    name="高价值发明专利",
                    metric="high_value_patents",
                    figure=12,
                    window_start=PLAN_START,
                    deadline=PLAN_END,
                ),
            ]
        )
    with transaction(engine) as session:
        return {t.code: t.id for t in session.scalars(select(Target)).all()}


def progress(engine, code, as_of, **kwargs):
    with transaction(engine) as session:
        target = session.scalars(select(Target).where(Target.code == code)).one()
        return target_progress(session, target, as_of, draws=2000, **kwargs)


def test_pledge_sum_counts_both_window_edges_and_nothing_outside(engine, plan):
    # In the window: 300,000 (start) + 1,200,000 (2023-06-15) + 450,000.50 (deadline) yuan.
    result = progress(engine, "pledge", date(2026, 11, 26))
    assert result["achieved"] == 30_000_000 + 120_000_000 + 45_000_050
    assert result["window_closed"] and result["projection"]["status"] == "final"
    assert result["projection"]["probability"] == 0.0
    monthly = result["monthly"]
    assert monthly[0]["month"] == "2022-09" and monthly[-1]["month"] == "2024-12" and len(monthly) == 28
    assert monthly[-1]["cumulative_fen"] == result["achieved"]


def test_as_of_in_the_past_sees_only_what_had_happened(engine, plan):
    assert progress(engine, "pledge", date(2023, 6, 14))["achieved"] == 30_000_000
    before = progress(engine, "pledge", date(2023, 6, 15))
    assert before["achieved"] == 150_000_000
    assert before["days_left"] == (PLAN_END - date(2023, 6, 15)).days
    projection = before["projection"]
    assert projection["status"] == "projected" and 0.0 <= projection["probability"] <= 1.0
    assert projection["model"]["name"] == "compound_poisson"
    # Two registrations over the exposure: the actual run-rate is their sum per month of exposure.
    exposure_months = ((date(2023, 6, 15) - PLAN_START).days + 1) / (365.25 / 12)
    assert projection["rate_per_month"] == pytest.approx(150_000_000 / exposure_months, rel=1e-6)


def test_breakdowns_by_bank_cluster_and_product(engine, plan):
    result = progress(engine, "pledge", date(2025, 6, 30))
    banks = {row["key"]: row["amount"] for row in result["breakdowns"]["bank"]}
    assert banks == {"CQRCB": 195_000_050}
    products = {row["key"]: row["amount"] for row in result["breakdowns"]["product"]}
    assert products == {"IPLOAN": 195_000_050}
    assert sum(row["share"] for row in result["breakdowns"]["industry_cluster"]) == pytest.approx(1.0)


def test_certification_counts_by_date_in_window(engine, plan):
    # ip_standard: E3 on 2022-09-22 (start) and E2 on 2024-12-31 (deadline); ip_advantage: E1 on 2023-05-10.
    assert progress(engine, "standard", date(2025, 1, 1))["achieved"] == 2
    assert progress(engine, "standard", date(2024, 12, 30))["achieved"] == 1
    assert progress(engine, "advantage", date(2025, 1, 1))["achieved"] == 1


def test_high_value_count_is_judged_from_the_data_on_each_date(engine, plan):
    # P1 and P2 (inventions of E2, IPCs outside the strategic table, not abroad, no award) become
    # high value when registration Y2023500000123 (¥1,200,000 ≥ the ¥1,000,000 threshold) is
    # dated, 2023-06-15; P3 is a utility model and P4 is pending: never. Stored valuations play no part.
    assert progress(engine, "high_value", date(2023, 6, 14))["achieved"] == 0
    assert progress(engine, "high_value", date(2023, 6, 15))["achieved"] == 2
    late = progress(engine, "high_value", date(2026, 1, 1))  # a closed window counts on its deadline
    assert late["achieved"] == 2
    monthly = {m["month"]: m["count"] for m in late["monthly"]}
    assert monthly["2022-09"] == 0 and monthly["2023-05"] == 0 and monthly["2023-06"] == 2
    assert list(monthly)[-1] == "2024-12" and len(monthly) == 28
    assert late["breakdowns"]["industry_cluster"] == [
        {"key": "equipment_manufacturing", "amount": 2, "count": 2, "share": 1.0}
    ]


def test_progress_api_states_probability_and_model(client, plan, reviewer_headers):
    targets = client.get("/api/v1/targets").json()["items"]
    assert {t["code"] for t in targets} == set(plan)
    body = client.get(
        f"/api/v1/targets/{plan['pledge']}/progress", params={"as_of": "2024-01-31"}, headers=reviewer_headers
    ).json()
    assert body["achieved"] == 150_000_000 and body["unit"] == "fen"
    assert 0 <= body["projection"]["probability"] <= 1 and body["projection"]["model"]["assumptions"]
    assert client.get("/api/v1/targets/999/progress").status_code == 404
    assert client.get(f"/api/v1/targets/{plan['pledge']}/progress", params={"as_of": "yesterday"}).status_code == 400


def test_adding_a_target_needs_admin_and_valid_data(client, admin_headers, reviewer_headers, plan):
    new = {
        "code": "pledge-2026",
        "name": "2026年质押融资",
        "metric": "pledge_amount",
        "figure": 500_000_000,
        "window_start": "2026-01-01",
        "deadline": "2026-12-31",
    }
    assert client.post("/api/v1/targets", json=new, headers=reviewer_headers).status_code == 403
    assert client.post("/api/v1/targets", json=new, headers=admin_headers).status_code == 201
    assert client.post("/api/v1/targets", json=new, headers=admin_headers).json()["code"] == "target_exists"
    bad = {**new, "code": "x", "deadline": "2025-01-01"}
    assert client.post("/api/v1/targets", json=bad, headers=admin_headers).status_code == 422
    assert client.post("/api/v1/targets", json={**new, "figure": -5}, headers=admin_headers).status_code == 400


def test_exports_neutralise_formulas_and_offer_chinese_headers(client, engine, tmp_path, plan, reviewer_headers):
    rows = copy.deepcopy(county.ENTERPRISES)
    rows[1]["name"] = '=HYPERLINK("http://x")精工'
    with transaction(engine) as session:
        import_table(session, "enterprises", read_path(county.write_csv(tmp_path / "e.csv", rows)))
    url = f"/api/v1/targets/{plan['pledge']}/export"
    wrong = client.get(
        f"/api/v1/targets/{plan['standard']}/export", params={"what": "registrations"}, headers=reviewer_headers
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "no_registrations"
    assert client.get(url).status_code == 401
    response = client.get(
        url, params={"what": "registrations", "lang": "zh", "as_of": "2025-06-30"}, headers=reviewer_headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][0] == "质押登记号" and len(table) == 1 + 3
    assert {row[2] for row in table[1:]} == {'\'=HYPERLINK("http://x")精工'}
    # lang=zh names the codes too: cluster and IP type in Chinese
    named = [dict(zip(table[0], row, strict=True)) for row in table[1:]]
    assert {row["产业集群"] for row in named} == {"装备制造"} and {row["知识产权类型"] for row in named} == {"专利"}
    for lang, metric, status in (("zh", "知识产权质押融资额", "期限已到"), ("en", "pledge_amount", "final")):
        progress = client.get(
            url, params={"what": "progress", "lang": lang, "as_of": "2025-06-30"}, headers=reviewer_headers
        )
        header, row = list(csv.reader(io.StringIO(progress.content.decode("utf-8-sig"))))
        assert (row[2], row[3], row[-1]) == (metric, "元" if lang == "zh" else "yuan", status), row
    response = client.get(
        url, params={"what": "progress", "format": "xlsx", "as_of": "2025-06-30"}, headers=reviewer_headers
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, values = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert dict(zip(header, values, strict=True))["achieved"] == pytest.approx(1_950_000.50)


def test_target_codes_as_the_demo_writes_them(client, admin_headers, plan):
    body = {
        "code": "YY2026-PLEDGE",
        "name": "2026年质押融资",
        "metric": "pledge_amount",
        "figure": 500_000_000,
        "window_start": "2026-01-01",
        "deadline": "2026-12-31",
    }
    assert client.post("/api/v1/targets", json=body, headers=admin_headers).status_code == 201
    assert client.post("/api/v1/targets", json={**body, "code": "空格 不行"}, headers=admin_headers).status_code in (
        400,
        422,
    )


def test_exporting_registrations_of_two_pledge_targets_is_refused_not_guessed(
    engine, plan, database_url, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    common = ["--metric", "pledge_amount", "--figure", "1000000", "--start", "2025-01-01", "--deadline", "2025-12-31"]
    assert main(["targets", "add", "--code", "pledge-2025", "--name", "2025年质押", *common]) == 0
    capsys.readouterr()
    out = tmp_path / "r.csv"
    assert main(["targets", "export", "--what", "registrations", "--out", str(out)]) == 1
    assert "2 pledge_amount targets (pledge, pledge-2025)" in capsys.readouterr().err and not out.exists()


def test_cli_prints_bars_and_exports(engine, plan, database_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    assert main(["targets", "--as-of", "2024-06-30"]) == 0
    out = capsys.readouterr().out
    assert "新增知识产权质押融资" in out and "█" in out and "¥1,500,000 / ¥10,000,000" in out
    assert (
        main(
            [
                "targets",
                "export",
                "--what",
                "registrations",
                "--code",
                "pledge",
                "--as-of",
                "2025-01-01",
                "--out",
                str(tmp_path / "r.xlsx"),
            ]
        )
        == 0
    )
    assert load_workbook(tmp_path / "r.xlsx").active.max_row == 1 + 3
    assert (
        main(
            [
                "targets",
                "add",
                "--code",
                "later",
                "--name",
                "后续",
                "--metric",
                "pledge_amount",
                "--figure",
                "8000000",
                "--start",
                "2025-01-01",
                "--deadline",
                "2026-12-31",
            ]
        )
        == 0
    )
    with transaction(engine) as session:
        assert session.scalars(select(Target.figure).where(Target.code == "later")).one() == 800_000_000


def test_demo_pledge_target_equals_the_sum_of_its_registrations(client, engine, reviewer_headers):
    from decimal import Decimal

    from service.demo import build_demo
    from service.seed import load_demo

    load_demo(engine)
    rows = build_demo().tables["pledges"]
    # Independent of the service: the demo's own pledge rows, summed in yuan from their text.
    in_window = [r for r in rows if "2022-09-22" <= r["registration_date"] <= "2024-12-31"]
    expected_fen = int(sum(Decimal(r["amount_yuan"]) for r in in_window) * 100)
    target = next(
        t
        for t in client.get("/api/v1/targets").json()["items"]
        if t["metric"] == "pledge_amount" and t["window_start"] == "2022-09-22"
    )
    body = client.get(
        f"/api/v1/targets/{target['id']}/progress", params={"as_of": "2024-06-30"}, headers=reviewer_headers
    ).json()
    registered_by_then = sum(
        int(Decimal(r["amount_yuan"]) * 100) for r in in_window if r["registration_date"] <= "2024-06-30"
    )
    assert body["achieved"] == registered_by_then
    assert body["projection"]["probability"] is not None and body["projection"]["model"]["name"] == "compound_poisson"
    final = client.get(
        f"/api/v1/targets/{target['id']}/progress", params={"as_of": "2026-11-26"}, headers=reviewer_headers
    ).json()
    assert final["achieved"] == expected_fen and final["projection"]["status"] == "final"
