"""Global assignment of enterprises to products under product quotas — exact MILP and a greedy baseline.

Problem
-------
Given eligible pairs k = (e_k, p_k) with fit f_k ∈ [0, 1] and proposed amount a_k (fen), and per
product p a remaining count quota Q_p and amount quota A_p (either may be unlimited)::

    maximise    Σ_k f_k · x_k
    subject to  Σ_{k: e_k = e} x_k ≤ 1            for every enterprise e   (one product each)
                Σ_{k: p_k = p} x_k ≤ Q_p          for every product p with a count quota
                Σ_{k: p_k = p} a_k · x_k ≤ A_p    for every product p with an amount quota
                x_k ∈ {0, 1}

Variables exist only for eligible pairs, so the constraint matrix is sparse (one entry per pair in
its enterprise row and at most two in its product rows). Without amount quotas this is a
b-matching (totally unimodular; the LP relaxation is integral); the amount quotas make it a
multiple-knapsack-type MILP, solved exactly by HiGHS branch-and-cut (:mod:`matching.solver`)
with ``mip_rel_gap = 0``.

Exact reduction before the solver
---------------------------------
A product is *free* when its quotas cannot bind: even if every remaining pair of it were chosen,
count and amount would stay within quota. Let F_e be the best fit of enterprise e over free
products. Take any optimal solution and move every enterprise whose chosen fit is ≤ F_e (or that
is unassigned) to its best free pair: a free product accepts all its pairs together, other
products only lose assignments, and the objective does not fall. So some optimum gives each such
enterprise its best free pair or a pair with fit > F_e; all its other pairs are dropped. An
enterprise left with only its best free pair is fixed to it (and the product's remaining quota
reduced). Dropping pairs can free more products, so this repeats to a fixed point. On realistic
data most enterprises are settled here and the MILP only sees the contested pairs.

Decomposition and aggregation
-----------------------------
What remains is split into connected components of the graph enterprise — product (over products
whose quotas still bind); components share no constraint and are solved one by one. Within a
component, enterprises with identical options (same products, fits and amounts) are
interchangeable: they form a class c with one integer variable y[c, p] ∈ [0, |c|] per option and
the row Σ_p y[c, p] ≤ |c|, an exact reformulation that removes the symmetry branch-and-bound
would otherwise explore; the solution is handed back to the class members in input order.

Every row is integer (amount rows in units of the gcd of their amounts, the quota rounded down to
a multiple of it), so a solution within the solver's feasibility tolerance keeps every quota; it
is checked in integer arithmetic all the same. Before branch-and-cut the LP relaxation is solved:
its duals give an upper bound that holds whatever the LP's tolerances, and its solution rounded
down and completed greedily is the solver's start (with greedy's if that is better). HiGHS stops
at an absolute gap of 1e-6 in total fit (its default) with ``mip_rel_gap = 0``; the status is
``"optimal"`` only when every component was proven optimal. When the time limit stops a
component, the better of the solver's incumbent and the start is kept and ``mip_gap`` reports the
relative distance to the smallest upper bound known (the solver's, the LP's, or
:func:`_simple_bound`). The time limit is wall-clock time for the whole call and holds: HiGHS is
answered for at the deadline even when its current step runs on (:mod:`matching.solver`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from . import solver

__all__ = ["Assignment", "assign", "assign_greedy", "quota_violations"]

# Kept back from the time limit for what follows the last solve (class solutions checked and handed
# to their members, the whole selection checked): 0.07–0.09 s on the contested province's
# 100,000–140,000 pairs (2 CPUs shared, a solver thread still running beside it).
AFTER_SOLVE_S, AFTER_SOLVE_S_PER_PAIR = 0.02, 1e-6
# Share of a component's remaining time the neighbourhood search before branch-and-cut may take, and
# its cap: contested province, 10 s runs, seeds 0–2: gaps 0 / 1.4e-4 / 4.2e-4, where branch-and-cut
# from the rounded LP alone reached 0 / 1.5e-3 / 1.7e-3; the province's proofs take ~2 s longer.
NEIGHBOURHOOD_SHARE, NEIGHBOURHOOD_MAX_S = 0.3, 2.0

# Remaining quota per product: None (the argument) or a None / negative entry means unlimited.
Quotas = Sequence[int | None] | np.ndarray | None


@dataclass(frozen=True)
class Assignment:
    """Result of :func:`assign` / :func:`assign_greedy`.

    ``chosen`` is a bool per input pair. ``status`` is ``"optimal"`` for a proven optimum,
    ``"time_limit"`` when the solver stopped early (the best solution found is returned and
    ``mip_gap`` tells how far from optimal it may be), ``"greedy"`` for the baseline.
    """

    chosen: np.ndarray
    objective: float
    status: str
    method: str
    solve_time_s: float
    n_pairs: int
    n_fixed_by_reduction: int = 0
    n_variables: int = 0
    n_constraints: int = 0
    mip_gap: float | None = None
    mip_node_count: int | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "method": self.method,
            "objective": self.objective,
            "solve_time_s": self.solve_time_s,
            "n_pairs": self.n_pairs,
            "n_assigned": int(self.chosen.sum()),
            "n_fixed_by_reduction": self.n_fixed_by_reduction,
            "n_variables": self.n_variables,
            "n_constraints": self.n_constraints,
            "mip_gap": self.mip_gap,
            "mip_node_count": self.mip_node_count,
            "message": self.message,
        }


def _quota(values: Quotas, n: int, name: str) -> np.ndarray:
    """Quota array: None / negative entries mean unlimited (stored as -1)."""
    if values is None:
        return np.full(n, -1, np.int64)
    out = np.array([-1 if v is None else int(v) for v in values], np.int64)
    if out.shape != (n,):
        raise ValueError(f"{name} must have one entry per product ({n})")
    return np.where(out < 0, -1, out)


def _inputs(
    pair_enterprise: ArrayLike,
    pair_product: ArrayLike,
    fit: ArrayLike,
    amount_fen: ArrayLike,
    quota_count: Quotas,
    quota_amount_fen: Quotas,
    n_enterprises: int | None,
    n_products: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Validated pair arrays (enterprise, product, fit, amount), quotas (count, amount) and E, P."""
    pe = np.asarray(pair_enterprise, np.int64)
    pp = np.asarray(pair_product, np.int64)
    fit = np.asarray(fit, np.float64)
    amount = np.asarray(amount_fen, np.int64)
    if not (pe.shape == pp.shape == fit.shape == amount.shape) or pe.ndim != 1:
        raise ValueError("pair arrays must be 1-D and of equal length")
    if (amount < 0).any():
        raise ValueError("amounts must be non-negative fen")
    if len(pe) and len(set(zip(pe.tolist(), pp.tolist(), strict=True))) != len(pe):
        raise ValueError("each (enterprise, product) pair may appear once")
    E = int(n_enterprises) if n_enterprises is not None else (int(pe.max()) + 1 if len(pe) else 0)
    P = int(n_products) if n_products is not None else (int(pp.max()) + 1 if len(pp) else 0)
    if quota_count is not None and n_products is None:
        P = max(P, len(quota_count))
    if quota_amount_fen is not None and n_products is None:
        P = max(P, len(quota_amount_fen))
    qc = _quota(quota_count, P, "quota_count")
    qa = _quota(quota_amount_fen, P, "quota_amount_fen")
    return pe, pp, fit, amount, qc, qa, E, P


