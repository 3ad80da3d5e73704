"""HiGHS (through ``highspy``) on the aggregated assignment problem of one component.

The problem, as :mod:`matching.assignment` builds it::

    maximise c·y  subject to  A y ≤ b,  0 ≤ y ≤ u,  y integer      (A ≥ 0, b ≥ 0, u ≥ 0)

Two solves on one model: the LP relaxation first — its duals give an upper bound that holds
whatever the LP solver's tolerances (:func:`lagrangian_bound`) and its solution, rounded, a start
solution — then branch-and-cut from the best start the caller has (HiGHS's ``setSolution``;
:func:`scipy.optimize.milp` takes none). HiGHS writes nothing: ``output_flag`` is off.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

__all__ = ["MipResult", "Model", "lagrangian_bound"]

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

    def _set_time_limit(self, seconds: float) -> None:
        # HiGHS's time limit is on its run clock, which keeps counting over the model's solves
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(seconds, 0.0))

    def relaxation(self, time_limit_s: float) -> tuple[np.ndarray | None, float]:
        """LP relaxation: (its solution or None, an upper bound from its duals — ``inf`` if none)."""
        # LP presolve is cheap and pays (contested province: 0.4 s instead of 3.7 s CPU); the
        # ``presolve`` argument is the MIP's
        self.h.setOptionValue("presolve", "on")
        self._set_time_limit(time_limit_s)
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, np.inf
        sol = self.h.getSolution()
        # HiGHS's row duals of the minimisation are ≤ 0 on binding ≤ rows: the prices are their negation
        bound = lagrangian_bound(self.c, self.A, self.b, self.u, -np.asarray(sol.row_dual))
        return np.asarray(sol.col_value), bound

    def solve(self, start: np.ndarray | None, time_limit_s: float, mip_rel_gap: float) -> MipResult:
        """Branch-and-cut from ``start`` (a feasible integer solution) within ``time_limit_s``."""
        n = len(self.c)
        self.h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, _INTEGER, np.uint8))
        self.h.setOptionValue("mip_rel_gap", mip_rel_gap)
        self.h.setOptionValue("presolve", self.presolve)
        self._set_time_limit(time_limit_s)
        if start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = start.astype(float)
            solution.value_valid = True
            self.h.setSolution(solution)
        self.h.run()
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
