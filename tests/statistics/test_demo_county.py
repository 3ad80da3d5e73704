"""The demo county against the plan's baseline (issue 14 "must show"): a handful of high-value
invention patents on 2022-09-30, a monthly series rising toward the plan's 12, a 免申即享 list for
2023 that names enterprises with their basis, and a second evaluation after payment adding nothing."""

from __future__ import annotations

from datetime import date

from service.db import transaction
from service.seed import load_demo
from service.statistics import service as statistics


def test_demo_county_high_value_stock_and_subsidies(client, engine, reviewer_headers):
    load_demo(engine)
    with transaction(engine) as session:
        series = {p["month"]: p for p in statistics.high_value_series(session, date(2022, 1, 1), date(2024, 12, 31))}
    september = series["2022-09"]
    assert september["as_of"] == date(2022, 9, 30)
    assert 1 <= september["high_value_patents"] <= 6  # a handful
    assert 40 <= september["invention_patents"] <= 90  # ≈ 0.4–1 valid invention per 10,000 residents
    end = series["2024-12"]["high_value_patents"]
    assert 10 <= end <= 20 and end > 2 * september["high_value_patents"]  # rising toward the plan's 12
    progress = client.get("/api/v1/targets").json()["items"]
    hvp = next(t for t in progress if t["code"] == "YY2022-HVP")
    achieved = client.get(f"/api/v1/targets/{hvp['id']}/progress", params={"as_of": "2024-12-31"}).json()["achieved"]
    assert achieved == end

    evaluation = {"start": "2023-01-01", "end": "2023-12-31"}
    first = client.post("/api/v1/subsidies/evaluations", json=evaluation, headers=reviewer_headers).json()
    assert first["lines_added"] >= 5
    assert all(line["enterprise"] and line["facts"] and line["facts"][0]["fact"] for line in first["items"])
    assert {"domestic_invention_grant", "production_with_valid_invention"} <= {i["rule_code"] for i in first["items"]}
    for line in first["items"]:
        paid = client.post(f"/api/v1/subsidies/lines/{line['id']}/paid", json={}, headers=reviewer_headers)
        assert paid.status_code == 201
    again = client.post("/api/v1/subsidies/evaluations", json=evaluation, headers=reviewer_headers).json()
    assert again["lines_added"] == 0 and again["amount_fen"] == 0
