"""Patent stock on past dates (valuation/stock.py) against hand-worked cases."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from valuation import Portfolio, load_params
from valuation.stock import PledgeHistory, lapse_dates, month_ends, per_10k, stock_on

# An IPC and title outside the strategic-emerging concordance, so only the flag under test fires.
PLAIN = {"ipc": "A47G 21/00", "title": "一种筷子收纳架"}


@pytest.fixture
def plain(make_record):
    def make(**changes):
        return make_record(**(PLAIN | {"pct": False, "granted_abroad": False, "award": "none"} | changes))

    return make


def test_plain_patent_is_not_strategic(plain):
    from valuation.rules import strategic_emerging

    assert not strategic_emerging(Portfolio.from_records([plain()])).hit.any()


def test_maintained_over_ten_years_counts_from_the_month_it_passes_ten_years(plain):
    # Filed 2010-03-01: 2020-02-29 is 3652 days = 9.9986 years; 2020-03-31 is 3683 days = 10.08.
    record = plain(filing_date=date(2010, 3, 1), grant_date=date(2013, 5, 10), fees_paid_through_year=16)
    days = month_ends(np.datetime64("2020-01-15"), np.datetime64("2020-04-02"))
    assert days.tolist() == [date(2020, 1, 31), date(2020, 2, 29), date(2020, 3, 31), date(2020, 4, 30)]
    stock = stock_on(Portfolio.from_records([record]), days, load_params())
    assert stock.in_force[0].tolist() == [True] * 4
    assert stock.high_value_counts().tolist() == [0, 0, 1, 1]
    assert stock.flags[0, 2].tolist() == [False, False, True, False, False]


def test_a_patent_lapsed_later_was_in_force_and_high_value_before_its_lapse(make_record):
    record = make_record(
        legal_status="lapsed", lapse_date=date(2023, 6, 15), fees_paid_through_year=3, granted_abroad=True
    )
    days = np.array(["2023-05-31", "2023-06-14", "2023-06-15", "2023-06-30"], dtype="datetime64[D]")
    stock = stock_on(Portfolio.from_records([record]), days, load_params())
    assert stock.in_force[0].tolist() == [True, True, False, False]
    assert stock.high_value[0].tolist() == [True, True, False, False]
    assert stock.flags[0, 0].tolist() == [False, True, False, False, False]


def test_lapse_without_a_date_is_the_first_unpaid_fee_due_date(plain):
    # Filed 2012-01-10, paid through year 5: year 6 fell due on 2017-01-10 and was never paid.
    record = plain(
        filing_date=date(2012, 1, 10), grant_date=date(2014, 2, 1), legal_status="lapsed", fees_paid_through_year=5
    )
    portfolio = Portfolio.from_records([record])
    assert lapse_dates(portfolio).tolist() == [date(2017, 1, 10)]
    days = np.array(["2017-01-09", "2017-01-10"], dtype="datetime64[D]")
    assert stock_on(portfolio, days, load_params()).in_force[0].tolist() == [True, False]


def test_pending_invalidated_and_not_yet_granted_are_never_in_force(make_record):
    records = [
        make_record(legal_status="pending", grant_date=None, fees_paid_through_year=None, granted_abroad=True),
        make_record(legal_status="invalidated", granted_abroad=True),
        make_record(grant_date=date(2021, 6, 10), granted_abroad=True),
    ]
    days = np.array(["2021-05-31", "2021-06-30"], dtype="datetime64[D]")
    stock = stock_on(Portfolio.from_records(records), days, load_params())
    assert stock.in_force.tolist() == [[False, False], [False, False], [False, True]]
    assert stock.high_value_counts().tolist() == [0, 1]


def test_a_valid_patent_leaves_the_stock_when_the_grace_period_ends(plain):
    # Filed 2015-08-20, paid through year 6: year 7 due 2021-08-20, grace until 2022-02-20.
    record = plain(filing_date=date(2015, 8, 20), grant_date=date(2018, 1, 5), fees_paid_through_year=6)
    days = np.array(["2022-01-31", "2022-02-20", "2022-02-21"], dtype="datetime64[D]")
    stock = stock_on(Portfolio.from_records([record]), days, load_params())
    assert stock.in_force[0].tolist() == [True, True, False]


def test_pledge_amount_counts_from_its_registration_date_and_at_the_threshold(plain):
    records = [plain(application_no=f"20181000000{i}.X", fees_paid_through_year=8) for i in range(2)]
    pledges = PledgeHistory(
        patent=np.array([0, 1, 0]),
        day=np.array(["2021-04-10", "2021-04-10", "2019-01-01"], dtype="datetime64[D]"),
        amount_yuan=np.array([1_000_000.0, 999_999.99, 20_000.0]),
    )
    days = np.array(["2021-03-31", "2021-04-30"], dtype="datetime64[D]")
    stock = stock_on(Portfolio.from_records(records), days, load_params(), pledges)
    assert stock.high_value.tolist() == [[False, True], [False, False]]
    assert stock.flags[0, 1, 3] and not stock.flags[0, 0, 3]


def test_granted_abroad_and_awards_are_undated_and_count_whenever_in_force(plain):
    records = [plain(granted_abroad=True), plain(award="china_patent_excellent"), plain(patent_type="utility_model")]
    records[2]["granted_abroad"] = True
    days = np.array(["2020-03-09", "2020-03-10"], dtype="datetime64[D]")  # granted 2020-03-10
    stock = stock_on(Portfolio.from_records(records), days, load_params())
    assert stock.high_value.tolist() == [[False, True], [False, True], [False, False]]
    assert stock.invention_counts(Portfolio.from_records(records).kind == 0).tolist() == [0, 2]


def test_per_ten_thousand_residents():
    # 12 patents in a county of 929,001 residents: 12 × 10,000 / 929,001 = 0.129171…
    assert per_10k(np.array([12]), np.array([929_001]))[0] == pytest.approx(0.1291710, abs=1e-7)
    assert np.isnan(per_10k(np.array([3]), np.array([0]))[0])
