"""Entry points: :func:`match` (a whole matching run) and :func:`eligibility` (one enterprise).

A matching run
--------------
1. **Prepare** — inputs to arrays (:func:`matching.pairs.prepare`).
2. **Screen** — all E × P pairs, in blocks, against the pair rules and an upper bound of the
   collateral (cheap, dense boolean arrays); survivors are the candidate pairs.
3. **Evaluate** — every rule of the candidate pairs, patents included, in one vectorised pass;
   the eligible pairs get a proposed amount, term and capacity.
4. **Fit** — fit score of every eligible pair (:mod:`matching.fit`).
5. **Assign** — the exact optimum of Σ fit under one product per enterprise and the products'
   count and amount quotas (:func:`matching.assignment.assign`); the greedy baseline is run too
   and its objective reported for comparison.
6. **Explain** — proposals (with pledged patents and fit components), ranked alternatives per
   enterprise, and the unmatched enterprises with the reason. Any other pair is explained on
   demand by :meth:`MatchResult.eligibility` / :meth:`MatchResult.explain` with the same code.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from .assignment import assign, assign_greedy
from .explain import explain_pair
from .fit import fit_scores
from .model import Enterprise, Product
from .pairs import Prepared, evaluate_pairs, prepare, screen_candidates
from .params import Params, default_params
from .results import Alternative, PairResult, Unmatched

__all__ = ["MatchResult", "eligibility", "match", "select_candidates"]

# CPU time kept back from a run's limit for the explanations after the solve, per enterprise with an
# eligible product: measured 29–30 µs on the county, 68–84 µs on the province and the contested
# province (~12,500 such enterprises: 0.84–1.06 s CPU). It is scaled by how much slower than its CPU
# time the run has gone so far in wall time (a shared machine; at most MAX_SLOWDOWN).
EXPLAIN_S, EXPLAIN_S_PER_ENTERPRISE, MAX_SLOWDOWN = 0.02, 100e-6, 4.0


def _ranks(pe: np.ndarray, pp: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """Rank (1 = best) of each pair among its enterprise's pairs: fit descending, then product order."""
    order = np.lexsort((pp, -fit, pe))
    group_start = np.r_[True, pe[order][1:] != pe[order][:-1]] if len(order) else np.zeros(0, bool)
    pos = np.arange(len(order))
    first = np.maximum.accumulate(np.where(group_start, pos, 0)) if len(order) else pos
    ranks = np.empty(len(order), np.int64)
    ranks[order] = pos - first + 1
    return ranks


def _enterprise_pairs(prep: Prepared, e: int) -> list[PairResult]:
    """Every product for enterprise index e: eligible ones by rank, then ineligible in product order."""
    P = prep.n_products
    pe = np.full(P, e, np.int64)
    pp = np.arange(P, dtype=np.int64)
    ev = evaluate_pairs(prep, pe, pp, detail=True)
    el = np.nonzero(ev.eligible)[0]
    fits = fit_scores(prep, pe[el], pp[el], ev.amount[el], ev.stated[el], ev.term[el], ev.wanted_term[el])
    ranks = _ranks(pe[el], pp[el], fits.fit)
    fit_pos = {int(k): i for i, k in enumerate(el)}
    out = [
        explain_pair(prep, ev, k, fits, fit_pos.get(k), int(ranks[fit_pos[k]]) if k in fit_pos else None)
        for k in range(P)
    ]
    return sorted(out, key=lambda r: (not r.eligible, r.rank or 0))