def quota_violations(
    pair_enterprise: ArrayLike,
    pair_product: ArrayLike,
    amount_fen: ArrayLike,
    chosen: ArrayLike,
    quota_count: Quotas = None,
    quota_amount_fen: Quotas = None,
    n_products: int | None = None,
) -> list[str]:
    """Constraint violations of a selection, checked in integer arithmetic (empty list = feasible)."""
    pe = np.asarray(pair_enterprise, np.int64)
    pp = np.asarray(pair_product, np.int64)
    amount = np.asarray(amount_fen, np.int64)
    chosen = np.asarray(chosen, bool)
    P = (
        int(n_products)
        if n_products is not None
        else max(
            int(pp.max()) + 1 if len(pp) else 0,
            len(quota_count) if quota_count is not None else 0,
            len(quota_amount_fen) if quota_amount_fen is not None else 0,
        )
    )
    qc, qa = _quota(quota_count, P, "quota_count"), _quota(quota_amount_fen, P, "quota_amount_fen")
    out = []
    per_e = np.bincount(pe[chosen], minlength=int(pe.max()) + 1 if len(pe) else 0)
    for e in np.nonzero(per_e > 1)[0]:
        out.append(f"enterprise {e}: {per_e[e]} products")
    n_p = np.bincount(pp[chosen], minlength=P)
    s_p = np.zeros(P, np.int64)
    np.add.at(s_p, pp[chosen], amount[chosen])
    for p in range(P):
        if qc[p] >= 0 and n_p[p] > qc[p]:
            out.append(f"product {p}: {n_p[p]} loans > count quota {qc[p]}")
        if qa[p] >= 0 and s_p[p] > qa[p]:
            out.append(f"product {p}: {s_p[p]} fen > amount quota {qa[p]}")
    return out


