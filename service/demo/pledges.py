"""Demo pledge registrations (质押登记) in the county's recent past.

At scale 1: 13 registration dates spread over the plan's window (2022-09-22 → 2024-12-31) and 8
in 2025–2026, each with an amount a bank would like to lend (¥0.3–3 million, about ¥1 million;
¥6.5–8.5 million wanted in the window against the plan's ¥10 million, ¥5–6.5 million after it).
What is lent is at most what the collateral secures: the pledged patents are valued **as of the
registration date** by the valuation library (:class:`_Valuer`: ``valuate(…, as_of=registration
date)`` against the county's own survival fit) and the amount is at most the sum of their
maximum loans, rounded down to ¥10,000 — so it falls short of what was wanted when the county's
patents secure less. A date on which no firm's patents secure ¥300,000 registers nothing.
Measured at scale 1 (seed 20220922): 12 registrations in the window totalling ¥6.17 million,
¥2.4–3.2 million a year in 2023–2026. Most pledgors are credit-loan customers of the pledgee bank
(并轨), holding the loan when they register where possible; banks favour the firms whose
collateral secures most.

Every pledged patent passes CNIPA's registration checks at the registration date: owned by the
pledgor, granted, not lapsed, expired or invalidated while the pledge runs, co-owners consenting,
not frozen, no invalidation pending, and at least MIN_REMAINING_YEARS of legal term left (so it
also outlives the loan). A patent is in one registration at a time: once released it may be
pledged again (a renewed loan), never while a registration holding it runs.
Loans that ended by the demo's "today" are released (注销) shortly after their end. One active
pledge holds a patent whose annual fee is now in its grace period, when there is such a patent:
the collateral-at-risk alert has something to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from valuation import Portfolio, build_reference, valuate
from valuation.stock import register_on

from . import cells
from .county import BANKS, PRODUCTS, Product
from .credit_loans import CreditLoan, add_months
from .enterprises import Enterprise
from .patents import PatentBook

# Registration dates per period at scale 1, and the band for the total amount wanted in the window.
IN_WINDOW = 13
AFTER_WINDOW = 8
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
_ACTIVE = date(9999, 12, 31)
# A pledge holds at most MAX_PATENTS patents; amounts are whole ¥10,000.
MAX_PATENTS = 4
AMOUNT_STEP_YUAN = 10_000


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
    # The valuation's maximum loan on the pledged patents at the registration date (not a column).
    max_loan_yuan: int = 0

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
        self.in_grace = book.in_grace[self.index]
        # The day a patent's latest registration was released (NaT: never pledged; _ACTIVE: held
        # by a pledge still running). A released patent can be pledged again (a renewed loan).
        self.released = np.full(len(self.index), np.datetime64("NaT"), dtype="datetime64[D]")

    def eligible(self, registered: date, loan_end: date, until: date | None) -> np.ndarray:
        """Mask of patents a pledge registered on ``registered`` can hold until ``until``
        (None = still active at the demo's "today")."""
        reg = np.datetime64(registered, "D")
        term_floor = max(np.datetime64(loan_end, "D"), reg + np.timedelta64(int(MIN_REMAINING_YEARS * 365.25), "D"))
        free = np.isnat(self.released) | (self.released < reg)
        ok = free & (self.grant < reg) & (self.expiry > term_floor)
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


class _Valuer:
    """The valuation library's maximum loan on a patent as of a past registration date: the
    patent as the register showed it that day (``valuation.stock.register_on``: lapsed later →
    valid), not pledged yet, valued against the county's own survival fit (``build_reference``
    on the demo's patents as of today — what the service fits when it values the loaded demo)."""

    def __init__(self, book: PatentBook, as_of: date) -> None:
        records = [dict(r, pledged=False, max_pledge_amount_yuan=None) for r in book.records]
        self.portfolio = Portfolio.from_records(records)
        self.reference = build_reference(self.portfolio, as_of, label="county")
        self._yearly: dict[int, np.ndarray] = {}

    def yearly(self, index: np.ndarray, year: int) -> np.ndarray:
        """Maximum loans of the patents ``index`` on 1 July of ``year`` for a one-year loan
        (cached per year): the cheap guide for choosing the pledgor; the amount itself is set by
        :meth:`max_loans` at the registration date."""
        cached = self._yearly.get(year)
        if cached is None:
            day = date(year, 7, 1)
            cached = np.zeros(len(index))
            priced = np.flatnonzero(np.isfinite(self.portfolio.revenue[index]))  # no revenue, no value
            if priced.size:
                then = register_on(self.portfolio.take(index[priced]), np.datetime64(day, "D"))
                result = valuate(then, day, reference=self.reference, loan_term_months=12)
                cached[priced] = np.nan_to_num(result.max_loan, nan=0.0)
            self._yearly[year] = cached
        return cached

    def max_loans(self, index: np.ndarray, registered: date, loan_end: date) -> np.ndarray:
        """Maximum loan (yuan, 0 when none) of the patents ``index`` registered on ``registered``
        for a loan ending on ``loan_end``."""
        then = register_on(self.portfolio.take(index), np.datetime64(registered, "D"))
        ends = np.full(len(index), np.datetime64(loan_end, "D"))
        result = valuate(then, registered, reference=self.reference, loan_ends=ends)
        return np.nan_to_num(result.max_loan, nan=0.0)


class _Loans:
    """The credit loans as arrays: who holds one at a date, and at which banks (并轨)."""

    def __init__(self, loans: list[CreditLoan], n_firms: int) -> None:
        self.n_firms = n_firms
        self.enterprise = np.array([loan.enterprise for loan in loans], dtype=np.int64)
        self.bank = np.array([loan.bank_code for loan in loans])
        self.start = np.array([loan.start_date for loan in loans], dtype="datetime64[D]")
        self.end = np.array([loan.maturity_date for loan in loans], dtype="datetime64[D]")
        self.customer = _mask(n_firms, self.enterprise)

    def current(self, day: date) -> np.ndarray:
        reg = np.datetime64(day, "D")
        return (self.start <= reg) & (reg < self.end)

    def holders(self, day: date) -> np.ndarray:
        return _mask(self.n_firms, self.enterprise[self.current(day)])

    def banks_of(self, enterprise: int, day: date) -> list[str]:
        """The banks of the firm's loans current on ``day``, else of any of its loans."""
        mine = self.enterprise == enterprise
        return sorted(set(self.bank[mine & self.current(day)].tolist()) or set(self.bank[mine].tolist()))


def _slots(rng: np.random.Generator, window: tuple[date, date], as_of: date, scale: float) -> list[tuple[date, int]]:
    """Registration dates and the amounts wanted on them (see the module docstring)."""
    start, end = window
    k_in = max(1, round(IN_WINDOW * scale))
    k_after = max(1, round(AFTER_WINDOW * scale))
    total = rng.uniform(*WINDOW_TOTAL_YUAN) * k_in / IN_WINDOW
    days = _spread(rng, start + timedelta(days=30), end, k_in)
    slots = list(zip(days, _amounts(k_in, total, rng), strict=True))
    total = rng.uniform(*AFTER_TOTAL_YUAN) * k_after / AFTER_WINDOW
    days = _spread(rng, end + timedelta(days=1), as_of - timedelta(days=7), k_after)
    slots += zip(days, _amounts(k_after, total, rng), strict=True)
    return sorted(slots)


def _capacity(owner: np.ndarray, usable: np.ndarray, max_loan: np.ndarray, n_firms: int) -> np.ndarray:
    """Per firm, what its MAX_PATENTS best usable patents secure (¥10,000 steps, rounded down)."""
    capacity = np.zeros(n_firms)
    for firm in np.unique(owner[usable]).tolist():
        best = np.sort(max_loan[usable & (owner == firm)])[::-1][:MAX_PATENTS]
        capacity[firm] = _floor_step(float(best.sum()))
    return capacity


def _cover(mine: np.ndarray, max_loan: np.ndarray, amount: int, first: np.ndarray | None) -> tuple[np.ndarray, int]:
    """The fewest of the firm's best patents (``mine``) whose maximum loans cover ``amount`` —
    with one patent of mask ``first`` ahead of them when given — at most MAX_PATENTS; and the
    amount they secure (at most ``amount``)."""
    mine = mine[np.argsort(-max_loan[mine], kind="stable")]
    if first is not None:
        mine = np.concatenate([mine[first[mine]][:1], mine])
        mine = mine[np.sort(np.unique(mine, return_index=True)[1])]
    covered = np.cumsum(max_loan[mine]) >= amount
    mine = mine[: min(MAX_PATENTS, int(np.argmax(covered)) + 1 if covered.any() else MAX_PATENTS)]
    return mine, min(amount, _floor_step(float(max_loan[mine].sum())))


def _narrow(pool: np.ndarray, enough: np.ndarray, credit: _Loans, registered: date, rng: np.random.Generator):
    """The firms a bank would take: mostly (MERGED_SHARE) 并轨 — a firm with a credit loan current
    at the registration date or, early in the window when few of today's loans had started, a
    customer with a loan at some time; and among them those whose collateral secures what is
    wanted (``enough``), when there are any."""
    if rng.random() < MERGED_SHARE:
        merged = pool & credit.holders(registered)
        if merged.sum() < 3:
            merged = pool & credit.customer
        if merged.any():
            pool = merged
    return pool & enough if (pool & enough).any() else pool


def _choose(
    pool: np.ndarray,
    capacity: np.ndarray,
    pledge_count: np.ndarray,
    rng: np.random.Generator,
    collateral: _Collateral,
    usable: np.ndarray,
    valuer: _Valuer,
    registered: date,
    loan_end: date,
) -> tuple[int, np.ndarray] | None:
    """A pledgor from ``pool`` whose usable patents secure at least the minimum amount on the
    registration date, and those patents' maximum loans (over the collateral; 0 elsewhere).
    Banks lend to the firms whose collateral secures the most (weight ∝ ``capacity``); a firm
    that has registered pledges already is less likely to come again."""
    pool = pool.copy()
    while pool.any():
        firms = np.flatnonzero(pool)
        strength = np.log(capacity[firms]) - 1.5 * pledge_count[firms]
        weight = np.exp(strength - strength.max())
        enterprise = int(firms[rng.choice(len(firms), p=weight / weight.sum())])
        mine = np.flatnonzero(usable & (collateral.owner == enterprise))
        max_loan = np.zeros(len(collateral.index))
        max_loan[mine] = valuer.max_loans(collateral.index[mine], registered, loan_end)
        best = np.sort(max_loan[mine])[::-1][:MAX_PATENTS]
        if _floor_step(float(best.sum())) >= AMOUNT_RANGE_YUAN[0]:
            return enterprise, max_loan
        pool[enterprise] = False
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
    slots = _slots(rng, window, as_of, scale)
    collateral = _Collateral(book, slots[0][0])
    valuer = _Valuer(book, as_of)
    n_firms = len(enterprises)
    credit = _Loans(loans, n_firms)
    pledge_count = np.zeros(n_firms)
    grace_shown = False
    pledges: list[Pledge] = []
    serial_by_year: dict[int, int] = {}
    for registered, wanted in slots:
        term = int(rng.choice((12, 12, 24, 24, 36)))
        loan_start = registered + timedelta(days=int(rng.integers(0, 8)))
        loan_end = add_months(loan_start, term)
        released = None
        if loan_end <= as_of:
            released = min(as_of, loan_end + timedelta(days=int(rng.integers(0, 21))))
        usable = collateral.eligible(registered, loan_end, released)
        if not usable.any():
            continue
        # What each patent secures, roughly (on 1 July of the year), to choose the pledgor by.
        guide = valuer.yearly(collateral.index, registered.year)
        usable &= guide > 0
        capacity = _capacity(collateral.owner, usable, guide, n_firms)
        able = capacity >= AMOUNT_RANGE_YUAN[0]
        # Show one active pledge whose collateral is now in its fee grace period.
        graced = _mask(n_firms, collateral.owner[usable & collateral.in_grace])
        want_grace = released is None and not grace_shown and bool((able & graced).any())
        pool = able & graced if want_grace else able
        if not pool.any():
            continue
        pool = _narrow(pool, capacity >= wanted, credit, registered, rng)
        # What the chosen firm's patents secure on the registration date, by the valuation
        # library: the amount is at most that.
        chosen = _choose(pool, capacity, pledge_count, rng, collateral, usable, valuer, registered, loan_end)
        if chosen is None:
            continue
        enterprise, max_loan = chosen
        amount = int(min(wanted, _capacity(collateral.owner, max_loan > 0, max_loan, n_firms)[enterprise]))
        amount = min(amount, AMOUNT_RANGE_YUAN[1])
        banks = credit.banks_of(enterprise, registered)
        bank = str(rng.choice(banks)) if banks else str(rng.choice(_BANK_CODES))
        product = _product_for(bank, amount, term, enterprises[enterprise], registered)

        first = collateral.in_grace & (max_loan > 0) if want_grace else None
        mine, amount = _cover(np.flatnonzero(max_loan > 0), max_loan, amount, first)
        if amount < AMOUNT_RANGE_YUAN[0]:
            continue
        grace_shown |= bool(collateral.in_grace[mine].any()) and released is None
        collateral.released[mine] = np.datetime64(released or _ACTIVE, "D")
        pledge_count[enterprise] += 1

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
                patents=sorted(int(i) for i in collateral.index[mine]),
                released_date=released,
                max_loan_yuan=int(max_loan[mine].sum()),
            )
        )
    return pledges


def _floor_step(yuan: float) -> int:
    """Rounded down to whole ¥10,000 (banks lend in 万元)."""
    return int(yuan // AMOUNT_STEP_YUAN) * AMOUNT_STEP_YUAN


def record_previous_pledges(book: PatentBook, pledges: list[Pledge]) -> None:
    """A pledged patent's ``previous_pledges`` counts at least its registrations in the demo."""
    counts: dict[int, int] = {}
    for pledge in pledges:
        for i in pledge.patents:
            counts[i] = counts.get(i, 0) + 1
    for i, k in counts.items():
        record = book.records[i]
        record["previous_pledges"] = max(int(record.get("previous_pledges") or 0), k)
