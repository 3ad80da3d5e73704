"""Vectorised eligibility of (enterprise, product) pairs.

Everything here works on arrays: the inputs are converted once (:func:`prepare`), then rules are
evaluated for many pairs in one numpy pass (:func:`evaluate_pairs`). The same code evaluates the
few pairs of one enterprise (the ``/eligibility`` endpoint, explanations) and the hundreds of
thousands of candidate pairs of a province-scale run, so an explanation can never disagree with
the matching.

Formulation for a pair (e, p)
-----------------------------
* **Wanted term** w = e's stated term, else ``params.default_term_months``. **Offered term**
  t = clip(w, p.term_min, p.term_max) — a stated term outside the product's range is not
  disqualifying; the product's nearest term is offered and the term fit falls. The loan would end
  on as_of + t months (day clamped to month end).
* **Required amount** R = e's stated need, else max(p.min_amount, one proposal step).
* **Pair rules**: R within [p.min_amount, p.max_amount] (stated need only); e's cluster in
  p.eligible_clusters (empty = all); p.required_certifications ⊆ e's certifications; an existing
  customer when p requires it (a credit loan at p's bank, kinds/currency per parameters);
  p.quota_count ≠ 0 and p.quota_amount ≥ R when set.
* **Usable patents** U(e, p): e's patents that are pledge-eligible per the valuation, not already
  pledged, have a P10 value > 0, meet p's minimum grade / score / remaining term, and do not
  expire before the loan would end (CNIPA refuses a pledge running past the patent's expiry).
* **Collateral capacity** C = ⌊r · Σ_{i∈U} P10ᵢ⌋ with r the pledge rate resolved to 1 basis point
  (integer arithmetic: ⌊r_bp · Σ P10 / 10 000⌋ fen). The pair needs C ≥ R.
* **Amount**: the stated need; else min(C, p.max_amount, p.quota_amount) rounded down to the
  proposal step, but not below p.min_amount (≤ C because C ≥ R ≥ p.min_amount).
* **Pledged patents**: the usable patents in order of P10 value (highest first; ties: longer
  remaining term, then application number), taken until r · Σ P10 ≥ amount. Highest-first
  pledges the fewest patents possible (the k largest values have the largest sum of any k), which
  leaves the rest free for later financing. Patent i *supports* ⌊r·Cᵢ⌋ − ⌊r·Cᵢ₋₁⌋ (Cᵢ the running
  P10 sum) and is *allocated* min(A, ⌊r·Cᵢ⌋) − min(A, ⌊r·Cᵢ₋₁⌋), so supports add up to the
  pledged capacity and allocations to the amount A exactly.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from .model import CreditLoan, Enterprise, Patent, Product
from .params import Params
from .rules import PATENT_RULES, bit

__all__ = ["PairEval", "Prepared", "add_months", "evaluate_pairs", "months_until", "prepare", "screen_candidates"]

_NO_GRADE = 10_000  # rank of a patent without a grade: below every minimum
_NO_MIN_GRADE = 20_000  # rank limit of a product without a minimum grade: accepts everything
_BP = 10_000  # basis points per unit of pledge rate


def add_months(d: date, months: int) -> date:
    """d + months calendar months, the day clamped to the end of the month (2024-01-31 + 1 → 02-29)."""
    total = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(total, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


def months_until(start: date, end: date) -> int:
    """The largest m with add_months(start, m) ≤ end (negative when end < start)."""
    m = (end.year - start.year) * 12 + (end.month - start.month)
    day = min(start.day, calendar.monthrange(end.year, end.month)[1])
    return m - 1 if day > end.day else m


@dataclass
class Prepared:
    """Enterprises, patents and products as arrays (built by :func:`prepare`)."""

    as_of: date
    params: Params
    enterprises: Sequence[Enterprise]
    products: Sequence[Product]
    enterprise_index: dict[str, int]
    product_index: dict[str, int]
    cluster_vocab: list[str]
    cert_vocab: list[str]
    bank_vocab: list[str]
    # enterprises (E)
    e_cluster: np.ndarray  # int32 index into cluster_vocab
    e_certs: np.ndarray  # uint64 bit set over cert_vocab
    e_need_amount: np.ndarray  # int64 fen, -1 = not stated
    e_need_term: np.ndarray  # int64 months, 0 = not stated
    e_pat_start: np.ndarray  # int64 first patent row
    e_pat_count: np.ndarray  # int64
    e_p10_pledgeable: np.ndarray  # int64 Σ P10 of eligible, unpledged, valued patents
    e_customer: np.ndarray  # bool (E, B): a credit loan at bank b counts as existing customer
    e_parallel: np.ndarray  # bool (E, B): a 并轨 loan at bank b
    # patents (N), grouped by enterprise, each group in selection order
    t_obj: list[Patent]
    t_eligible: np.ndarray
    t_pledged: np.ndarray
    t_p10: np.ndarray  # int64 fen, -1 = no value
    t_grade: np.ndarray  # int32 rank, _NO_GRADE when none
    t_score: np.ndarray  # float64, nan when none
    t_remaining: np.ndarray  # float64 years
    t_max_term: np.ndarray  # int64: longest loan term (months) ending on or before expiry
    # products (P)
    p_bank: np.ndarray  # int32 index into bank_vocab
    p_min: np.ndarray
    p_max: np.ndarray
    p_rate_bp: np.ndarray  # int64 pledge rate in basis points
    p_tmin: np.ndarray
    p_tmax: np.ndarray
    p_cluster_ok: np.ndarray  # bool (C, P)
    p_certs: np.ndarray  # uint64 required bit set
    p_min_grade: np.ndarray  # int32 rank limit
    p_min_score: np.ndarray  # float64, nan = none
    p_min_remaining: np.ndarray  # float64, nan = none
    p_quota_count: np.ndarray  # int64, -1 = unlimited
    p_quota_amount: np.ndarray  # int64, -1 = unlimited
    p_requires_customer: np.ndarray  # bool
    p_rate_mid: np.ndarray  # float64 expected interest rate, percent

    @property
    def n_enterprises(self) -> int:
        return len(self.enterprises)

    @property
    def n_products(self) -> int:
        return len(self.products)


def _loan_counts(loan: CreditLoan, kinds: frozenset[str], require_current: bool, as_of: date) -> bool:
    return (not kinds or loan.kind in kinds) and (not require_current or loan.is_current(as_of))


def _loan_flags(
    enterprises: Sequence[Enterprise], bank_of: dict[str, int], as_of: date, params: Params
) -> tuple[np.ndarray, np.ndarray]:
    """Bool (E, B) arrays: a credit loan at bank b makes e an existing customer / puts e on the 并轨 track."""
    e_customer = np.zeros((len(enterprises), len(bank_of)), bool)
    e_parallel = np.zeros((len(enterprises), len(bank_of)), bool)
    pt_kinds, pt_cur = params.parallel_track_loan_kinds, params.parallel_track_requires_current_loan
    ec_kinds, ec_cur = params.existing_customer_loan_kinds, params.existing_customer_requires_current_loan
    for i, e in enumerate(enterprises):
        for loan in e.credit_loans:
            b = bank_of.get(loan.bank_code)
            if b is None:
                continue
            if _loan_counts(loan, ec_kinds, ec_cur, as_of):
                e_customer[i, b] = True
            if _loan_counts(loan, pt_kinds, pt_cur, as_of):
                e_parallel[i, b] = True
    return e_customer, e_parallel


def _patents_in_selection_order(enterprises: Sequence[Enterprise]) -> tuple[list[Patent], np.ndarray]:
    """Patents grouped by enterprise, each group in selection order (highest P10 first), and group sizes."""
    t_obj: list[Patent] = []
    e_pat_count = np.zeros(len(enterprises), np.int64)
    for i, e in enumerate(enterprises):
        pats = sorted(
            e.patents,
            key=lambda t: (
                -(t.value_p10_fen if t.value_p10_fen is not None else -1),
                -t.remaining_term_years,
                t.application_no,
            ),
        )
        t_obj.extend(pats)
        e_pat_count[i] = len(pats)
    return t_obj, e_pat_count


def _cluster_ok(products: Sequence[Product], cluster_of: dict[str, int]) -> np.ndarray:
    """Bool (C, P): enterprises of cluster c may apply for product p (no list = every cluster)."""
    ok = np.ones((len(cluster_of), len(products)), bool)
    for j, p in enumerate(products):
        if p.eligible_clusters:
            ok[:, j] = False
            ok[[cluster_of[c] for c in p.eligible_clusters], j] = True
    return ok


def prepare(enterprises: Sequence[Enterprise], products: Sequence[Product], as_of: date, params: Params) -> Prepared:
    """Convert the inputs to arrays. One Python pass over enterprises, patents and products."""
    enterprises = list(enterprises)
    products = list(products)
    ent_index = {e.credit_code: i for i, e in enumerate(enterprises)}
    if len(ent_index) != len(enterprises):
        raise ValueError("enterprise credit codes must be unique")
    prod_index = {p.id: j for j, p in enumerate(products)}
    if len(prod_index) != len(products):
        raise ValueError("product ids must be unique")

    cluster_vocab = sorted({e.cluster for e in enterprises} | {c for p in products for c in p.eligible_clusters})
    cluster_of = {c: i for i, c in enumerate(cluster_vocab)}
    cert_vocab = sorted(
        {c for e in enterprises for c in e.certifications} | {c for p in products for c in p.required_certifications}
    )
    if len(cert_vocab) > 64:
        raise ValueError("at most 64 distinct certification codes are supported")
    cert_bit = {c: np.uint64(1) << np.uint64(i) for i, c in enumerate(cert_vocab)}
    bank_vocab = sorted({p.bank_code for p in products})
    bank_of = {b: i for i, b in enumerate(bank_vocab)}

    E, P = len(enterprises), len(products)

    def certs_bits(codes: Iterable[str]) -> np.uint64:
        out = np.uint64(0)
        for c in codes:
            out |= cert_bit[c]
        return out

    e_cluster = np.fromiter((cluster_of[e.cluster] for e in enterprises), np.int32, E)
    e_certs = np.fromiter((certs_bits(e.certifications) for e in enterprises), np.uint64, E)
    e_need_amount = np.fromiter(
        (-1 if e.need_amount_fen is None else e.need_amount_fen for e in enterprises), np.int64, E
    )
    e_need_term = np.fromiter(
        (0 if e.need_term_months is None else e.need_term_months for e in enterprises), np.int64, E
    )
    e_customer, e_parallel = _loan_flags(enterprises, bank_of, as_of, params)

    # Patents, grouped by enterprise, in selection order (highest P10 first).
    t_obj, e_pat_count = _patents_in_selection_order(enterprises)
    e_pat_start = np.concatenate(([0], np.cumsum(e_pat_count)[:-1])).astype(np.int64) if E else np.zeros(0, np.int64)
    N = len(t_obj)
    t_eligible = np.fromiter((bool(t.eligible) for t in t_obj), bool, N)
    t_pledged = np.fromiter((bool(t.already_pledged) for t in t_obj), bool, N)
    t_p10 = np.fromiter((-1 if t.value_p10_fen is None else t.value_p10_fen for t in t_obj), np.int64, N)
    rank = params.grade_rank
    t_grade = np.fromiter((_NO_GRADE if t.grade is None else rank(t.grade) for t in t_obj), np.int32, N)
    t_score = np.fromiter((np.nan if t.score is None else t.score for t in t_obj), np.float64, N)
    t_remaining = np.fromiter((t.remaining_term_years for t in t_obj), np.float64, N)
    t_max_term = np.fromiter((months_until(as_of, t.expiry_date) for t in t_obj), np.int64, N)
    valued = t_eligible & ~t_pledged & (t_p10 > 0)
    e_p10_pledgeable = _segment_sum(np.where(valued, t_p10, 0), e_pat_start, e_pat_count)
    # capacities are computed as Σ P10 × rate_bp in int64: keep every product of that form exact
    limit = np.iinfo(np.int64).max // _BP
    if E and int(_segment_sum(np.maximum(t_p10, 0), e_pat_start, e_pat_count).max(initial=0)) > limit:
        raise ValueError("an enterprise's total P10 value is too large for exact fen arithmetic")
    if any(p.max_amount_fen > limit for p in products) or any((e.need_amount_fen or 0) > limit for e in enterprises):
        raise ValueError("amounts above 9.2e14 fen are not supported")

    p_cluster_ok = _cluster_ok(products, cluster_of)

    return Prepared(
        as_of=as_of,
        params=params,
        enterprises=enterprises,
        products=products,
        enterprise_index=ent_index,
        product_index=prod_index,
        cluster_vocab=cluster_vocab,
        cert_vocab=cert_vocab,
        bank_vocab=bank_vocab,
        e_cluster=e_cluster,
        e_certs=e_certs,
        e_need_amount=e_need_amount,
        e_need_term=e_need_term,
        e_pat_start=e_pat_start,
        e_pat_count=e_pat_count,
        e_p10_pledgeable=e_p10_pledgeable,
        e_customer=e_customer,
        e_parallel=e_parallel,
        t_obj=t_obj,
        t_eligible=t_eligible,
        t_pledged=t_pledged,
        t_p10=t_p10,
        t_grade=t_grade,
        t_score=t_score,
        t_remaining=t_remaining,
        t_max_term=t_max_term,
        p_bank=np.fromiter((bank_of[p.bank_code] for p in products), np.int32, P),
        p_min=np.fromiter((p.min_amount_fen for p in products), np.int64, P),
        p_max=np.fromiter((p.max_amount_fen for p in products), np.int64, P),
        p_rate_bp=np.fromiter((round(float(p.pledge_rate) * _BP) for p in products), np.int64, P),
        p_tmin=np.fromiter((p.term_min_months for p in products), np.int64, P),
        p_tmax=np.fromiter((p.term_max_months for p in products), np.int64, P),
        p_cluster_ok=p_cluster_ok,
        p_certs=np.fromiter((certs_bits(p.required_certifications) for p in products), np.uint64, P),
        p_min_grade=np.fromiter(
            (_NO_MIN_GRADE if p.min_patent_grade is None else rank(p.min_patent_grade) for p in products), np.int32, P
        ),
        p_min_score=np.fromiter(
            (np.nan if p.min_patent_score is None else p.min_patent_score for p in products), np.float64, P
        ),
        p_min_remaining=np.fromiter(
            (np.nan if p.min_remaining_term_years is None else p.min_remaining_term_years for p in products),
            np.float64,
            P,
        ),
        p_quota_count=np.fromiter((-1 if p.quota_count is None else p.quota_count for p in products), np.int64, P),
        p_quota_amount=np.fromiter(
            (-1 if p.quota_amount_fen is None else p.quota_amount_fen for p in products), np.int64, P
        ),
        p_requires_customer=np.fromiter((bool(p.requires_existing_customer) for p in products), bool, P),
        p_rate_mid=np.fromiter(((p.interest_rate_min + p.interest_rate_max) / 2.0 for p in products), np.float64, P),
    )


def _segment_sum(values: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Sums of consecutive segments values[starts[k] : starts[k] + counts[k]] (segments tile values)."""
    out = np.zeros(len(counts), dtype=values.dtype if values.dtype != bool else np.int64)
    nonempty = counts > 0
    if values.size and nonempty.any():
        out[nonempty] = np.add.reduceat(values, starts[nonempty])
    return out


