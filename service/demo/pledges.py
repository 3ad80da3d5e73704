"""Demo pledge registrations (质押登记) in the county's recent past.

At scale 1: about 7 registrations spread over the plan's window (2022-09-22 → 2024-12-31)
totalling ¥6.5–8.5 million — the plan's ¥10 million target is *not quite* met — and about 6 in
2025–2026 totalling ¥5–6.5 million (short of the illustrative ¥8 million follow-up target).
Amounts are ¥0.3–3 million. Most pledgors are credit-loan customers of the pledgee bank (并轨),
holding the loan when they register where possible.

Every pledged patent passes CNIPA's registration checks at the registration date: owned by the
pledgor, granted, not lapsed, expired or invalidated while the pledge runs, co-owners consenting,
not frozen, no invalidation pending, and at least MIN_REMAINING_YEARS of legal term left (so it
also outlives the loan). No patent is in two registrations (so never in two active ones).
Loans that ended by the demo's "today" are released (注销) shortly after their end. One active
pledge holds a patent whose annual fee is now in its grace period, when there is such a patent:
the collateral-at-risk alert has something to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from . import cells
from .county import BANKS, PRODUCTS, Product
from .credit_loans import CreditLoan, add_months
from .enterprises import Enterprise
from .patents import PatentBook

# Registrations per period at scale 1, and the window's target band for the total amount.
IN_WINDOW = 7
AFTER_WINDOW = 6
WINDOW_TOTAL_YUAN = (6_500_000, 8_500_000)
# … and for 2025-01-01 → today, against the illustrative ¥8 million follow-up target.
AFTER_TOTAL_YUAN = (5_000_000, 6_500_000)
AMOUNT_RANGE_YUAN = (300_000, 3_000_000)
# Share of registrations by an enterprise with a current credit loan at the pledgee (并轨).
MERGED_SHARE = 0.75
# Minimum remaining legal term at registration, years: the strictest product's floor. The loan
# may not outlive the patent either (DESIGN.md §4).
MIN_REMAINING_YEARS = 5.0
_BANK_CODES = [b.code for b in BANKS]
# A running pledge holds patents until their simulated value × COVER_RATE covers the amount
# (at most MAX_PATENTS). County patents are worth little by the income approach, so the cover
# is often not reached: the demo's pledge amounts follow what banks lent, not the model.
COVER_RATE = 0.5
MAX_PATENTS = 4


@dataclass
class Pledge:
    registration_no: str
    registration_date: date
    enterprise: int
    bank_code: str
    product_code: str | None
    amount_yuan: int
    loan_start: date
    loan_end: date
    patents: list[int] = field(default_factory=list)
    released_date: date | None = None
    trademarks: list[str] = field(default_factory=list)  # 商标注册号

    def row(self, enterprises: list[Enterprise], book: PatentBook) -> dict[str, str]:
        return {
            "registration_no": self.registration_no,
            "registration_date": cells.day(self.registration_date),
            "enterprise_credit_code": enterprises[self.enterprise].credit_code,
            "bank_code": self.bank_code,
            "product_code": self.product_code or "",
            "amount_yuan": cells.yuan(self.amount_yuan),
            "loan_start": cells.day(self.loan_start),
            "loan_end": cells.day(self.loan_end),
            "patents": cells.codes(book.records[i]["application_no"] for i in self.patents),
            "trademarks": cells.codes(self.trademarks),
            "released_date": cells.day(self.released_date),
        }


def _amounts(k: int, total: float | None, rng: np.random.Generator) -> list[int]:
    """``k`` amounts in AMOUNT_RANGE_YUAN, rounded to ¥10,000; summing to about ``total``."""
    low, high = AMOUNT_RANGE_YUAN
    raw = np.clip(rng.lognormal(np.log(1_000_000), 0.55, size=k), low, high)
    if total is not None and k > 0:
        for _ in range(20):  # rescale, clip, repeat: converges because the bounds are wide
            raw = np.clip(raw * total / raw.sum(), low, high)
    return [int(round(x, -4)) for x in raw]


class _Collateral:
    """The patents that could ever be pledged (a subset, so per-registration checks stay cheap)."""

    def __init__(self, book: PatentBook, earliest: date) -> None:
        floor = np.datetime64(earliest, "D") + np.timedelta64(int(MIN_REMAINING_YEARS * 365.25), "D")
        base = (
            book.pledgeable
            & (book.owner >= 0)
            & ~np.isnat(book.grant)
            & (book.expiry > floor)
            & np.isin(book.status, ["valid", "lapsed", "expired"])
        )
        if (base & book.invention).any():  # banks take invention patents when there are any
            base &= book.invention
        self.index = np.flatnonzero(base)
        self.owner = book.owner[self.index]
        self.status = book.status[self.index]
        self.grant = book.grant[self.index]
        self.lapse = book.lapse[self.index]
        self.expiry = book.expiry[self.index]
        self.quality = book.quality[self.index]
        self.value = book.true_value[self.index]
        self.in_grace = book.in_grace[self.index]
        self.used = np.zeros(len(self.index), dtype=bool)

    def eligible(self, registered: date, loan_end: date, until: date | None) -> np.ndarray:
        """Mask of patents a pledge registered on ``registered`` can hold until ``until``
        (None = still active at the demo's "today")."""
        reg = np.datetime64(registered, "D")
        term_floor = max(np.datetime64(loan_end, "D"), reg + np.timedelta64(int(MIN_REMAINING_YEARS * 365.25), "D"))
        ok = ~self.used & (self.grant < reg) & (self.expiry > term_floor)
        if until is None:
            return ok & (self.status == "valid")
        end = np.datetime64(until, "D")  # released: the patent stayed valid until the release
        return ok & (
            (self.status == "valid")
            | ((self.status == "lapsed") & (self.lapse > end))
            | ((self.status == "expired") & (self.expiry > end))
        )


def _spread(rng: np.random.Generator, first: date, last: date, k: int) -> list[date]:
    """``k`` days spread over [first, last]: one uniformly drawn in each of k equal parts."""
    span = (last - first).days + 1
    edges = np.linspace(0, span, k + 1)
    offsets = np.floor(edges[:-1] + rng.random(k) * np.diff(edges)).astype(int)
    return [first + timedelta(days=int(d)) for d in offsets]


def _mask(n: int, index: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[index] = True
    return mask


def _product_for(bank: str, amount: int, term: int, enterprise: Enterprise, registered: date) -> Product | None:
    """The first product of ``bank`` that fits the amount, term, cluster and certifications."""
    held = {
        "high_tech": enterprise.high_tech_date,
        "specialized": enterprise.specialized_date,
        "ip_advantage": enterprise.ip_advantage_date,
        "ip_standard": enterprise.ip_standard_date,
    }
    for product in PRODUCTS:
        if product.bank_code != bank or not product.min_amount_yuan <= amount <= product.max_amount_yuan:
            continue
        if not product.term_min_months <= term <= product.term_max_months:
            continue
        if product.eligible_clusters and enterprise.industry_cluster not in product.eligible_clusters:
            continue
        if any(held[c] is None or held[c] > registered for c in product.required_certifications):
            continue
        return product
    return None


def generate_pledges(
    enterprises: list[Enterprise],
    book: PatentBook,
    loans: list[CreditLoan],
    rng: np.random.Generator,
    as_of: date,
    window: tuple[date, date],
    scale: float,
) -> list[Pledge]:
    """The county's past pledge registrations (see the module docstring)."""
    start, end = window
    slots: list[tuple[date, int]] = []
    k_in = max(1, round(IN_WINDOW * scale))
    k_after = max(1, round(AFTER_WINDOW * scale))
    total = rng.uniform(*WINDOW_TOTAL_YUAN) * k_in / IN_WINDOW
    days = _spread(rng, start + timedelta(days=30), end, k_in)
    slots += zip(days, _amounts(k_in, total, rng), strict=True)
    total = rng.uniform(*AFTER_TOTAL_YUAN) * k_after / AFTER_WINDOW
    days = _spread(rng, end + timedelta(days=1), as_of - timedelta(days=7), k_after)
    slots += zip(days, _amounts(k_after, total, rng), strict=True)
    slots.sort()

    collateral = _Collateral(book, slots[0][0])
    loan_enterprise = np.array([loan.enterprise for loan in loans], dtype=np.int64)
    loan_bank = np.array([loan.bank_code for loan in loans])
    loan_start_d = np.array([loan.start_date for loan in loans], dtype="datetime64[D]")
    loan_end_d = np.array([loan.maturity_date for loan in loans], dtype="datetime64[D]")
    customer = _mask(len(enterprises), loan_enterprise)
    pledge_count = np.zeros(len(enterprises))
    grace_shown = False
    pledges: list[Pledge] = []
    serial_by_year: dict[int, int] = {}
    for registered, amount in slots:
        term = int(rng.choice((12, 12, 24, 24, 36)))
        loan_start = registered + timedelta(days=int(rng.integers(0, 8)))
        loan_end = add_months(loan_start, term)
        released = None
        if loan_end <= as_of:
            released = min(as_of, loan_end + timedelta(days=int(rng.integers(0, 21))))
        ok = collateral.eligible(registered, loan_end, released)
        if not ok.any():
            continue
        # Show one active pledge whose collateral is now in its fee grace period.
        want_grace = released is None and not grace_shown and bool((ok & collateral.in_grace).any())
        n_firms = len(enterprises)
        has = np.zeros(n_firms, dtype=bool)
        has[collateral.owner[ok & collateral.in_grace] if want_grace else collateral.owner[ok]] = True
        reg = np.datetime64(registered, "D")
        current = (loan_start_d <= reg) & (reg < loan_end_d)
        # 并轨: a firm with a credit loan current at the registration date, or (early in the
        # window, when few of today's loans had started) a customer with a loan at some time.
        pool = has
        if rng.random() < MERGED_SHARE:
            merged = has & _mask(n_firms, loan_enterprise[current])
            if merged.sum() < 3:
                merged = has & customer
            if merged.any():
                pool = merged
        pool = np.flatnonzero(pool)
        # Banks favour the firms with the strongest collateral: for a pledge still running, the
        # best patent's value today (weight ∝ value); for a released one, the best patent's
        # quality. A firm that has registered pledges already is less likely to come again.
        merit = np.log1p(collateral.value) if released is None else collateral.quality
        best = np.full(n_firms, -np.inf)
        np.maximum.at(best, collateral.owner[ok], merit[ok])
        strength = best[pool] - 1.5 * pledge_count[pool]
        weight = np.exp(strength - strength.max())
        enterprise = int(pool[rng.choice(len(pool), p=weight / weight.sum())])
        banks = sorted(
            set(loan_bank[current & (loan_enterprise == enterprise)].tolist())
            or set(loan_bank[loan_enterprise == enterprise].tolist())
        )
        bank = str(rng.choice(banks)) if banks else str(rng.choice(_BANK_CODES))
        product = _product_for(bank, amount, term, enterprises[enterprise], registered)

        mine = np.flatnonzero(ok & (collateral.owner == enterprise))
        mine = mine[np.argsort(-merit[mine], kind="stable")]
        if want_grace:
            graced = mine[collateral.in_grace[mine]]
            mine = np.concatenate([graced[:1], mine[mine != graced[0]]])
            grace_shown = True
        if released is None:  # as many as cover the amount at COVER_RATE, within MAX_PATENTS
            cover = np.cumsum(collateral.value[mine]) * COVER_RATE >= amount
            n_patents = min(len(mine), MAX_PATENTS, int(np.argmax(cover)) + 1 if cover.any() else MAX_PATENTS)
        else:
            n_patents = min(len(mine), 1 + int(amount >= 1_000_000) + int(amount >= 2_000_000))
        collateral.used[mine[:n_patents]] = True
        pledge_count[enterprise] += 1
        chosen = sorted(int(i) for i in collateral.index[mine[:n_patents]])

        year = registered.year
        serial_by_year[year] = serial_by_year.get(year, 0) + int(rng.integers(3, 40))
        pledges.append(
            Pledge(
                registration_no=f"Y{year}50{serial_by_year[year]:07d}",
                registration_date=registered,
                enterprise=enterprise,
                bank_code=bank,
                product_code=product.code if product else None,
                amount_yuan=amount,
                loan_start=loan_start,
                loan_end=loan_end,
                patents=chosen,
                released_date=released,
            )
        )
    return pledges


def record_previous_pledges(book: PatentBook, pledges: list[Pledge]) -> None:
    """A pledged patent's ``previous_pledges`` counts at least its registrations in the demo."""
    counts: dict[int, int] = {}
    for pledge in pledges:
        for i in pledge.patents:
            counts[i] = counts.get(i, 0) + 1
    for i, k in counts.items():
        record = book.records[i]
        record["previous_pledges"] = max(int(record.get("previous_pledges") or 0), k)
