"""Dated parameters (valuation/params/dated.py): each valuation uses the rules in force on its date.

Hand-computed expectations (the law and notices are cited in params/fees.toml and eligibility.toml):

* Design term: 10 years for a filing before 2021-06-01, 15 from then on (专利法 2020 第42条);
  expiry = filing + term − 1 day.
* Term compensation counts for inventions granted on or after 2021-06-01.
* Design fee years 11–15: no fee set before 2022-04-01; 3,000 yuan a year from then
  (发改价格〔2022〕465号).
* A pending invalidation request refused the pledge under the 2010 办法; from 2021-11-15 the 2021
  办法 registers it when the parties consent (a non-blocking reason).
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from valuation import Portfolio, load_params, valuate
from valuation.fees import DESIGN, annual_fee, fee_table
from valuation.params import PARAMS_DIR, SECTIONS, Dated, ParameterError, UnresolvedParameter


def one(record, as_of, params=None):
    return valuate(Portfolio.from_records([record]), as_of, params=params, draws=1024).records()[0]


def reason(row, code):
    return next(r for r in row["reasons"] if r["code"] == code)


def test_design_term_follows_the_filing_date(make_record):
    before = make_record(patent_type="design", ipc=None, filing_date=date(2020, 5, 1), grant_date=date(2020, 11, 2))
    after = make_record(patent_type="design", ipc=None, filing_date=date(2022, 5, 1), grant_date=date(2022, 11, 2))
    for as_of in (date(2023, 1, 1), date(2025, 6, 30)):  # the valuation date does not matter
        assert one(before, as_of)["expiry_date"] == date(2030, 4, 30)  # 10 years
        assert one(after, as_of)["expiry_date"] == date(2037, 4, 30)  # 15 years


def test_term_compensation_counts_from_grants_of_2021_06_01(make_record):
    record = make_record(term_compensation_days=100)  # filed 2017-07-25: 20-year term ends 2037-07-24
    assert one({**record, "grant_date": date(2021, 5, 31)}, date(2025, 6, 30))["expiry_date"] == date(2037, 7, 24)
    assert one({**record, "grant_date": date(2021, 6, 1)}, date(2025, 6, 30))["expiry_date"] == date(2037, 11, 1)


def test_design_fees_for_years_11_to_15_exist_from_the_2022_notice():
    design, years = np.array([DESIGN] * 3), np.array([10, 11, 15])
    assert annual_fee(design, years, load_params().at(date(2022, 3, 31))).tolist() == [2000, 0, 0]
    assert annual_fee(design, years, load_params().at(date(2022, 4, 1))).tolist() == [2000, 3000, 3000]


def test_the_engine_prices_fees_with_the_schedule_of_its_valuation_date(make_record):
    record = make_record(patent_type="design", ipc=None, filing_date=date(2021, 7, 1), grant_date=date(2022, 1, 5))
    early = valuate(Portfolio.from_records([record]), date(2022, 3, 1), draws=1024)
    late = valuate(Portfolio.from_records([record]), date(2022, 6, 1), draws=1024)
    assert fee_table(early.params)[DESIGN, 11] == 0 and fee_table(late.params)[DESIGN, 11] == 3000
    assert early.params.as_of == date(2022, 3, 1) and late.params.as_of == date(2022, 6, 1)


def test_a_dated_schedule_reprices_the_same_fee_at_each_date(make_record):
    """A hypothetical schedule change (year 7–9 fee 2,000 → 2,400 from 2025-08-01) on the test
    invention: year 9 is due 2025-07-25 (paid through year 8). On 2025-06-30 the reminder quotes
    2,000; on 2025-08-26 (second month of grace) the overdue fee is 2,400 and the late fee 5 % = 120."""
    tiers = [dict(t) for t in load_params().at(date(2025, 6, 30)).fees["schedule"]["invention"]]
    raised = [dict(t, fee=2400) if t["from"] == 7 else t for t in tiers]
    params = load_params().with_overrides(
        {
            "fees": {
                "schedule": {"invention": {"reference": "test", "values": {"2021-06-01": tiers, "2025-08-01": raised}}}
            }
        }
    )
    due_soon = next(
        f for f in one(make_record(), date(2025, 6, 30), params)["risk_flags"] if f["code"] == "fee_due_soon"
    )
    assert due_soon["values"]["fee"] == Decimal("2000.00")
    overdue = reason(one(make_record(), date(2025, 8, 26), params), "fee_unpaid")
    assert overdue["values"]["fee"] == Decimal("2400.00") and overdue["values"]["late_fee"] == Decimal("120.00")


def test_pending_invalidation_refused_the_pledge_until_the_2021_rules(make_record):
    record = make_record(invalidation_pending=True)
    old = one(record, date(2021, 11, 14))
    assert old["eligible"] is False and reason(old, "invalidation_pending")["blocking"] is True
    assert "2010年" in reason(old, "invalidation_pending")["message"]
    new = one(record, date(2021, 11, 15))
    assert new["eligible"] is True and reason(new, "invalidation_pending")["blocking"] is False


def test_resolution_is_cached_per_date_and_dated_values_need_a_date():
    params = load_params()
    assert params.at(date(2025, 6, 30)) is params.at(date(2025, 6, 30))
    assert params.at(date(2025, 6, 30)).at(date(2020, 1, 1)) is params.at(date(2020, 1, 1))
    with pytest.raises(UnresolvedParameter, match=r"fees\.schedule\.invention is dated by valuation_date"):
        fee_table(params)
    term = params.fees["term_years"]["design"]
    assert isinstance(term, Dated) and term.by == "filing_date"
    assert term.at(date(2021, 5, 31)) == 10 and term.at(date(2021, 6, 1)) == 15
    assert term.at(date(1990, 1, 1)) == 10  # the earliest entry stands for earlier dates


def test_every_dated_value_names_its_source():
    names = {d.name: d for d in load_params().dated()}
    assert {
        "fees.term_years.design",
        "fees.term_compensation",
        "fees.schedule.design",
        "fees.reduction.years_from_grant",
        "eligibility.invalidation_pending_blocks",
    } <= set(names)
    assert all(d.reference and list(d.dates) == sorted(d.dates) for d in names.values())


@pytest.fixture
def params_dir(tmp_path: Path) -> Path:
    for name in SECTIONS:
        shutil.copy(PARAMS_DIR / f"{name}.toml", tmp_path / f"{name}.toml")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "key", "problem"),
    [
        (
            "eligibility",
            "min_remaining_term_years = 3.0",
            'min_remaining_term_years = "3"',
            "eligibility.min_remaining_term_years",
            "expected a number",
        ),
        ("fees", "months = 6\n", "", "fees.grace.months", "missing required key"),
        (
            "fees",
            "values = { 1993-01-01 = 10, 2021-06-01 = 15 }",
            "values = { 1993-01-01 = 10, 2021-13-01 = 15 }",
            "fees.term_years.design.values",
            "not an ISO date",
        ),
        (
            "eligibility",
            "values = { 2010-10-01 = true, 2021-11-15 = false }",
            "values = { 2010-10-01 = true, 2021-11-15 = 0 }",
            "eligibility.invalidation_pending_blocks.values",
            "mix value types",
        ),
        ("fees", 'by = "grant_date"', 'by = "payment_date"', "fees.term_compensation.by", "not one of"),
        (
            "fees",
            "{ from = 4, to = 6, fee = 1200 }",
            "{ from = 5, to = 6, fee = 1200 }",
            "fees.schedule.invention",
            "contiguous",
        ),
        ("income", "pledge_rate = 0.25", "pledge_rate = 1.5", "income.pledge_rate", "(0, 1]"),
        ("scoring", "[grades]", "[grades\n", "scoring", "not valid TOML"),
    ],
)
def test_a_malformed_file_names_file_key_and_problem(params_dir, file, old, new, key, problem):
    edit(params_dir / f"{file}.toml", old, new)
    with pytest.raises(ParameterError) as caught:
        load_params(params_dir)
    error = caught.value
    assert error.file == str(params_dir / f"{file}.toml")
    assert error.key == key and problem in error.problem
    assert str(error).startswith(f"{params_dir / file}.toml: {key}: ")


def test_a_dated_value_without_reference_is_rejected(params_dir):
    path = params_dir / "eligibility.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index('reference = """专利权质押登记办法')
    end = text.index('"""', start + len('reference = """')) + 3
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(
        ParameterError, match=r"eligibility\.invalidation_pending_blocks: a dated value needs a 'reference'"
    ):
        load_params(params_dir)