@dataclass(frozen=True)
class MatchResult:
    """Outcome of :func:`match`.

    * ``proposals`` — one :class:`PairResult` per assigned enterprise (input order), with amount,
      pledged patents, fit and its components, ``parallel_track`` and ``rank``.
    * ``alternatives`` — enterprise id → its other eligible products ranked by fit (rank 1 = its
      best product; the proposal's own rank is on the proposal).
    * ``unmatched`` — enterprises without a proposal and why.
    * ``solver`` — status (``optimal`` when proven), method, objective, MILP size, gap, node count,
      and the greedy baseline's objective for comparison.
    * ``timings`` — seconds per phase; ``stats`` — counts and the total proposed amount.
    """

    as_of: date
    params: Params
    proposals: tuple[PairResult, ...]
    alternatives: Mapping[str, tuple[Alternative, ...]]
    unmatched: tuple[Unmatched, ...]
    objective: float
    solver: Mapping[str, Any]
    timings: Mapping[str, float]
    stats: Mapping[str, int]
    _prep: Prepared = field(repr=False, compare=False)

    def eligibility(self, enterprise_id: str) -> list[PairResult]:
        """Every product for one enterprise of the run, with every failed rule (same rules as the run)."""
        return _enterprise_pairs(self._prep, self._prep.enterprise_index[enterprise_id])

    def explain(self, enterprise_id: str, product_id: str) -> PairResult:
        """The full record of one pair of the run."""
        for r in self.eligibility(enterprise_id):
            if r.product_id == product_id:
                return r
        raise KeyError(product_id)

    def to_dict(self, *, include_eligibility: bool = False) -> dict[str, Any]:
        """JSON-ready data. ``include_eligibility`` adds every pair's record (county scale only)."""
        out: dict[str, Any] = {
            "as_of": self.as_of,
            "params": self.params.to_dict(),
            "objective": self.objective,
            "solver": dict(self.solver),
            "timings": dict(self.timings),
            "stats": dict(self.stats),
            "proposals": [p.to_dict() for p in self.proposals],
            "alternatives": {k: [a.to_dict() for a in v] for k, v in self.alternatives.items()},
            "unmatched": [u.to_dict() for u in self.unmatched],
        }
        if include_eligibility:
            out["eligibility"] = {
                e.credit_code: [r.to_dict() for r in self.eligibility(e.credit_code)] for e in self._prep.enterprises
            }
        return out


