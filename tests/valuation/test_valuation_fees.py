"""Annual-fee rules against hand-computed examples (DESIGN.md §4, params/fees.toml).

Fee schedule (full fee, yuan): invention 900 (years 1–3), 1,200 (4–6), 2,000 (7–9), 4,000 (10–12),
6,000 (13–15), 8,000 (16–20); utility model 600 (1–3), 900 (4–5), 1,200 (6–8), 2,000 (9–10).
Fee year k is due on the (k−1)-th anniversary of filing; grace period 6 months; late fee 0 in the
first month, then 5 % of the fee per further month begun, at most 25 %.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from valuation.fees import (
    DESIGN,
    INVENTION,
    UTILITY_MODEL,
    add_months,
    annual_fee,
    expiry_dates,
    fee_status,
    late_fee_rate,
)


def d(text: str) -> np.datetime64:
    return np.datetime64(text, "D")


@pytest.mark.parametrize(
    ("kind", "year", "fee"),
    [
        (INVENTION, 1, 900),
        (INVENTION, 3, 900),
        (INVENTION, 4, 1200),
        (INVENTION, 6, 1200),
        (INVENTION, 7, 2000),
        (INVENTION, 9, 2000),
        (INVENTION, 10, 4000),
        (INVENTION, 12, 4000),
        (INVENTION, 13, 6000),
        (INVENTION, 15, 6000),
        (INVENTION, 16, 8000),
        (INVENTION, 20, 8000),
        (INVENTION, 21, 0),
        (UTILITY_MODEL, 1, 600),
        (UTILITY_MODEL, 3, 600),
        (UTILITY_MODEL, 4, 900),
        (UTILITY_MODEL, 5, 900),
        (UTILITY_MODEL, 6, 1200),
        (UTILITY_MODEL, 8, 1200),
        (UTILITY_MODEL, 9, 2000),
        (UTILITY_MODEL, 10, 2000),
        (UTILITY_MODEL, 11, 0),
    ],
)
def test_fee_schedule(params, kind, year, fee):
    assert annual_fee(np.array([kind]), np.array([year]), params)[0] == fee


def test_month_arithmetic_clamps_to_month_end():
    got = add_months(
        np.array([d("2024-08-31"), d("2024-01-31"), d("2016-02-29"), d("2025-01-31")]), np.array([1, 1, 12, 1])
    )
    assert got.tolist() == [date(2024, 9, 30), date(2024, 2, 29), date(2017, 2, 28), date(2025, 2, 28)]


@pytest.mark.parametrize(
    ("kind", "filing", "grant", "comp", "expected"),
    [
        (INVENTION, "2017-07-25", "2022-03-10", 0, "2037-07-24"),
        (INVENTION, "2017-07-25", "2022-03-10", 100, "2037-11-01"),  # 7 + 31 + 30 + 31 + 1 days
        (INVENTION, "2017-07-25", "2021-05-31", 100, "2037-07-24"),  # granted before compensation existed
        (INVENTION, "2017-07-25", "NaT", 100, "2037-11-01"),  # pending: granted under today's law
        (UTILITY_MODEL, "2020-03-01", "2020-09-01", 0, "2030-02-28"),
        (UTILITY_MODEL, "2020-03-01", "2022-09-01", 100, "2030-02-28"),  # compensation only for inventions
        (DESIGN, "2021-06-01", "2021-12-01", 0, "2036-05-31"),  # 15 years since 2021-06-01
        (DESIGN, "2021-05-31", "2021-12-01", 0, "2031-05-30"),  # 10 years before
        (INVENTION, "2016-02-29", "2019-01-01", 0, "2036-02-28"),
    ],
)
def test_expiry(params, kind, filing, grant, comp, expected):
    got = expiry_dates(
        np.array([kind]), np.array([d(filing)]), np.array([float(comp)]), params, grant=np.array([d(grant)])
    )[0]
    assert got == d(expected)


# Invention filed 2017-07-25, fees paid through year 8: year 9 (¥2,000) due 2025-07-25,
# grace period to 2026-01-25.
@pytest.mark.parametrize(
    ("as_of", "overdue", "past_grace", "late_fee"),
    [
        ("2025-06-30", False, False, 0.0),  # before the due date
        ("2025-07-25", False, False, 0.0),  # on the due date: on time
        ("2025-07-26", True, False, 0.0),  # first month of grace: no late fee
        ("2025-08-25", True, False, 0.0),  # last day of the first month
        ("2025-08-26", True, False, 100.0),  # second month: 5 % of 2,000
        ("2025-09-25", True, False, 100.0),
        ("2025-09-26", True, False, 200.0),  # third month: 10 %
        ("2025-10-26", True, False, 300.0),  # fourth month: 15 %
        ("2025-12-25", True, False, 400.0),  # fifth month: 20 %
        ("2025-12-26", True, False, 500.0),  # sixth month: 25 %
        ("2026-01-25", True, False, 500.0),  # last day of grace
        ("2026-01-26", False, True, 0.0),  # lapsed, backdated to 2025-07-25
    ],
)
def test_grace_period_and_late_fee(params, as_of, overdue, past_grace, late_fee):
    status = fee_status(
        np.array([INVENTION]), np.array([d("2017-07-25")]), np.array([8.0]), np.array([True]), d(as_of), params
    )
    assert status.next_fee_year[0] == 9
    assert status.next_due[0] == d("2025-07-25")
    assert status.next_fee[0] == 2000
    assert status.grace_end[0] == d("2026-01-25")
    assert bool(status.overdue[0]) is overdue
    assert bool(status.past_grace[0]) is past_grace
    assert status.late_fee[0] == pytest.approx(late_fee)


def test_utility_model_late_fee(params):
    # Filed 2020-03-01, paid through year 5: year 6 (¥1,200) due 2025-03-01; on 2025-04-15 it is
    # in the second month after the due date → 5 % = ¥60.
    status = fee_status(
        np.array([UTILITY_MODEL]),
        np.array([d("2020-03-01")]),
        np.array([5.0]),
        np.array([True]),
        d("2025-04-15"),
        params,
    )
    assert status.next_due[0] == d("2025-03-01")
    assert status.next_fee[0] == 1200
    assert status.overdue[0]
    assert status.late_fee[0] == pytest.approx(60.0)


def test_late_fee_rate_caps_and_lapses(params):
    due = d("2025-01-31")
    paid = np.array([d("2025-02-28"), d("2025-03-01"), d("2025-07-31"), d("2025-08-01")])
    rates = late_fee_rate(np.full(4, due), paid, params)
    assert rates[:3].tolist() == pytest.approx([0.0, 0.05, 0.25])
    assert np.isnan(rates[3])  # after the grace period: too late, the patent has lapsed


def test_no_fee_after_last_year_or_when_not_applicable(params):
    status = fee_status(
        np.array([UTILITY_MODEL, INVENTION, INVENTION]),
        np.array([d("2016-01-10"), d("2017-07-25"), d("2017-07-25")]),
        np.array([10.0, np.nan, 8.0]),
        np.array([True, True, False]),
        d("2025-06-30"),
        params,
    )
    assert not status.applies.any()
    assert np.isnat(status.next_due).all()
    assert not status.overdue.any() and not status.past_grace.any()
