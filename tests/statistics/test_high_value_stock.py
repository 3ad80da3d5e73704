"""High-value stock on past dates from the data (issue 14 item 1), on the small county."""

from __future__ import annotations

from datetime import date

import pytest
import small_county as county
from sqlalchemy import update

from service.db import transaction
from service.models import Patent
from service.statistics import service as statistics


@pytest.fixture
def small(engine, tmp_path):
    county.load_county(engine, tmp_path)
    return engine


def test_population_is_dated_configuration_with_its_source():
    assert statistics.population_on(date(2024, 6, 30)) == 929_001
    assert statistics.population_on(date(2019, 1, 1)) == 929_001  # the earliest entry stands for earlier dates
    assert "第七次全国人口普查" in statistics.population_source()


def test_monthly_series_from_registrations_and_dates(small):
    # P1 and P2 (E2's inventions) are high value from 2023-06-15, when the ¥1,200,000 registration
    # pledging both is dated; the series' last point is the date asked for.
    with transaction(small) as session:
        points = statistics.high_value_series(session, date(2023, 5, 1), date(2023, 7, 15))
    assert [p["as_of"] for p in points] == [date(2023, 5, 31), date(2023, 6, 30), date(2023, 7, 15)]
    assert [p["high_value_patents"] for p in points] == [0, 2, 2]
    assert [p["invention_patents"] for p in points] == [2, 2, 2]  # P4 is pending
    assert points[1]["by_flag"] == {
        "strategic_emerging": 0,
        "granted_abroad": 0,
        "maintained_10y": 0,
        "high_pledge_amount": 2,
        "award": 0,
    }
    # 2 × 10,000 / 929,001 residents = 0.021528 → 0.0215 per 10,000
    assert points[1]["high_value_per_10k_residents"] == pytest.approx(0.0215)
    assert points[1]["population"] == 929_001


def test_a_patent_lapsed_since_still_counts_before_its_lapse(small):
    # P1 (filed 2015-04-01) lapses 2025-04-01 (fee year 11 unpaid): it was high value before.
    with transaction(small) as session:
        session.execute(
            update(Patent)
            .where(Patent.application_no == county.P1)
            .values(legal_status="lapsed", lapse_date=date(2025, 4, 1), fees_paid_through_year=10)
        )
    with transaction(small) as session:
        before = statistics.high_value_patents_on(session, date(2025, 3, 31))
        after = statistics.high_value_patents_on(session, date(2025, 4, 1))
    assert sorted(p["application_no"] for p in before) == sorted([county.P1, county.P2])
    assert [p["application_no"] for p in after] == [county.P2]
    p1 = next(p for p in before if p["application_no"] == county.P1)
    # 2025-03-31 is 3652 days after filing: 9.9986 years, not yet "over ten years"
    assert p1["flags"] == ["high_pledge_amount"] and p1["industry_cluster"] == "equipment_manufacturing"