def assign_greedy(
    pair_enterprise: ArrayLike,
    pair_product: ArrayLike,
    fit: ArrayLike,
    amount_fen: ArrayLike,
    quota_count: Quotas = None,
    quota_amount_fen: Quotas = None,
    *,
    n_enterprises: int | None = None,
    n_products: int | None = None,
) -> Assignment:
    """Greedy baseline: take pairs by decreasing fit (ties: input order) while they fit.

    A pair is taken when its enterprise has no product yet and the product's remaining count and
    amount quotas admit it. Feasible, fast, and not optimal: taking one enterprise's best product
    can use up the quota another enterprise needed more.
    """
    t0 = time.perf_counter()
    pe, pp, fit, amount, qc, qa, E, _P = _inputs(
        pair_enterprise, pair_product, fit, amount_fen, quota_count, quota_amount_fen, n_enterprises, n_products
    )
    order = np.lexsort((np.arange(len(fit)), -fit))
    order = order[fit[order] > 0]
    taken = np.zeros(E, bool).tolist()
    count_left = qc.tolist()
    amount_left = qa.tolist()
    chosen = np.zeros(len(fit), bool)
    pe_l, pp_l, amt_l = pe.tolist(), pp.tolist(), amount.tolist()
    for k in order.tolist():
        e, p, a = pe_l[k], pp_l[k], amt_l[k]
        if taken[e] or count_left[p] == 0 or (amount_left[p] >= 0 and a > amount_left[p]):
            continue
        taken[e] = True
        chosen[k] = True
        if count_left[p] > 0:
            count_left[p] -= 1
        if amount_left[p] >= 0:
            amount_left[p] -= a
    return Assignment(
        chosen=chosen,
        objective=float(fit[chosen].sum()),
        status="greedy",
        method="greedy",
        solve_time_s=time.perf_counter() - t0,
        n_pairs=len(fit),
    )