def match(
    enterprises: Sequence[Enterprise],
    products: Sequence[Product],
    as_of: date,
    params: Params | None = None,
    *,
    alternatives: int | None = 5,
    time_limit_s: float | None = None,
    excluded: Collection[tuple[str, str]] = (),
) -> MatchResult:
    """Match enterprises to pledge products: eligibility, fit, and the exact optimal assignment.

    Parameters
    ----------
    enterprises, products : the candidates (the service decides who is included, e.g. credit-loan
        holders with at least one eligible patent, and passes active products with their
        *remaining* quotas).
    as_of : valuation date; loan terms start here, credit loans are current on it.
    params : defaults to the packaged ``params.toml``.
    alternatives : how many ranked alternatives to list per enterprise (None = all).
    time_limit_s : wall-clock limit of the whole run (default ``params.solver_time_limit_s``):
        the solver gets what is left after fit, less an estimate of the explanations' time
        (:data:`EXPLAIN_S` + :data:`EXPLAIN_S_PER_ENTERPRISE` per enterprise with an eligible
        product, in CPU time, scaled by the run's wall/CPU ratio so far), and stops at it with its
        best solution and gap (status ``time_limit``).
    excluded : (credit code, product id) pairs never to propose — a reviewer rejected the pair and
        nothing about either has changed since (the service decides which); an enterprise left
        without a product by this is unmatched with reason ``REJECTED_BEFORE``.

    Formulation: every (enterprise, product) pair is checked against the rules of
    :mod:`matching.pairs` (amount, cluster, certifications, existing customer, quota left,
    and the collateral: ⌊pledge rate × Σ P10⌋ of the patents usable for that product ≥ the
    required amount); each eligible pair k gets an amount a_k, pledged patents and a fit
    f_k ∈ [0, 1] (:mod:`matching.fit`); then with x_k ∈ {0, 1}::

        maximise Σ f_k x_k  s.t.  at most one product per enterprise,
                                  Σ_{k∈p} x_k ≤ quota_count_p,  Σ_{k∈p} a_k x_k ≤ quota_amount_p

    solved exactly (:mod:`matching.assignment`). Assumptions: quotas are what is left in the
    period; credit loans count when current on ``as_of``; the loan starts on ``as_of``; P10 is
    the conservative patent value and the only value pledged against.
    """
    params = params or default_params()
    timings: dict[str, float] = {}
    t_start = t = time.perf_counter()
    cpu_start = time.thread_time()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = now - t
        t = now

    prep = prepare(enterprises, products, as_of, params)
    lap("prepare_s")
    ce, cp = screen_candidates(prep)
    lap("screen_s")
    ev = evaluate_pairs(prep, ce, cp)
    lap("evaluate_s")
    el = np.nonzero(ev.eligible)[0]
    n_excluded = np.zeros(prep.n_enterprises, np.int64)
    if excluded:
        blocked = {
            (prep.enterprise_index[code], prep.product_index[pid])
            for code, pid in excluded
            if code in prep.enterprise_index and pid in prep.product_index
        }
        hit = np.fromiter(
            ((e, p) in blocked for e, p in zip(ev.pe[el].tolist(), ev.pp[el].tolist(), strict=True)),
            bool,
            count=len(el),
        )
        n_excluded = np.bincount(ev.pe[el][hit], minlength=prep.n_enterprises)
        el = el[~hit]
    pe, pp, amount = ev.pe[el], ev.pp[el], ev.amount[el]
    fits = fit_scores(prep, pe, pp, amount, ev.stated[el], ev.term[el], ev.wanted_term[el])
    lap("fit_s")
    E, P = prep.n_enterprises, prep.n_products
    greedy = assign_greedy(
        pe, pp, fits.fit, amount, prep.p_quota_count, prep.p_quota_amount, n_enterprises=E, n_products=P
    )
    lap("greedy_s")
    # the limit is on the whole run: the solver gets what is left of it less the explanations' time
    limit = time_limit_s if time_limit_s is not None else params.solver_time_limit_s
    now, cpu = time.perf_counter(), time.thread_time()
    slowdown = min(max((now - t_start) / max(cpu - cpu_start, 1e-3), 1.0), MAX_SLOWDOWN)
    explain_reserve = slowdown * (EXPLAIN_S + EXPLAIN_S_PER_ENTERPRISE * len(np.unique(pe)))
    solution = assign(
        pe,
        pp,
        fits.fit,
        amount,
        prep.p_quota_count,
        prep.p_quota_amount,
        n_enterprises=E,
        n_products=P,
        time_limit_s=max(t_start + limit - explain_reserve - time.perf_counter(), 0.0),
        mip_rel_gap=params.solver_mip_rel_gap,
        presolve=params.solver_presolve,
    )
    lap("solve_s")

    ranks = _ranks(pe, pp, fits.fit)
    chosen = np.nonzero(solution.chosen)[0]
    chosen = chosen[np.argsort(pe[chosen], kind="stable")]
    detail = evaluate_pairs(prep, pe[chosen], pp[chosen], detail=True)
    proposals = tuple(explain_pair(prep, detail, i, fits, int(k), int(ranks[k])) for i, k in enumerate(chosen))

    # ranked alternatives: eligible, not chosen, by rank; at most `alternatives` per enterprise
    others = np.nonzero(~solution.chosen)[0]
    others = others[np.lexsort((ranks[others], pe[others]))]
    alt: dict[str, list[Alternative]] = {}
    ids = [e.credit_code for e in prep.enterprises]
    pids = [p.id for p in prep.products]
    banks = [p.bank_code for p in prep.products]
    for e, p, a, f, par, r in zip(
        pe[others].tolist(),
        pp[others].tolist(),
        amount[others].tolist(),
        fits.fit[others].tolist(),
        fits.parallel_track[others].tolist(),
        ranks[others].tolist(),
        strict=True,
    ):
        lst = alt.setdefault(ids[e], [])
        if alternatives is None or len(lst) < alternatives:
            lst.append(Alternative(pids[p], banks[p], a, f, par, r))
    n_eligible = np.bincount(pe, minlength=E)
    assigned = np.zeros(E, bool)
    assigned[pe[chosen]] = True
    unmatched = []
    for e in np.nonzero(~assigned)[0].tolist():
        if n_eligible[e] == 0 and n_excluded[e] > 0:
            message = "符合条件的产品此前已被审核驳回，且企业和产品情况均未变化，不再重复推荐"
            unmatched.append(Unmatched(ids[e], "REJECTED_BEFORE", message, 0))
        elif n_eligible[e] == 0:
            unmatched.append(Unmatched(ids[e], "NO_ELIGIBLE_PRODUCT", "没有符合条件的质押贷款产品", 0))
        else:
            unmatched.append(
                Unmatched(
                    ids[e],
                    "QUOTA_ALLOCATED_TO_OTHERS",
                    f"符合{int(n_eligible[e])}个产品的条件，但产品额度已按总体匹配度最优分配给其他企业",
                    int(n_eligible[e]),
                )
            )
    lap("explain_s")
    timings["total_s"] = time.perf_counter() - t_start

    solver = solution.to_dict()
    solver["greedy_objective"] = greedy.objective
    solver["greedy_assigned"] = int(greedy.chosen.sum())
    solver["greedy_time_s"] = greedy.solve_time_s
    stats = {
        "enterprises": E,
        "products": P,
        "pairs": E * P,
        "candidate_pairs": len(ce),
        "eligible_pairs": len(el),
        "assigned": len(chosen),
        "unmatched": len(unmatched),
        "parallel_track_proposals": int(fits.parallel_track[chosen].sum()),
        "proposed_amount_fen": int(amount[chosen].sum()),
    }
    return MatchResult(
        as_of=as_of,
        params=params,
        proposals=proposals,
        alternatives={k: tuple(v) for k, v in alt.items()},
        unmatched=tuple(unmatched),
        objective=solution.objective,
        solver=solver,
        timings=timings,
        stats=stats,
        _prep=prep,
    )