def _required_and_terms(
    prep: Prepared, pe: np.ndarray, pp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stated flag, required amount, wanted and offered term — broadcasting over pe, pp."""
    params = prep.params
    need = prep.e_need_amount[pe]
    stated = need >= 0
    required = np.where(stated, need, np.maximum(prep.p_min[pp], params.proposal_step_fen))
    need_term = prep.e_need_term[pe]
    wanted = np.where(need_term > 0, need_term, params.default_term_months)
    term = np.clip(wanted, prep.p_tmin[pp], prep.p_tmax[pp])
    return stated, need, required, wanted, term


def _pair_rule_failures(
    prep: Prepared, pe: np.ndarray, pp: np.ndarray, stated: np.ndarray, need: np.ndarray, required: np.ndarray
) -> np.ndarray:
    """Bit mask of the pair rules (no patents involved); broadcasts over pe, pp."""
    fails = np.zeros(np.broadcast_shapes(np.shape(pe), np.shape(pp)), np.uint32)
    pmin, pmax = prep.p_min[pp], prep.p_max[pp]
    fails |= np.where(stated & (need < pmin), np.uint32(bit("amount_below_min")), np.uint32(0))
    fails |= np.where(stated & (need > pmax), np.uint32(bit("amount_above_max")), np.uint32(0))
    cluster_ok = prep.p_cluster_ok[prep.e_cluster[pe], pp]
    fails |= np.where(cluster_ok, np.uint32(0), np.uint32(bit("cluster_not_eligible")))
    missing = prep.p_certs[pp] & ~prep.e_certs[pe]
    fails |= np.where(missing != 0, np.uint32(bit("missing_certifications")), np.uint32(0))
    if prep.e_customer.shape[1]:
        customer = prep.e_customer[pe, prep.p_bank[pp]]
        fails |= np.where(
            prep.p_requires_customer[pp] & ~customer, np.uint32(bit("not_existing_customer")), np.uint32(0)
        )
    qc, qa = prep.p_quota_count[pp], prep.p_quota_amount[pp]
    fails |= np.where(qc == 0, np.uint32(bit("quota_count_exhausted")), np.uint32(0))
    fails |= np.where((qa >= 0) & (qa < required), np.uint32(bit("quota_amount_insufficient")), np.uint32(0))
    return fails


def screen_candidates(prep: Prepared, block_elements: int = 1_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Pairs that pass every pair rule and whose collateral *could* suffice.

    Works in blocks of enterprises × all products (at most ``block_elements`` pairs at a time), so
    memory stays O(block + candidates) however many pairs there are. The collateral screen is an
    upper bound: ⌊r · Σ P10 of e's eligible, unpledged, valued patents⌋ ≥ R; product-specific
    patent rules can only lower the capacity, so no eligible pair is dropped. Returns the
    candidates' enterprise and product indices (sorted by enterprise, then product).
    """
    E, P = prep.n_enterprises, prep.n_products
    if E == 0 or P == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    block = max(1, block_elements // P)
    pp = np.arange(P)[None, :]
    out_e, out_p = [], []
    for b0 in range(0, E, block):
        pe = np.arange(b0, min(E, b0 + block))[:, None]
        stated, need, required, _, _ = _required_and_terms(prep, pe, pp)
        fails = _pair_rule_failures(prep, pe, pp, stated, need, required)
        upper = prep.e_p10_pledgeable[pe] * prep.p_rate_bp[pp] // _BP
        ok = (fails == 0) & (upper >= required)
        ei, pj = np.nonzero(ok)
        out_e.append(ei + b0)
        out_p.append(pj)
    return np.concatenate(out_e).astype(np.int64), np.concatenate(out_p).astype(np.int64)


@dataclass
class PairRows:
    """Patent-level detail of evaluated pairs: one row per (pair, patent of its enterprise)."""

    start: np.ndarray  # first row of each pair
    count: np.ndarray  # rows of each pair
    patent: np.ndarray  # patent index of each row
    excluded: dict[str, np.ndarray]  # rule code → bool per row
    usable: np.ndarray
    selected: np.ndarray  # pledged for the proposed amount


@dataclass
class PairEval:
    """Eligibility of a list of pairs (arrays aligned with ``pe``/``pp``)."""

    pe: np.ndarray
    pp: np.ndarray
    failed: np.ndarray  # uint32 rule bit mask
    eligible: np.ndarray  # bool
    stated: np.ndarray  # bool: the amount is the enterprise's stated need
    amount: np.ndarray  # int64 proposed amount, -1 when not eligible
    required: np.ndarray  # int64 amount the collateral must support
    capacity: np.ndarray  # int64 ⌊r · Σ P10 of usable patents⌋
    wanted_term: np.ndarray
    term: np.ndarray
    rows: PairRows | None = None


def evaluate_pairs(prep: Prepared, pe: np.ndarray, pp: np.ndarray, *, detail: bool = False) -> PairEval:
    """Evaluate every rule for the pairs (pe[k], pp[k]); one numpy pass over pairs × patents.

    Cost is O(Σ_k patents of pe[k]); with ``detail`` the per-patent rows are kept (needed to list
    pledged and excluded patents).
    """
    pe = np.asarray(pe, np.int64)
    pp = np.asarray(pp, np.int64)
    stated, need, required, wanted, term = _required_and_terms(prep, pe, pp)
    failed = _pair_rule_failures(prep, pe, pp, stated, need, required)

    counts = prep.e_pat_count[pe]
    starts = np.cumsum(counts) - counts
    R = int(counts.sum())
    within = np.arange(R, dtype=np.int64) - np.repeat(starts, counts)
    pat = np.repeat(prep.e_pat_start[pe], counts) + within
    prow = np.repeat(pp, counts)
    min_score = prep.p_min_score[prow]
    min_rem = prep.p_min_remaining[prow]
    excluded = {
        "patent_not_eligible": ~prep.t_eligible[pat],
        "patent_already_pledged": prep.t_pledged[pat],
        "patent_without_value": prep.t_p10[pat] <= 0,
        "patent_grade_below_minimum": prep.t_grade[pat] > prep.p_min_grade[prow],
        "patent_score_below_minimum": ~np.isnan(min_score) & ~(prep.t_score[pat] >= min_score),
        "remaining_term_below_minimum": ~np.isnan(min_rem) & ~(prep.t_remaining[pat] >= min_rem),
        "loan_term_beyond_patent_expiry": prep.t_max_term[pat] < np.repeat(term, counts),
    }
    assert set(excluded) == {r.code for r in PATENT_RULES}
    usable = np.ones(R, bool)
    for mask in excluded.values():
        usable &= ~mask
    value = np.where(usable, prep.t_p10[pat], 0)
    rate_bp = prep.p_rate_bp[pp]
    capacity = _segment_sum(value, starts, counts) * rate_bp // _BP

    short = capacity < required
    failed |= np.where(short, np.uint32(bit("collateral_insufficient")), np.uint32(0))
    failed |= np.where(short & (counts == 0), np.uint32(bit("no_patents")), np.uint32(0))
    for code, mask in excluded.items():
        hit = _segment_sum(mask, starts, counts) > 0
        failed |= np.where(short & hit, np.uint32(bit(code)), np.uint32(0))

    eligible = failed == 0
    step = prep.params.proposal_step_fen
    qa = prep.p_quota_amount[pp]
    cap = np.where(qa >= 0, np.minimum(prep.p_max[pp], qa), prep.p_max[pp])
    from_collateral = np.maximum(prep.p_min[pp], np.minimum(capacity, cap) // step * step)
    amount = np.where(eligible, np.where(stated, need, from_collateral), -1)

    rows = None
    if detail:
        # Selection: usable rows, in order, while the running capacity is below the amount.
        running = np.cumsum(value) - value  # exclusive running sum over all rows
        before = running - running[np.repeat(starts, counts)]  # … restarted at each pair's first row
        selected = (
            usable
            & np.repeat(eligible, counts)
            & (before * np.repeat(rate_bp, counts) < np.repeat(amount, counts) * _BP)
        )
        rows = PairRows(start=starts, count=counts, patent=pat, excluded=excluded, usable=usable, selected=selected)

    return PairEval(
        pe=pe,
        pp=pp,
        failed=failed,
        eligible=eligible,
        stated=np.broadcast_to(stated, pe.shape).copy(),
        amount=amount,
        required=required,
        capacity=capacity,
        wanted_term=wanted,
        term=term,
        rows=rows,
    )