def _reduce(
    pe: np.ndarray, pp: np.ndarray, fit: np.ndarray, amount: np.ndarray, qc: np.ndarray, qa: np.ndarray, E: int, P: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact reduction (see module docstring). Returns active mask, fixed mask, remaining quotas."""
    n = len(fit)
    active = (fit > 0) & (qc[pp] != 0) & ~((qa[pp] >= 0) & (amount > qa[pp]))
    fixed = np.zeros(n, bool)
    qc, qa = qc.copy(), qa.copy()
    while True:
        n_p = np.bincount(pp[active], minlength=P)
        s_p = np.zeros(P, np.int64)
        np.add.at(s_p, pp[active], amount[active])
        binding = ((qc >= 0) & (n_p > qc)) | ((qa >= 0) & (s_p > qa))
        free = np.nonzero(active & ~binding[pp])[0]
        if len(free) == 0:
            break
        order = free[np.lexsort((free, -fit[free], pe[free]))]
        first = order[np.r_[True, pe[order][1:] != pe[order][:-1]]]  # best free pair per enterprise
        best_free = np.full(E, -np.inf)
        best_free[pe[first]] = fit[first]
        keep = np.zeros(n, bool)
        keep[first] = True
        drop = active & (fit <= best_free[pe]) & ~keep
        active &= ~drop
        n_e = np.bincount(pe[active], minlength=E)
        fix = first[n_e[pe[first]] == 1]
        if len(fix):
            fixed[fix] = True
            active[fix] = False
            np.subtract.at(qc, pp[fix], np.where(qc[pp[fix]] >= 0, 1, 0))
            np.subtract.at(qa, pp[fix], np.where(qa[pp[fix]] >= 0, amount[fix], 0))
        if not drop.any() and not len(fix):
            break
    return active, fixed, qc, qa


def _milp_rows(
    cls: np.ndarray,
    cls_cap: np.ndarray,
    vpp: np.ndarray,
    vamt: np.ndarray,
    qc_left: np.ndarray,
    qa_left: np.ndarray,
    P: int,
) -> tuple[Any, np.ndarray]:
    """Sparse constraint matrix and right-hand sides of a component (one column per (class,
    product) option)."""
    nv = len(cls)
    rows, cols, vals = [], [], []
    # one product per enterprise: Σ_p y[c, p] ≤ |c| (only classes with ≥ 2 options need a row)
    _, c_inv, c_cnt = np.unique(cls, return_inverse=True, return_counts=True)
    multi = c_cnt[c_inv] > 1
    c_row = np.cumsum(c_cnt > 1) - 1
    rows.append(c_row[c_inv[multi]])
    cols.append(np.nonzero(multi)[0])
    vals.append(np.ones(int(multi.sum())))
    r0 = int((c_cnt > 1).sum())
    class_ub = np.zeros(r0)
    np.maximum.at(class_ub, c_row[c_inv[multi]], cls_cap[multi].astype(float))
    n_p = np.zeros(P, np.int64)
    np.add.at(n_p, vpp, cls_cap)
    s_p = np.zeros(P, np.int64)
    np.add.at(s_p, vpp, vamt * cls_cap)
    count_rows = np.nonzero((qc_left >= 0) & (n_p > qc_left))[0]
    amount_rows = np.nonzero((qa_left >= 0) & (s_p > qa_left))[0]
    p_row = np.full(P, -1)
    p_row[count_rows] = r0 + np.arange(len(count_rows))
    m = p_row[vpp] >= 0
    rows.append(p_row[vpp][m])
    cols.append(np.nonzero(m)[0])
    vals.append(np.ones(int(m.sum())))
    r1 = r0 + len(count_rows)
    a_row = np.full(P, -1)
    a_row[amount_rows] = r1 + np.arange(len(amount_rows))
    m = a_row[vpp] >= 0
    # amount rows in units of the gcd g_p of their amounts: Σ (a_k / g_p) y_k ≤ ⌊A_p / g_p⌋. Integer
    # rows cannot be broken within the solver's feasibility tolerance (1e-6), and rounding the
    # quota down to a multiple of g_p tightens the LP without losing an integer point.
    gcd = np.zeros(P, np.int64)
    np.gcd.at(gcd, vpp[m], vamt[m])
    gcd = np.maximum(gcd, 1)
    rows.append(a_row[vpp][m])
    cols.append(np.nonzero(m)[0])
    vals.append((vamt[m] // gcd[vpp[m]]).astype(float))
    n_rows = r1 + len(amount_rows)
    A = sparse.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, nv))
    ub = np.concatenate(
        [class_ub, qc_left[count_rows].astype(float), (qa_left[amount_rows] // gcd[amount_rows]).astype(float)]
    )
    return A, ub


def _classes(
    vpe: np.ndarray, vpp: np.ndarray, vfit: np.ndarray, vamt: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[list[int]]]:
    """Group enterprises with identical options (same products, fits and amounts) into classes.

    Members of a class are interchangeable, so one integer variable y[c, p] ∈ [0, |c|] per class
    option replaces |c| binaries — an exact reformulation that removes the symmetry branch-and-
    bound would otherwise explore. Returns the options of each class's representative
    (``col_pair``: index into the component's pairs), the class of each column, class members
    (lists of pair-index offsets) for disaggregation.
    """
    order = np.lexsort((vpp, vpe))
    spe = vpe[order]
    starts = np.r_[0, np.nonzero(np.diff(spe))[0] + 1]
    ends = np.r_[starts[1:], len(order)]
    key_of: dict[bytes, int] = {}
    members: list[list[int]] = []  # per class: start offsets (into `order`) of its enterprises
    rep: list[tuple[int, int]] = []
    sp, sf, sa = vpp[order], vfit[order], vamt[order]
    for s0, s1 in zip(starts.tolist(), ends.tolist(), strict=True):
        key = sp[s0:s1].tobytes() + sf[s0:s1].tobytes() + sa[s0:s1].tobytes()
        c = key_of.get(key)
        if c is None:
            c = key_of[key] = len(members)
            members.append([])
            rep.append((s0, s1))
        members[c].append(s0)
    col_pair = np.concatenate([order[s0:s1] for s0, s1 in rep])
    col_class = np.concatenate([np.full(s1 - s0, c) for c, (s0, s1) in enumerate(rep)])
    col_offset = np.concatenate([np.arange(s1 - s0) for s0, s1 in rep])
    return order, col_pair, col_class, col_offset, members


def _simple_bound(vpe: np.ndarray, vpp: np.ndarray, vfit: np.ndarray, qc_left: np.ndarray) -> float:
    """An upper bound on a component's objective without the LP, for a solver stopped before its
    root LP: each enterprise takes at most its best pair, and each product with a count quota at
    most its Q best pairs — the smaller of the two sums (Σ of every fit counted pairs no solution
    can take together, so its "gap" said little)."""
    best = np.zeros(int(vpe.max()) + 1)
    np.maximum.at(best, vpe, vfit)
    order = np.lexsort((-vfit, vpp))
    product = vpp[order]
    starts = np.r_[0, np.nonzero(np.diff(product))[0] + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    quota = qc_left[product]
    within = (quota < 0) | (rank < quota)
    return float(min(best.sum(), vfit[order][within].sum()))


def _disaggregate(
    y: np.ndarray, n: int, order: np.ndarray, col_class: np.ndarray, col_offset: np.ndarray, members: list[list[int]]
) -> np.ndarray:
    """Pairs chosen from the class solution: y[c, p] members of class c take option p."""
    x = np.zeros(n, bool)
    taken = np.zeros(len(members), np.int64)
    for col in np.nonzero(y > 0)[0].tolist():
        c = col_class[col]
        for start in members[c][taken[c] : taken[c] + y[col]]:
            x[order[start + col_offset[col]]] = True
        taken[c] += y[col]
    return x


def _pair_columns(
    n: int, order: np.ndarray, col_class: np.ndarray, col_offset: np.ndarray, members: list[list[int]]
) -> np.ndarray:
    """The column (class option) of each of a component's pairs: the inverse of :func:`_disaggregate`."""
    col_start = np.nonzero(col_offset == 0)[0]
    n_options = np.diff(np.r_[col_start, len(col_offset)])
    pair_col = np.empty(n, np.int64)
    for c, starts in enumerate(members):
        options = col_start[c] + np.arange(n_options[c])
        for s in starts:
            pair_col[order[s : s + n_options[c]]] = options
    return pair_col


def _complete(
    y: np.ndarray,
    cfit: np.ndarray,
    col_class: np.ndarray,
    class_size: np.ndarray,
    cpp: np.ndarray,
    camt: np.ndarray,
    col_ub: np.ndarray,
    qc_left: np.ndarray,
    qa_left: np.ndarray,
) -> np.ndarray:
    """A feasible integer class solution from ``y`` (the LP solution rounded down), in integer
    arithmetic: units are taken out of any row ``y`` still breaks (lowest fit first; rounding
    down breaks a row only by the LP's tolerance), then every column is filled by decreasing fit
    as far as its class, count and amount rows allow — greedy on what the LP left."""
    y = np.clip(y, 0, col_ub).astype(np.int64)
    class_left = class_size - np.bincount(col_class, weights=y, minlength=len(class_size)).astype(np.int64)
    count_left = qc_left - np.bincount(cpp, weights=y, minlength=len(qc_left)).astype(np.int64)
    amount_left = qa_left.copy()
    np.subtract.at(amount_left, cpp, camt * y)
    count_limited, amount_limited = (qc_left >= 0).tolist(), (qa_left >= 0).tolist()
    cls_l, p_l, a_l = col_class.tolist(), cpp.tolist(), camt.tolist()
    y_l, ub_l = y.tolist(), col_ub.astype(np.int64).tolist()
    for j in np.argsort(cfit, kind="stable").tolist():
        c, p, a = cls_l[j], p_l[j], a_l[j]
        while y_l[j] > 0 and (
            class_left[c] < 0 or (count_limited[p] and count_left[p] < 0) or (amount_limited[p] and amount_left[p] < 0)
        ):
            y_l[j] -= 1
            class_left[c] += 1
            count_left[p] += 1
            amount_left[p] += a
    for j in np.argsort(-cfit, kind="stable").tolist():
        c, p, a = cls_l[j], p_l[j], a_l[j]
        k = min(ub_l[j] - y_l[j], class_left[c])
        if count_limited[p]:
            k = min(k, count_left[p])
        if amount_limited[p] and a > 0:
            k = min(k, amount_left[p] // a)
        if k > 0:
            y_l[j] += k
            class_left[c] -= k
            count_left[p] -= k
            amount_left[p] -= k * a
    return np.array(y_l, np.int64)


def _solve_component(
    vpe: np.ndarray,
    vpp: np.ndarray,
    vfit: np.ndarray,
    vamt: np.ndarray,
    qc_left: np.ndarray,
    qa_left: np.ndarray,
    P: int,
    deadline: float,
    mip_rel_gap: float,
    presolve: bool,
) -> tuple[np.ndarray, str, float, int, str, int]:
    """Integer program of one component. Returns (x, status, upper bound, nodes, message, n_rows).

    The LP relaxation comes first: its duals bound the component (:func:`solver.lagrangian_bound`)
    and its solution, rounded down and completed greedily (:func:`_complete`), is a start solution
    — on the contested province within 0.2 % of the LP bound after about a second (seed 2: better
    than what HiGHS without a start had found after a minute). The better of it and greedy starts
    branch-and-cut. Before it, :func:`_neighbourhood_search` looks for a better solution in a
    sub-MIP (HiGHS itself, from the rounded LP start, found nothing better on the contested
    province's seeds 1–2 within 30 s; the sub-MIP finds solutions within 1e-4–5e-4 of the bound in
    ~2 s). Its solution is kept aside, not handed to branch-and-cut: started from it, HiGHS no
    longer proved the province's seed 2 within 60 s (21 s otherwise). When the time limit stops
    the solver the best of its incumbent, the start and the neighbourhood's solution is kept. The
    solves end by ``deadline`` (``time.perf_counter``; :mod:`matching.solver`
    makes HiGHS keep it).
    """
    order, col_pair, col_class, col_offset, members = _classes(vpe, vpp, vfit, vamt)
    size = np.array([len(m) for m in members], np.int64)
    cpp, cfit, camt = vpp[col_pair], vfit[col_pair], vamt[col_pair]
    cap = size[col_class]
    col_ub = cap.copy()
    col_ub = np.where(qc_left[cpp] >= 0, np.minimum(col_ub, qc_left[cpp]), col_ub)
    col_ub = np.where(qa_left[cpp] >= 0, np.minimum(col_ub, qa_left[cpp] // np.maximum(camt, 1)), col_ub)
    A, ub = _milp_rows(col_class, cap, cpp, camt, qc_left, qa_left, P)
    n_enterprises = int(vpe.max()) + 1
    greedy = assign_greedy(vpe, vpp, vfit, vamt, qc_left, qa_left, n_enterprises=n_enterprises, n_products=P)
    simple_bound = _simple_bound(vpe, vpp, vfit, qc_left)
    if deadline - time.perf_counter() <= 0.05:
        message = "time limit reached before solving; greedy fallback"
        return greedy.chosen, "time_limit", simple_bound, 0, message, A.shape[0]
    model = solver.Model(cfit, A, ub, col_ub.astype(float), presolve=presolve)
    start = np.bincount(
        _pair_columns(len(vfit), order, col_class, col_offset, members)[greedy.chosen], minlength=len(cfit)
    )
    start_name = "greedy"
    lp_y, lp_bound, reduced = model.relaxation(deadline)
    found_y = None
    if lp_y is not None and reduced is not None:
        rounded = _complete(np.floor(lp_y + 1e-9), cfit, col_class, size, cpp, camt, col_ub, qc_left, qa_left)
        if cfit @ rounded > cfit @ start:
            start, start_name = rounded, "rounded LP"
        found_y = _neighbourhood_search(lp_y, reduced, start, cfit, A, ub, col_ub, deadline, mip_rel_gap, presolve)
        if found_y is not None and _violates(found_y, col_class, size, cpp, camt, qc_left, qa_left):
            found_y = None
    # branch-and-cut starts from the rounded LP (or greedy) even when the neighbourhood search found
    # better: started from that, HiGHS no longer proved the province's seed 2 within 60 s (21 s)
    result = model.solve(start, deadline, mip_rel_gap)
    if found_y is not None:
        start, start_name = found_y, "neighbourhood search"
    status, message = result.status, result.message
    y = result.y
    if y is not None and _violates(y, col_class, size, cpp, camt, qc_left, qa_left):
        # integer rows cannot be broken within the solver's tolerance; should it happen, say so
        y, status, message = None, "error", message + "; its solution broke a quota"
    if y is None or cfit @ start > cfit @ y:
        y = start
        if status != "optimal":
            message += f"; {start_name} start kept: better than the solver's incumbent"
    bound = min(lp_bound, result.bound, simple_bound)
    return (
        _disaggregate(y, len(vfit), order, col_class, col_offset, members),
        status,
        bound,
        result.nodes,
        message,
        A.shape[0],
    )


def _neighbourhood_search(
    lp_y: np.ndarray,
    reduced: np.ndarray,
    start: np.ndarray,
    cfit: np.ndarray,
    A: sparse.csr_array,
    ub: np.ndarray,
    col_ub: np.ndarray,
    deadline: float,
    mip_rel_gap: float,
    presolve: bool,
) -> np.ndarray | None:
    """A better solution than ``start`` from a sub-MIP over the columns the LP prices as worth
    taking (reduced cost ≥ 0), those it uses and the start's — a fifth to a third of the columns
    on the contested province — within :data:`NEIGHBOURHOOD_SHARE` of the time left (at most
    :data:`NEIGHBOURHOOD_MAX_S`); None when the LP is integral or nothing better is found."""
    keep = (reduced >= -1e-6) | (lp_y > 1e-9) | (start > 0)
    now = time.perf_counter()
    if np.abs(lp_y - np.rint(lp_y)).max(initial=0.0) <= 1e-6 or keep.all() or deadline - now <= 0.1:
        return None
    sub = solver.Model(cfit[keep], A[:, keep], ub, col_ub[keep].astype(float), presolve=presolve)
    found = sub.solve(start[keep], now + min(NEIGHBOURHOOD_SHARE * (deadline - now), NEIGHBOURHOOD_MAX_S), mip_rel_gap)
    if found.y is None or cfit[keep] @ found.y <= cfit @ start:
        return None
    y = np.zeros_like(start)
    y[keep] = found.y
    return y


def _violates(
    y: np.ndarray,
    col_class: np.ndarray,
    class_size: np.ndarray,
    cpp: np.ndarray,
    camt: np.ndarray,
    qc_left: np.ndarray,
    qa_left: np.ndarray,
) -> bool:
    """Whether a class solution breaks a class size, count or amount quota (integer arithmetic)."""
    if (y < 0).any() or (np.bincount(col_class, weights=y, minlength=len(class_size)) > class_size).any():
        return True
    count = np.bincount(cpp, weights=y, minlength=len(qc_left))
    amount = np.zeros(len(qa_left), np.int64)
    np.add.at(amount, cpp, camt * y)
    return bool(((qc_left >= 0) & (count > qc_left)).any() or ((qa_left >= 0) & (amount > qa_left)).any())


def assign(
    pair_enterprise: ArrayLike,
    pair_product: ArrayLike,
    fit: ArrayLike,
    amount_fen: ArrayLike,
    quota_count: Quotas = None,
    quota_amount_fen: Quotas = None,
    *,
    n_enterprises: int | None = None,
    n_products: int | None = None,
    time_limit_s: float = 120.0,
    mip_rel_gap: float = 0.0,
    presolve: bool = True,
) -> Assignment:
    """Exact optimal assignment: x_k ∈ {0, 1} per eligible pair k = (e_k, p_k)::

        maximise Σ f_k x_k  s.t.  Σ_{k∈e} x_k ≤ 1 (each enterprise),  Σ_{k∈p} x_k ≤ Q_p,
                                  Σ_{k∈p} a_k x_k ≤ A_p (each product with a quota)

    solved with HiGHS after the exact reduction, decomposition and aggregation described in the
    module docstring.

    Parameters
    ----------
    pair_enterprise, pair_product : int arrays (n_pairs,)
        Enterprise and product index of each eligible pair (each pair at most once).
    fit : float array (n_pairs,)
        Fit of each pair (pairs with fit ≤ 0 are never chosen; they add nothing).
    amount_fen : int array (n_pairs,)
        Proposed amount of each pair, fen.
    quota_count, quota_amount_fen : sequences (n_products,) of int or None
        Remaining count / amount (fen) quota per product; None or negative = unlimited.
    time_limit_s : wall-clock limit of the whole call: it returns within it (the solves stop
        :data:`AFTER_SOLVE_S` + :data:`AFTER_SOLVE_S_PER_PAIR` per pair before it, plus up to
        :data:`matching.solver.GRACE_S`) with the best solution found, status ``"time_limit"``
        and its gap to the best upper bound known.
    mip_rel_gap : ``0`` proves optimality (HiGHS's absolute gap tolerance of 1e-6 still applies).
    presolve : HiGHS presolve (see the measurements in ``params.toml``).
    """
    t0 = time.perf_counter()
    pe, pp, fit, amount, qc, qa, E, P = _inputs(
        pair_enterprise, pair_product, fit, amount_fen, quota_count, quota_amount_fen, n_enterprises, n_products
    )
    n = len(fit)
    solve_by = t0 + time_limit_s - AFTER_SOLVE_S - AFTER_SOLVE_S_PER_PAIR * n
    active, fixed, qc_left, qa_left = _reduce(pe, pp, fit, amount, qc, qa, E, P)
    chosen = fixed.copy()
    var = np.nonzero(active)[0]
    statuses: list[str] = []
    bound = float(fit[fixed].sum())
    nodes = 0
    n_rows = 0
    n_components = 0
    messages: set[str] = set()
    if len(var):
        vpe, vpp = pe[var], pp[var]
        # components of the bipartite graph enterprise — product, over products whose quotas bind
        n_p = np.bincount(vpp, minlength=P)
        s_p = np.zeros(P, np.int64)
        np.add.at(s_p, vpp, amount[var])
        binding = ((qc_left >= 0) & (n_p > qc_left)) | ((qa_left >= 0) & (s_p > qa_left))
        m = binding[vpp]
        graph = sparse.coo_array((np.ones(int(m.sum())), (vpe[m], E + vpp[m])), shape=(E + P, E + P))
        _, label = connected_components(graph, directed=False)
        comp = label[vpe]
        order = np.argsort(comp, kind="stable")
        bounds_at = np.r_[0, np.nonzero(np.diff(comp[order]))[0] + 1, len(order)]
        n_components = len(bounds_at) - 1
        # smallest components first: a large one hitting the time limit cannot starve the rest
        spans = sorted(itertools.pairwise(bounds_at), key=lambda span: span[1] - span[0])
        for c0, c1 in spans:
            k = var[order[c0:c1]]
            x, st, bd, nd, msg, nr = _solve_component(
                pe[k], pp[k], fit[k], amount[k], qc_left, qa_left, P, solve_by, mip_rel_gap, presolve
            )
            chosen[k[x]] = True
            statuses.append(st)
            bound += bd
            nodes += nd
            n_rows += nr
            messages.add(msg)
    violations = quota_violations(pe, pp, amount, chosen, qc, qa, n_products=P)
    if violations:
        raise RuntimeError("assignment violates constraints: " + "; ".join(violations[:5]))
    objective = float(fit[chosen].sum())
    status = "optimal" if all(s == "optimal" for s in statuses) else next(s for s in statuses if s != "optimal")
    if not len(var):
        bound = objective
    return Assignment(
        chosen=chosen,
        objective=objective,
        status=status,
        method="milp" if len(var) else "reduction",
        solve_time_s=time.perf_counter() - t0,
        n_pairs=n,
        n_fixed_by_reduction=int(fixed.sum()),
        n_variables=len(var),
        n_constraints=int(n_rows),
        mip_gap=max(0.0, (bound - objective) / max(abs(bound), 1e-12)) if len(var) else 0.0,
        mip_node_count=nodes,
        message="; ".join(sorted(messages)) if messages else "settled by exact reduction",
        details={"components": n_components, "upper_bound": bound},
    )