def eligibility(
    enterprise: Enterprise, products: Sequence[Product], as_of: date, params: Params | None = None
) -> list[PairResult]:
    """One enterprise against every product: eligible or not, every failed rule, amount, patents, fit.

    Returns one :class:`PairResult` per product: the eligible ones first, by fit (``rank`` 1 =
    best), then the ineligible ones in the order given. The fit of an enterprise without a stated
    need is relative to the best amount among these products (see :mod:`matching.fit`).
    """
    prep = prepare([enterprise], products, as_of, params or default_params())
    return _enterprise_pairs(prep, 0)


def select_candidates(
    enterprises: Sequence[Enterprise],
    as_of: date,
    params: Params | None = None,
    *,
    require_parallel_track_loan: bool = True,
    require_eligible_patent: bool = True,
) -> list[Enterprise]:
    """The enterprises a matching run includes by default (issue 4): those holding a current
    knowledge-value or commercial-value credit loan (the 并轨 population; loan kinds and currency
    per ``params.parallel_track``) and at least one patent that is pledge-eligible, not pledged
    and has a P10 value. Either condition can be switched off.
    """
    params = params or default_params()
    out = []
    for e in enterprises:
        if require_parallel_track_loan and not any(
            loan.kind in params.parallel_track_loan_kinds
            and (not params.parallel_track_requires_current_loan or loan.is_current(as_of))
            for loan in e.credit_loans
        ):
            continue
        if require_eligible_patent and not any(
            t.eligible and not t.already_pledged and (t.value_p10_fen or 0) > 0 for t in e.patents
        ):
            continue
        out.append(e)
    return out
