"""Demo credit loans: knowledge-value and commercial-value credit loans (and a few others).

Borrowers are mostly enterprises that own valid invention patents — the 并轨 candidates of
DESIGN.md §1. Grades follow the borrower's capability (A best), limits follow the grade
(:mod:`service.demo.county`), and most loans are current at the demo's "today"; a few
borrowers also have the matured loan they renewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from matching.pairs import add_months  # the one calendar-month rule (day clamped to month end)

from . import cells
from .county import BANKS, COMMERCIAL_VALUE_LIMITS, GRADE_SHARES, KNOWLEDGE_VALUE_LIMITS
from .enterprises import Enterprise

KIND_SHARES = {"knowledge_value": 0.55, "commercial_value": 0.40, "other": 0.05}
LIMITS = {"knowledge_value": KNOWLEDGE_VALUE_LIMITS, "commercial_value": COMMERCIAL_VALUE_LIMITS}
# Share of borrowers that own at least one valid invention patent.
PATENT_OWNER_SHARE = 0.8
# Share of loans that have matured by the demo's "today" (the rest are current).
MATURED_SHARE = 0.12
# Share of loans that are the earlier, matured loan of a borrower who renewed.
RENEWED_SHARE = 0.08


@dataclass
class CreditLoan:
    enterprise: int  # index into the enterprise list
    bank_code: str
    kind: str
    grade: str | None
    limit_yuan: int
    drawn_yuan: int
    start_date: date
    maturity_date: date

    def row(self, enterprises: list[Enterprise]) -> dict[str, str]:
        return {
            "enterprise_credit_code": enterprises[self.enterprise].credit_code,
            "bank_code": self.bank_code,
            "kind": self.kind,
            "grade": self.grade or "",
            "limit_yuan": cells.yuan(self.limit_yuan),
            "drawn_yuan": cells.yuan(self.drawn_yuan),
            "start_date": cells.day(self.start_date),
            "maturity_date": cells.day(self.maturity_date),
        }

    def is_current(self, on: date) -> bool:
        """The one definition of a current loan, matching's (the maturity day still counts)."""
        return self.start_date <= on <= self.maturity_date


def _grades(score: np.ndarray) -> list[str]:
    """Grades by rank of ``score``: the top GRADE_SHARES["A"] get A, and so on."""
    order = np.argsort(-score, kind="stable")
    bounds = np.cumsum([GRADE_SHARES[g] for g in GRADE_SHARES]) * len(score)
    grades = [""] * len(score)
    for rank, i in enumerate(order):
        grades[i] = list(GRADE_SHARES)[int(np.searchsorted(bounds, rank, side="right"))]
    return grades


def _amounts(limit: int, rng: np.random.Generator) -> int:
    return int(round(limit * rng.uniform(0.3, 1.0), -4))


def generate_credit_loans(
    enterprises: list[Enterprise],
    valid_inventions: np.ndarray,
    n: int,
    rng: np.random.Generator,
    as_of: date,
) -> list[CreditLoan]:
    """``n`` credit loans; ``valid_inventions[i]`` is the number of valid inventions firm i owns."""
    n_renewed = round(n * RENEWED_SHARE)
    n_borrowers = min(n - n_renewed, len(enterprises))
    capability = np.asarray([e.capability for e in enterprises])

    owners = np.flatnonzero(valid_inventions > 0)
    others = np.flatnonzero(valid_inventions == 0)
    k_owners = min(len(owners), round(n_borrowers * PATENT_OWNER_SHARE))
    k_others = min(len(others), n_borrowers - k_owners)

    def pick(pool: np.ndarray, k: int) -> np.ndarray:
        if k == 0:
            return pool[:0]
        weight = np.exp(capability[pool] - capability[pool].max())
        return rng.choice(pool, size=k, replace=False, p=weight / weight.sum())

    borrowers = np.concatenate([pick(owners, k_owners), pick(others, k_others)])
    borrowers = borrowers[rng.permutation(len(borrowers))]
    grade_score = (
        capability[borrowers] + 0.5 * np.log1p(valid_inventions[borrowers]) + rng.normal(0, 0.5, size=len(borrowers))
    )
    grades = _grades(grade_score)

    kinds = list(KIND_SHARES)
    kind_p = np.asarray([KIND_SHARES[k] for k in kinds])
    bank_p = np.asarray([b.loan_share for b in BANKS])
    loans: list[CreditLoan] = []
    for j, ent in enumerate(borrowers):
        kind = kinds[rng.choice(len(kinds), p=kind_p / kind_p.sum())]
        bank = BANKS[rng.choice(len(BANKS), p=bank_p / bank_p.sum())].code
        term = int(rng.choice((12, 12, 12, 24, 36)))
        if rng.random() < MATURED_SHARE:
            maturity = as_of - timedelta(days=int(rng.integers(1, 700)))
            start = add_months(maturity, -term)
        else:
            start = as_of - timedelta(days=int(rng.integers(10, term * 30 - 10)))
            maturity = add_months(start, term)
        if kind == "other":
            grade, limit = None, int(rng.choice((500_000, 1_000_000, 1_500_000, 2_000_000, 3_000_000)))
        else:
            grade = grades[j]
            limit = LIMITS[kind][grade]
        loans.append(CreditLoan(int(ent), bank, kind, grade, limit, _amounts(limit, rng), start, maturity))

    # Renewals: the matured predecessor of a current loan, same bank and kind, the same grade
    # or one lower (the borrower has improved since).
    current = [loan for loan in loans if loan.is_current(as_of)]
    for pick_ in rng.permutation(np.arange(len(current)))[:n_renewed]:
        later = current[pick_]
        term = int(rng.choice((12, 24)))
        maturity = later.start_date - timedelta(days=int(rng.integers(0, 30)))
        grade = later.grade
        if grade is not None and rng.random() < 0.5:
            grade = "ABCDE"[min(4, "ABCDE".index(grade) + 1)]
        limit = LIMITS[later.kind][grade] if grade is not None else later.limit_yuan
        loans.append(
            CreditLoan(
                later.enterprise,
                later.bank_code,
                later.kind,
                grade,
                limit,
                _amounts(limit, rng),
                add_months(maturity, -term),
                maturity,
            )
        )
    return loans
