"""The quarterly report: a workbook with charts and Chinese headings, figures as hand-counted on
the small county (2023Q2: registration Y2023500000123, ¥1,200,000 at 重庆农村商业银行云阳支行 for
装备制造 E2, makes P1 and P2 high value on 2023-06-15)."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
import small_county as county
from openpyxl import load_workbook
from sqlalchemy import select

from service.cli import main
from service.db import transaction
from service.models import Alert, Bank, Patent, Target
from service.statistics.report import BadQuarter, quarter_span


@pytest.fixture
def small(engine, tmp_path):
    county.load_county(engine, tmp_path)
    with transaction(engine) as session:
        session.add_all(
            [
                Target(
                    code="hv",
                    name="高价值发明专利",
                    metric="high_value_patents",
                    figure=12,
                    window_start=date(2022, 9, 22),
                    deadline=date(2024, 12, 31),
                ),
                Target(
                    code="pledge",
                    name="知识产权质押融资",
                    metric="pledge_amount",
                    figure=1_000_000_000,
                    window_start=date(2022, 9, 22),
                    deadline=date(2024, 12, 31),
                ),
            ]
        )
        patent = session.scalar(select(Patent.id).where(Patent.application_no == county.P1))
        bank = session.scalar(select(Bank.id).where(Bank.code == "CQRCB"))
        session.add(
            Alert(
                patent_id=patent,
                bank_id=bank,
                fee_year=12,
                due_date=date(2026, 4, 1),
                grace_end=date(2026, 10, 1),
                stage="grace",
                fee_fen=400_000,
                late_fee_fen=20_000,
                message="第12年年费4000元已到期未缴",
            )
        )
    return engine


def test_quarter_span():
    assert quarter_span("2024q2") == (date(2024, 4, 1), date(2024, 6, 30))
    assert quarter_span("2024Q4") == (date(2024, 10, 1), date(2024, 12, 31))
    for bad in ("2024Q5", "2024-2", "Q2"):
        with pytest.raises(BadQuarter):
            quarter_span(bad)


def _charts(data: bytes) -> list[str]:
    return [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("xl/charts/chart")]


def test_cli_writes_a_workbook_with_charts(small, database_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    out = tmp_path / "r.xlsx"
    assert main(["report", "--quarter", "2023Q2", "--out", str(out)]) == 0
    data = out.read_bytes()
    assert len(_charts(data)) == 6  # series, quarters, clusters, targets, pledges by bank and by cluster
    book = load_workbook(out)
    assert book.sheetnames == [
        "概要",
        "高价值发明专利",
        "申请授权维持",
        "产业集群",
        "目标进度",
        "质押融资按银行",
        "质押融资按产业集群",
        "预警",
    ]
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(min_row=2, values_only=True)}
    assert summary["高价值发明专利（件）"] == 2 and summary["有效发明专利（件）"] == 2
    assert summary["本季度知识产权质押融资额（元）"] == 1_200_000.0 and summary["本季度知识产权质押登记（笔）"] == 1
    assert summary["每万人口高价值发明专利拥有量（件）"] == 0.0215  # 2 × 10,000 / 929,001
    assert summary["未关闭预警（条）"] == 1
    banks = list(book["质押融资按银行"].values)
    assert banks[1] == ("重庆农村商业银行云阳支行", 1_200_000.0, 1)
    assert list(book["质押融资按产业集群"].values)[1][0] == "装备制造"
    series = list(book["高价值发明专利"].values)
    assert series[0][2] == "高价值发明专利（件）" and series[-1][:3] == ("2023-06", 2, 2) and series[-2][2] == 0
    progress = {row[0]: row for row in book["目标进度"].iter_rows(min_row=2, values_only=True)}
    assert progress["hv"][5] == 2 and progress["pledge"][5] == 1_200_000.0
    assert list(book["预警"].values)[1][:3] == (county.P1, "重庆农村商业银行云阳支行", "滞纳期内")
    assert main(["report", "--quarter", "2023Q5", "--out", str(out)]) == 2


def test_api_report_is_staff_only_and_checks_the_quarter(client, small, reviewer_headers):
    assert client.get("/api/v1/statistics/report", params={"quarter": "2023Q2"}).status_code == 401
    response = client.get("/api/v1/statistics/report", params={"quarter": "2023Q2"}, headers=reviewer_headers)
    assert response.status_code == 200 and len(_charts(response.content)) == 6
    bad = client.get("/api/v1/statistics/report", params={"quarter": "2023-06"}, headers=reviewer_headers)
    assert bad.status_code == 400 and bad.json()["code"] == "bad_quarter"
    early = client.get("/api/v1/statistics/report", params={"quarter": "1999Q1"}, headers=reviewer_headers)
    assert early.status_code == 400
