"""The vectorised eligibility against a plain per-pair re-implementation of the documented rules.

``reference_pair`` is written from the formulation in ``matching/pairs.py``'s docstring,
one pair and one patent at a time, with exact rational arithmetic for the pledge rate — it shares
no code with the library. Both must agree on every pair of generated instances: failed rule codes,
amount, capacity, term and the pledged patents.
"""

from __future__ import annotations

import calendar
from datetime import date
from fractions import Fraction
from math import floor

from hypothesis import given, settings
from hypothesis import strategies as st

from matching import default_params, eligibility
from matching.synthetic import generate


def months_later(d: date, months: int) -> date:
    y, m = d.year + (d.month - 1 + months) // 12, (d.month - 1 + months) % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def reference_pair_failures(ent, prod, as_of, required):
    """The pair rules, one by one, straight from their definitions."""
    fails = set()
    stated = ent.need_amount_fen is not None
    if stated and ent.need_amount_fen < prod.min_amount_fen:
        fails.add("amount_below_min")
    if stated and ent.need_amount_fen > prod.max_amount_fen:
        fails.add("amount_above_max")
    if prod.eligible_clusters and ent.cluster not in prod.eligible_clusters:
        fails.add("cluster_not_eligible")
    if not prod.required_certifications <= ent.certifications:
        fails.add("missing_certifications")
    customer = any(
        loan.bank_code == prod.bank_code and loan.start_date <= as_of <= loan.maturity_date for loan in ent.credit_loans
    )
    if prod.requires_existing_customer and not customer:
        fails.add("not_existing_customer")
    if prod.quota_count == 0:
        fails.add("quota_count_exhausted")
    if prod.quota_amount_fen is not None and prod.quota_amount_fen < required:
        fails.add("quota_amount_insufficient")
    return fails


def reference_patent_failures(t, prod, grade_order, loan_end):
    """The patent rules that exclude patent t from the product's collateral."""
    why = set()
    if not t.eligible:
        why.add("patent_not_eligible")
    if t.already_pledged:
        why.add("patent_already_pledged")
    if not t.value_p10_fen:
        why.add("patent_without_value")
    if prod.min_patent_grade is not None and (
        t.grade is None or grade_order.index(t.grade) > grade_order.index(prod.min_patent_grade)
    ):
        why.add("patent_grade_below_minimum")
    if prod.min_patent_score is not None and (t.score is None or t.score < prod.min_patent_score):
        why.add("patent_score_below_minimum")
    if prod.min_remaining_term_years is not None and t.remaining_term_years < prod.min_remaining_term_years:
        why.add("remaining_term_below_minimum")
    if loan_end > t.expiry_date:
        why.add("loan_term_beyond_patent_expiry")
    return why


def reference_pair(ent, prod, as_of, params):
    order = list(params.grade_order)
    stated = ent.need_amount_fen is not None
    step = params.proposal_step_fen
    required = ent.need_amount_fen if stated else max(prod.min_amount_fen, step)
    wanted = ent.need_term_months or params.default_term_months
    term = min(max(wanted, prod.term_min_months), prod.term_max_months)
    loan_end = months_later(as_of, term)
    fails = reference_pair_failures(ent, prod, as_of, required)

    usable, patent_fails = [], set()
    for t in ent.patents:
        why = reference_patent_failures(t, prod, order, loan_end)
        patent_fails |= why
        if not why:
            usable.append(t)
    rate = Fraction(str(prod.pledge_rate))
    capacity = floor(rate * sum(t.value_p10_fen for t in usable))
    if capacity < required:
        fails |= {"collateral_insufficient"} | patent_fails | ({"no_patents"} if not ent.patents else set())
    if fails:
        return dict(codes=fails, amount=None, capacity=capacity, term=term, pledged=[])
    if stated:
        amount = ent.need_amount_fen
    else:
        cap = prod.max_amount_fen if prod.quota_amount_fen is None else min(prod.max_amount_fen, prod.quota_amount_fen)
        amount = max(prod.min_amount_fen, min(capacity, cap) // step * step)
    pledged, total = [], 0
    for t in sorted(usable, key=lambda t: (-t.value_p10_fen, -t.remaining_term_years, t.application_no)):
        if rate * total >= amount:
            break
        pledged.append(t.application_no)
        total += t.value_p10_fen
    return dict(codes=set(), amount=amount, capacity=capacity, term=term, pledged=pledged)


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 100_000))
def test_vectorised_eligibility_matches_reference(seed):
    params = default_params()
    inst = generate(60, 10, seed=seed)
    for ent in inst.enterprises:
        by_id = {p.id: p for p in inst.products}
        for r in eligibility(ent, inst.products, inst.as_of):
            ref = reference_pair(ent, by_id[r.product_id], inst.as_of, params)
            assert set(r.failure_codes) == ref["codes"], (ent.credit_code, r.product_id)
            assert r.eligible == (not ref["codes"])
            assert r.amount_fen == ref["amount"]
            assert r.capacity_fen == ref["capacity"]
            assert r.term_months == ref["term"]
            assert [p.application_no for p in r.patents] == ref["pledged"]
