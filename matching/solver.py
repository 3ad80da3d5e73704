"""HiGHS (through ``highspy``) on the aggregated assignment problem of one component.

The problem, as :mod:`matching.assignment` builds it::

    maximise c·y  subject to  A y ≤ b,  0 ≤ y ≤ u,  y integer      (A ≥ 0, b ≥ 0, u ≥ 0)

Two solves on one model: the LP relaxation first — its duals give an upper bound that holds
whatever the LP solver's tolerances (:func:`lagrangian_bound`) and its solution, rounded, a start
solution — then branch-and-cut from the best start the caller has (HiGHS's ``setSolution``;
:func:`scipy.optimize.milp` takes none). HiGHS writes nothing: ``output_flag`` is off.

Deadlines
---------
HiGHS checks its time limit (and calls its interrupt callbacks) only between steps, and some
steps do not check at all: on the contested province the root reduced-cost heuristic's sub-MIP
(its presolve and clique partition), the analytic centre's interior point solve and the MIP
presolve ran 2–6 s without a check (sampled with gdb), so a 10 s limit ended after 11–17 s. Each
solve therefore runs in a thread of its own with HiGHS's limit at the caller's deadline; the caller
waits until the deadline (and :data:`GRACE_S`), then answers with what HiGHS has reported through
its callbacks — the best incumbent (``kCallbackMipImprovingSolution``) and the last dual bound
(``kCallbackMipInterrupt``) — and leaves HiGHS to stop at its next check, at the lowest CPU
priority meanwhile. The thread is not a daemon: an interpreter exiting meanwhile waits for it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
from scipy import sparse

__all__ = ["GRACE_S", "MipResult", "Model", "lagrangian_bound"]

GRACE_S = 0.05  # how long past its deadline a solve may take to stop by itself before it is left behind

_COLWISE = 1  # HighsMatrixFormat kColwise
_MINIMIZE = 1  # ObjSense kMinimize: HiGHS minimises -c·y
_INTEGER = 1  # HighsVarType kInteger


@dataclass(frozen=True)
class MipResult:
    """``y``: the solver's best integer solution (None when it has none); ``status``
    ``"optimal"`` (proven), ``"time_limit"`` or ``"error"``; ``bound``: the solver's upper bound on
    c·y (``inf`` when it has none)."""

    y: np.ndarray | None
    status: str
    bound: float
    nodes: int
    message: str


def lagrangian_bound(c: np.ndarray, A: sparse.csc_array, b: np.ndarray, u: np.ndarray, dual: np.ndarray) -> float:
    """Upper bound on c·y over {A y ≤ b, 0 ≤ y ≤ u} from any row prices ``dual`` ≥ 0::

        c·y = (c − Aᵀλ)·y + λ·A y ≤ Σ_j u_j max(0, (c − Aᵀλ)_j) + λ·b

    Valid for every λ ≥ 0 (negative entries are clipped), so it does not rely on the LP having
    been solved to any tolerance; with the LP's optimal duals it equals the LP bound.
    """
    lam = np.maximum(np.asarray(dual, float), 0.0)
    reduced = c - A.T @ lam
    return float(lam @ b + u @ np.maximum(reduced, 0.0))


class Model:
    """One component's integer program in a HiGHS instance (silent)."""

    def __init__(self, c: np.ndarray, A: sparse.csr_array, b: np.ndarray, u: np.ndarray, *, presolve: bool) -> None:
        self.c, self.A, self.b, self.u = c, sparse.csc_array(A), b, u
        self.h = highspy.Highs()  # type: ignore[no-untyped-call]  # (highspy 1.15: __init__ unannotated)
        self.h.setOptionValue("output_flag", False)
        # HiGHS's root reduced-cost heuristic solves a sub-MIP whose presolve and clique partition
        # never check the time (seconds on the contested province) and, at 7 s, found nothing there:
        # without it seed 0 is proven optimal in ~5.5 s (not within 7 s with it), seeds 1–2 end at
        # the same gaps; 30 s on seed 2: gap 8e-6 instead of 6e-4. matching.assignment's
        # neighbourhood search does the same job within the time limit.
        self.h.setOptionValue("mip_heuristic_run_root_reduced_cost", False)
        self.presolve = "on" if presolve else "off"
        n, m = len(c), A.shape[0]
        self.h.passModel(
            n,
            m,
            self.A.nnz,
            _COLWISE,
            _MINIMIZE,
            0.0,
            -c,
            np.zeros(n),
            u.astype(float),
            np.full(m, -highspy.kHighsInf),
            b.astype(float),
            self.A.indptr.astype(np.int32),
            self.A.indices.astype(np.int32),
            self.A.data.astype(float),
            np.zeros(n, np.int32),  # continuous: the LP relaxation first
        )
        # what branch-and-cut has reported so far, for an answer at the deadline while it runs on
        self._incumbent: np.ndarray | None = None
        self._dual_bound = -np.inf  # of the minimisation: -(upper bound on c·y)
        self._nodes = 0
        self._left_running = False
        self.h.cbMipImprovingSolution += self._on_solution
        self.h.cbMipInterrupt += self._on_progress

    def _on_solution(self, event: Any) -> None:
        y = np.array(event.data_out.mip_solution, dtype=float)
        if len(y) == len(self.c):
            self._incumbent = y

    def _on_progress(self, event: Any) -> None:
        self._dual_bound = max(self._dual_bound, float(event.data_out.mip_dual_bound))
        self._nodes = int(event.data_out.mip_node_count)

    def _run(self, deadline: float) -> bool:
        """Run HiGHS until it stops or ``deadline`` (``time.perf_counter``) + :data:`GRACE_S`
        passes; False when it is left running (see the module docstring)."""
        # HiGHS's time limit is on its run clock, which keeps counting over the model's solves
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(deadline - time.perf_counter(), 0.0))
        thread = threading.Thread(target=self.h.run, name="matching-highs")
        thread.start()
        thread.join(max(deadline - time.perf_counter(), 0.0) + GRACE_S)
        self._left_running = thread.is_alive()
        if self._left_running and thread.native_id is not None:
            # what it still computes is discarded: let it yield the CPU to the caller (Linux sets
            # a thread's nice value; elsewhere this may fail and is not needed for correctness)
            with contextlib.suppress(OSError, AttributeError):
                os.setpriority(os.PRIO_PROCESS, thread.native_id, 19)
        return not self._left_running

    def relaxation(self, deadline: float) -> tuple[np.ndarray | None, float, np.ndarray | None]:
        """LP relaxation: its solution, an upper bound from its duals and the reduced costs
        c − Aᵀλ at those prices — (None, ``inf``, None) if it was not solved in time."""
        # LP presolve is cheap and pays (contested province: 0.4 s instead of 3.7 s CPU); the
        # ``presolve`` argument is the MIP's
        self.h.setOptionValue("presolve", "on")
        if not self._run(deadline) or self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, np.inf, None
        sol = self.h.getSolution()
        # HiGHS's row duals of the minimisation are ≤ 0 on binding ≤ rows: the prices are their negation
        prices = np.maximum(-np.asarray(sol.row_dual), 0.0)
        bound = lagrangian_bound(self.c, self.A, self.b, self.u, prices)
        return np.asarray(sol.col_value), bound, self.c - self.A.T @ prices

    def solve(self, start: np.ndarray | None, deadline: float, mip_rel_gap: float) -> MipResult:
        """Branch-and-cut from ``start`` (a feasible integer solution) until ``deadline``
        (``time.perf_counter``)."""
        if self._left_running:  # the LP relaxation is still running: no time left
            return MipResult(None, "time_limit", np.inf, 0, "HiGHS: Time limit reached")
        n = len(self.c)
        self.h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, _INTEGER, np.uint8))
        self.h.setOptionValue("mip_rel_gap", mip_rel_gap)
        self.h.setOptionValue("presolve", self.presolve)
        if start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = start.astype(float)
            solution.value_valid = True
            self.h.setSolution(solution)
        if not self._run(deadline):
            incumbent, dual_bound = self._incumbent, self._dual_bound
            return MipResult(
                None if incumbent is None else np.rint(incumbent).astype(np.int64),
                "time_limit",
                -dual_bound if np.isfinite(dual_bound) else np.inf,
                self._nodes,
                "HiGHS: Time limit reached (answered at the deadline; HiGHS stops at its next check)",
            )
        model_status = self.h.getModelStatus()
        info = self.h.getInfo()
        message = f"HiGHS: {self.h.modelStatusToString(model_status)}"
        if model_status == highspy.HighsModelStatus.kOptimal:
            status = "optimal"
        elif model_status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt):
            status = "time_limit"
        else:
            status = "error"
        y = None
        if info.primal_solution_status == 2:  # kSolutionStatusFeasible
            y = np.rint(np.asarray(self.h.getSolution().col_value)).astype(np.int64)
        bound = -float(info.mip_dual_bound)
        return MipResult(y, status, bound if np.isfinite(bound) else np.inf, int(info.mip_node_count), message)
