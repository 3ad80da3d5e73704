"""Each eligibility rule with a passing and a failing case, the proposed amount, and the pledged patents.

The baseline enterprise/product of conftest match: one grade-B patent with P10 ¥10,000,000 at a
30 % pledge rate supports ¥3,000,000; the product lends ¥500,000–5,000,000.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from matching import eligibility

Y = 100  # fen per yuan


def one(build, ent=None, prod=None, **kw):
    """Evaluate one enterprise against one product."""
    ent = ent or build.enterprise()
    prod = prod or build.product()
    [result] = eligibility(ent, [prod], build.AS_OF, **kw)
    return result


def codes(result) -> set[str]:
    return set(result.failure_codes)


def test_baseline_is_eligible_with_amount_from_collateral(build):
    r = one(build)
    assert r.eligible and r.failures == ()
    assert r.amount_basis == "collateral_capacity"
    assert r.capacity_fen == 3_000_000 * Y
    assert r.amount_fen == 3_000_000 * Y
    assert [p.application_no for p in r.patents] == ["202010000001.1"]
    assert 0.0 <= r.fit <= 1.0 and r.rank == 1


# ---- amount range --------------------------------------------------------------------------


def test_amount_below_min(build):
    fail = one(build, build.enterprise(need_amount_fen=300_000 * Y))
    assert codes(fail) == {"amount_below_min"}
    [f] = fail.failures
    assert f.values == {"need_amount_fen": 300_000 * Y, "min_amount_fen": 500_000 * Y}
    assert "低于产品最低额度" in f.message and "300,000.00元" in f.message
    ok = one(build, build.enterprise(need_amount_fen=500_000 * Y))
    assert ok.eligible and ok.amount_fen == 500_000 * Y and ok.amount_basis == "stated_need"


def test_amount_above_max(build):
    fail = one(build, build.enterprise(need_amount_fen=6_000_000 * Y))
    # ¥6M is above the maximum and above the ¥3M the collateral supports: both are named
    assert codes(fail) == {"amount_above_max", "collateral_insufficient"}
    ok = one(build, build.enterprise(need_amount_fen=2_000_000 * Y))
    assert ok.eligible and ok.amount_fen == 2_000_000 * Y


# ---- enterprise attributes -----------------------------------------------------------------


def test_cluster(build):
    fail = one(build, prod=build.product(eligible_clusters={"green_consumer", "energy_electronics"}))
    assert codes(fail) == {"cluster_not_eligible"}
    assert "装备制造" in fail.failures[0].message
    assert fail.failures[0].values["eligible_clusters"] == ["energy_electronics", "green_consumer"]
    assert one(build, prod=build.product(eligible_clusters={"green_consumer", "equipment_manufacturing"})).eligible
    assert one(build, prod=build.product(eligible_clusters=set())).eligible  # empty = every cluster


def test_certifications(build):
    fail = one(build, prod=build.product(required_certifications={"high_tech", "specialized", "ip_standard"}))
    assert codes(fail) == {"missing_certifications"}
    assert fail.failures[0].values["missing"] == ["ip_standard", "specialized"]
    assert "专精特新" in fail.failures[0].message and "贯标" in fail.failures[0].message
    assert one(build, prod=build.product(required_certifications={"high_tech"})).eligible


def test_existing_customer(build):
    fail = one(build, prod=build.product(id="CCB/IPL", bank_code="CCB", requires_existing_customer=True))
    assert codes(fail) == {"not_existing_customer"}
    assert one(build, prod=build.product(requires_existing_customer=True)).eligible
    # a loan that matured before the as-of date does not make a current customer
    matured = build.kv_loan(start_date=date(2022, 1, 1), maturity_date=date(2023, 1, 1))
    ent = build.enterprise(credit_loans=(matured,))
    assert codes(one(build, ent, build.product(requires_existing_customer=True))) == {"not_existing_customer"}
    # any kind of credit loan at the bank counts (params: existing_customer.loan_kinds = [])
    other = build.kv_loan(kind="other", grade=None)
    assert one(build, build.enterprise(credit_loans=(other,)), build.product(requires_existing_customer=True)).eligible


# ---- quota ---------------------------------------------------------------------------------


def test_quota_count(build):
    assert codes(one(build, prod=build.product(quota_count=0))) == {"quota_count_exhausted"}
    assert one(build, prod=build.product(quota_count=1)).eligible
    assert one(build, prod=build.product(quota_count=None)).eligible


def test_quota_amount(build):
    fail = one(build, prod=build.product(quota_amount_fen=400_000 * Y))  # below the product minimum
    assert codes(fail) == {"quota_amount_insufficient"}
    assert fail.failures[0].values == {"quota_amount_fen": 400_000 * Y, "required_amount_fen": 500_000 * Y}
    capped = one(build, prod=build.product(quota_amount_fen=2_000_000 * Y))
    assert capped.eligible and capped.amount_fen == 2_000_000 * Y  # capped by what is left
    need = build.enterprise(need_amount_fen=2_500_000 * Y)
    assert codes(one(build, need, build.product(quota_amount_fen=2_000_000 * Y))) == {"quota_amount_insufficient"}
    assert one(build, need, build.product(quota_amount_fen=2_500_000 * Y)).eligible


# ---- patents -------------------------------------------------------------------------------


def test_patent_grade(build):
    fail = one(build, prod=build.product(min_patent_grade="A"))
    assert codes(fail) == {"patent_grade_below_minimum", "collateral_insufficient"}
    f = fail.failures[0]
    assert f.values["min_patent_grade"] == "A" and f.values["patents"] == [
        {"application_no": "202010000001.1", "grade": "B"}
    ]
    assert one(build, prod=build.product(min_patent_grade="B")).eligible
    assert one(build, prod=build.product(min_patent_grade="C")).eligible
    ungraded = build.enterprise(patents=(build.patent(grade=None),))
    assert "patent_grade_below_minimum" in codes(one(build, ungraded, build.product(min_patent_grade="E")))


def test_patent_score(build):
    assert codes(one(build, prod=build.product(min_patent_score=85.0))) == {
        "patent_score_below_minimum",
        "collateral_insufficient",
    }
    assert one(build, prod=build.product(min_patent_score=80.0)).eligible


def test_remaining_term(build):
    fail = one(build, prod=build.product(min_remaining_term_years=12.0))
    assert codes(fail) == {"remaining_term_below_minimum", "collateral_insufficient"}
    assert "12年" in fail.failures[0].message
    assert one(build, prod=build.product(min_remaining_term_years=10.0)).eligible


def test_loan_term_beyond_patent_expiry(build):
    soon = build.patent(expiry_date=build.AS_OF + timedelta(days=330), remaining_term_years=0.9)
    ent = build.enterprise(patents=(soon,))  # default term 12 months ends 2025-06-30, after expiry
    fail = one(build, ent)
    assert codes(fail) == {"loan_term_beyond_patent_expiry", "collateral_insufficient"}
    f = fail.failures[0]
    assert f.values["loan_end_date"] == date(2025, 6, 30) and f.values["earliest_expiry_date"] == soon.expiry_date
    short = build.enterprise(patents=(soon,), need_term_months=6)  # ends 2024-12-30, before expiry
    ok = one(build, short)
    assert ok.eligible and ok.loan_end_date == date(2024, 12, 30)
    assert ok.earliest_expiry_date == soon.expiry_date > ok.loan_end_date
    # a loan ending on the expiry day itself does not run past it
    exact = build.enterprise(patents=(build.patent(expiry_date=date(2025, 6, 30), remaining_term_years=1.0),))
    assert one(build, exact).eligible


def test_collateral_capacity(build):
    fail = one(build, build.enterprise(need_amount_fen=3_000_001 * Y))
    assert codes(fail) == {"collateral_insufficient"}
    assert fail.failures[0].values["capacity_fen"] == 3_000_000 * Y
    assert fail.failures[0].values["required_amount_fen"] == 3_000_001 * Y
    assert one(build, build.enterprise(need_amount_fen=3_000_000 * Y)).eligible  # exactly covered
    # without a stated need the collateral must reach the product minimum
    small = build.enterprise(patents=(build.patent(value_p10_fen=1_000_000 * Y),))  # supports ¥300,000
    assert codes(one(build, small)) == {"collateral_insufficient"}
    assert one(build, small, build.product(min_amount_fen=300_000 * Y)).amount_fen == 300_000 * Y


def test_patent_not_eligible(build):
    bad = build.patent(eligible=False, reasons=("年费未缴",))
    fail = one(build, build.enterprise(patents=(bad,)))
    assert codes(fail) == {"patent_not_eligible", "collateral_insufficient"}
    assert "年费未缴" in fail.failures[0].message
    assert one(build, build.enterprise(patents=(build.patent(eligible=True),))).eligible


def test_patent_already_pledged(build):
    fail = one(build, build.enterprise(patents=(build.patent(already_pledged=True),)))
    assert codes(fail) == {"patent_already_pledged", "collateral_insufficient"}
    assert one(build, build.enterprise(patents=(build.patent(already_pledged=False),))).eligible


def test_patent_without_value(build):
    fail = one(build, build.enterprise(patents=(build.patent(value_p10_fen=None),)))
    assert codes(fail) == {"patent_without_value", "collateral_insufficient"}
    assert fail.failures[0].values["patents"] == ["202010000001.1"]


def test_no_patents(build):
    fail = one(build, build.enterprise(patents=()))
    assert codes(fail) == {"no_patents", "collateral_insufficient"}
    assert fail.failures[1].values["capacity_fen"] == 0


def test_excluded_patents_are_notes_when_the_rest_suffices(build):
    pledged = build.patent("202010000002.X", already_pledged=True)
    r = one(build, build.enterprise(patents=(build.patent(), pledged), need_amount_fen=1_000_000 * Y))
    assert r.eligible and r.failures == ()
    assert [(x.application_no, x.reasons) for x in r.excluded_patents] == [
        ("202010000002.X", ("patent_already_pledged",))
    ]


def test_every_failed_rule_is_named(build):
    ent = build.enterprise(
        need_amount_fen=100_000 * Y,
        certifications=set(),
        patents=(build.patent("202010000001.1", grade="D"), build.patent("202010000002.X", already_pledged=True)),
    )
    prod = build.product(
        id="CCB/IPL",
        bank_code="CCB",
        eligible_clusters={"green_consumer"},
        required_certifications={"high_tech"},
        requires_existing_customer=True,
        quota_count=0,
        quota_amount_fen=0,
        min_patent_grade="C",
    )
    r = one(build, ent, prod)
    assert codes(r) == {
        "amount_below_min",
        "cluster_not_eligible",
        "missing_certifications",
        "not_existing_customer",
        "quota_count_exhausted",
        "quota_amount_insufficient",
        "patent_grade_below_minimum",
        "patent_already_pledged",
        "collateral_insufficient",
    }
    assert all(f.message for f in r.failures)
    assert r.amount_fen is None and r.fit is None


# ---- amounts, terms and pledged patents ----------------------------------------------------


def test_amount_without_need_is_capped_by_max_and_rounded_down(build):
    # capacity 0.3 × ¥7,819,000 = ¥2,345,700 → proposal rounded down to ¥2,340,000
    ent = build.enterprise(patents=(build.patent(value_p10_fen=7_819_000 * Y),))
    r = one(build, ent)
    assert r.capacity_fen == 2_345_700 * Y and r.amount_fen == 2_340_000 * Y
    assert one(build, ent, build.product(max_amount_fen=2_000_000 * Y)).amount_fen == 2_000_000 * Y
    # the minimum is never undercut by rounding when the collateral reaches it
    odd = build.product(min_amount_fen=2_345_000 * Y)
    assert one(build, ent, odd).amount_fen == 2_345_000 * Y


def test_patents_are_pledged_highest_value_first_until_covered(build):
    pats = (
        build.patent("202010000003.5", value_p10_fen=1_000_000 * Y),
        build.patent("202010000001.1", value_p10_fen=5_000_000 * Y),
        build.patent("202010000002.X", value_p10_fen=3_000_000 * Y),
    )
    ent = build.enterprise(patents=pats, need_amount_fen=3_000_000 * Y)
    r = one(build, ent, build.product(pledge_rate=0.5))
    assert [p.application_no for p in r.patents] == ["202010000001.1", "202010000002.X"]
    assert [p.supports_fen for p in r.patents] == [2_500_000 * Y, 1_500_000 * Y]
    assert [p.allocated_fen for p in r.patents] == [2_500_000 * Y, 500_000 * Y]
    assert sum(p.allocated_fen for p in r.patents) == r.amount_fen
    assert r.capacity_fen == 4_500_000 * Y  # all usable patents; only two are needed


def test_allocations_add_up_exactly_with_odd_rates(build):
    pats = tuple(
        build.patent(f"20201000000{i}.{i}", value_p10_fen=v)
        for i, v in enumerate([333_333_33, 777_777_77, 123_456_79], 1)
    )
    ent = build.enterprise(patents=pats)
    r = one(build, ent, build.product(pledge_rate=0.33, min_amount_fen=1, max_amount_fen=10**12))
    assert sum(p.allocated_fen for p in r.patents) == r.amount_fen
    assert sum(p.supports_fen for p in r.patents) == r.capacity_fen  # all three pledged
    assert r.capacity_fen == (333_333_33 + 777_777_77 + 123_456_79) * 3300 // 10_000


def test_stated_term_outside_range_is_clipped_not_refused(build):
    r = one(build, build.enterprise(need_term_months=36))
    assert r.eligible and r.term_months == 24 and r.wanted_term_months == 36
    assert r.fit_components["term"] == pytest.approx(1 - 12 / 36)


def test_results_are_plain_data(build):
    import json

    r = one(build, build.enterprise(need_amount_fen=9_000_000 * Y))
    json.dumps([r.to_dict(), one(build).to_dict()], default=lambda d: d.isoformat(), ensure_ascii=False)


def test_money_must_be_integer_fen(build):
    with pytest.raises(TypeError):
        build.product(min_amount_fen=500_000.0)
    with pytest.raises(TypeError):
        build.patent(value_p10_fen=1.5)
    with pytest.raises(ValueError):
        build.product(pledge_rate=1.5)
