"""Legal term, annual fees (年费), grace period (滞纳期) and late fees (滞纳金), vectorised.

Rules (DESIGN.md §4, amounts and periods in ``params/fees.toml``):

* Term: an invention runs 20 years from filing, a utility model 10, a design 15 (10 if filed
  before 2021-06-01: the term is dated by filing date), plus granted term compensation (inventions
  granted from 2021-06-01: dated by grant date). The term ends the day before the anniversary:
  ``expiry_date = filing + term years + compensation days − 1 day``.
* Fees: the schedule in force on the valuation date (dated by valuation date) prices every fee
  year; functions that read it take parameters resolved at that date (``params.at(as_of)``).
* Fee year *k* runs from the (k−1)-th anniversary of the filing date; its fee is due on that
  anniversary. Fees for the years before grant are paid at grant, so ``fees_paid_through_year``
  of a granted patent is at least the fee year containing the grant date.
* A fee unpaid on its due date may be paid within 6 months (the grace period). Paid within the
  first month (due date + 1 month inclusive): no late fee; in month m = 2..6 after the due date:
  5 %·(m − 1) of the full fee, i.e. 5, 10, 15, 20, 25 %. After the grace period the patent
  lapses, backdated to the due date.
* Anniversaries of 29 February fall on 28 February in common years; month arithmetic keeps the
  day of month, clamped to the month's length.

Dates are ``numpy.datetime64[D]`` arrays (NaT = unknown / not applicable). Patent types are the
integer codes of :data:`PATENT_TYPES`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from valuation.params import Params, values_at
from valuation.unknowns import filled

PATENT_TYPES = ("invention", "utility_model", "design")
INVENTION, UTILITY_MODEL, DESIGN = 0, 1, 2
NAT = np.datetime64("NaT", "D")
MAX_FEE_YEAR = 20
_LATEST = np.datetime64("9999-12-31", "D")  # picks a dated value's latest entry
_TABLE_MIN_ROWS = 4096  # below this, date arithmetic element by element is as quick as a table


def add_months(dates: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """``dates`` + ``months`` calendar months, day of month clamped to the target month's length.

    Large arrays go through two small lookup tables instead of datetime conversions per element
    (each costs about as much as the rest of the arithmetic): day → (month, day of month) over the
    days between the earliest and latest date (a county's filing dates span a few thousand days),
    and month → (first day, length) over the target months. The tables are built with the same
    datetime arithmetic as :func:`add_months_direct`, so the results are identical."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    months = np.asarray(months, dtype=np.int64)
    if dates.size < _TABLE_MIN_ROWS:
        return add_months_direct(dates, months)
    day = dates.view(np.int64)
    known = day != NAT.view(np.int64)
    if not known.any():
        return np.full(np.broadcast_shapes(dates.shape, months.shape), NAT)
    first, last = int(day[known].min()), int(day[known].max())
    if last - first >= 4 * dates.size:  # a few far-apart dates: the table would outgrow the work
        return add_months_direct(dates, months)
    days = np.arange(first, last + 1, dtype=np.int64).astype("datetime64[D]")
    month_of_day = days.astype("datetime64[M]")
    day_of_month = (days - month_of_day.astype("datetime64[D]")).view(np.int64)
    offset = np.where(known, day - first, 0)
    target = month_of_day.view(np.int64).take(offset) + months  # months since 1970-01
    m_first, m_last = int(target.min()), int(target.max())
    if m_last - m_first >= 4 * target.size:
        return add_months_direct(dates, months)
    month_starts = np.arange(m_first, m_last + 2, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]")
    start = month_starts.view(np.int64)
    length = np.diff(start)
    row = target - m_first
    result = start.take(row) + np.minimum(day_of_month.take(offset), length.take(row) - 1)
    return np.where(known, result, NAT.view(np.int64)).view("datetime64[D]")


def add_months_direct(dates: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """:func:`add_months` element by element in datetime arithmetic (the reference; small arrays)."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    month_start = dates.astype("datetime64[M]")
    day_index = (dates - month_start.astype("datetime64[D]")).astype(np.int64)
    target = month_start + np.asarray(months, dtype=np.int64)
    month_len = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    result = target.astype("datetime64[D]") + np.minimum(day_index, month_len - 1)
    return np.where(np.isnat(dates), NAT, result)


def add_years(dates: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """Anniversary ``years`` after ``dates`` (29 Feb → 28 Feb in common years)."""
    return add_months(dates, np.asarray(years, dtype=np.int64) * 12)


def term_years(kind: np.ndarray, filing: np.ndarray, params: Params) -> np.ndarray:
    """Legal term in years by patent type code, by the law in force on each filing date."""
    terms = params.fees["term_years"]
    filing = np.asarray(filing, dtype="datetime64[D]")
    kind = np.asarray(kind, dtype=np.int64)
    years = np.zeros(kind.shape, dtype=np.int64)
    for code, name in enumerate(PATENT_TYPES):
        mine = kind == code
        if mine.any():
            years[mine] = values_at(terms[name], filing[mine]).astype(np.int64)
    return years


def compensated(kind: np.ndarray, grant: np.ndarray, params: Params) -> np.ndarray:
    """Whether each patent's recorded term compensation counts: inventions granted while the law
    provided for it. A pending application (no grant date) will be granted under the latest rule."""
    grant = np.asarray(grant, dtype="datetime64[D]")
    when = np.where(np.isnat(grant), _LATEST, grant)
    return (np.asarray(kind) == INVENTION) & values_at(params.fees["term_compensation"], when).astype(bool)


def expiry_dates(
    kind: np.ndarray,
    filing: np.ndarray,
    compensation_days: np.ndarray,
    params: Params,
    *,
    grant: np.ndarray,
    term: np.ndarray | None = None,
) -> np.ndarray:
    """Last day of the legal term: filing + term years − 1 day + compensation (where it counts).
    ``term``: :func:`term_years` of these patents, when the caller has it."""
    comp = np.where(compensated(kind, grant, params), filled(compensation_days, 0.0), 0.0).astype(np.int64)
    term = term_years(kind, filing, params) if term is None else term
    return add_years(filing, term) - np.timedelta64(1, "D") + comp


def fee_table(params: Params) -> np.ndarray:
    """Full annual fee in yuan, indexed ``[type code, fee year]`` (years 1..20; 0 where none), by
    the schedule of the parameters' valuation date (resolve them with ``params.at(as_of)``)."""
    table = np.zeros((len(PATENT_TYPES), MAX_FEE_YEAR + 2))
    for code, kind in enumerate(PATENT_TYPES):
        for tier in params.fees["schedule"][kind]:
            table[code, tier["from"] : tier["to"] + 1] = tier["fee"]
    return table


def annual_fee(kind: np.ndarray, fee_year: np.ndarray, params: Params) -> np.ndarray:
    """Full fee in yuan for fee year ``fee_year`` (0 outside the schedule)."""
    table = fee_table(params)
    year = np.clip(np.asarray(fee_year, dtype=np.int64), 0, MAX_FEE_YEAR + 1)
    return table[np.asarray(kind, dtype=np.int64), year]


def late_fee_rate(due: np.ndarray, paid_on: np.ndarray, params: Params) -> np.ndarray:
    """Late-fee rate for a fee due on ``due`` and paid on ``paid_on`` (NaN after the grace period).

    0 when paid on or before ``due + free_months``; else ``rate_per_month × (m − free_months)``
    where m is the month (1..6) after the due date in which payment falls, capped at
    ``max_rate``; NaN when paid after ``due + months`` (too late: the patent has lapsed).
    """
    grace = params.fees["grace"]
    due = np.asarray(due, dtype="datetime64[D]")
    paid_on = np.asarray(paid_on, dtype="datetime64[D]")
    month = np.zeros(np.broadcast(due, paid_on).shape, dtype=np.int64)
    for m in range(int(grace["months"]), 0, -1):
        month = np.where(paid_on <= add_months(due, m), m, month)
    rate = np.clip(grace["rate_per_month"] * (month - grace["free_months"]), 0.0, grace["max_rate"])
    rate = np.round(rate, 6)
    too_late = paid_on > add_months(due, int(grace["months"]))
    return np.where(too_late, np.nan, rate)


@dataclass(frozen=True)
class FeeStatus:
    """Fee position of each patent at the valuation date (arrays, one entry per patent).

    ``applies``: a granted, status-valid patent with a known fee record and a fee year left.
    ``next_fee_year`` / ``next_due`` / ``next_fee``: the first unpaid fee year, its due date
    (anniversary of filing) and full fee. ``overdue``: due date passed, still inside the grace
    period; ``late_fee`` is what paying at the valuation date costs on top of the fee (yuan).
    ``past_grace``: unpaid after the grace period — the patent has lapsed, backdated to
    ``next_due``, even if the register still says valid.
    """

    applies: np.ndarray
    next_fee_year: np.ndarray
    next_due: np.ndarray
    next_fee: np.ndarray
    grace_end: np.ndarray
    overdue: np.ndarray
    past_grace: np.ndarray
    late_fee_rate: np.ndarray
    late_fee: np.ndarray


def fee_status(
    kind: np.ndarray,
    filing: np.ndarray,
    fees_paid_through: np.ndarray,
    granted_valid: np.ndarray,
    as_of: np.datetime64,
    params: Params,
    term: np.ndarray | None = None,
) -> FeeStatus:
    """Next fee due, overdue / grace / past-grace status and late fee owed at ``as_of``.

    ``fees_paid_through`` is a float array (NaN = unknown); ``granted_valid`` marks patents that
    are granted and registered as valid (only those owe annual fees); ``term``: :func:`term_years`
    of these patents, when the caller has it.
    """
    as_of = as_of.astype("datetime64[D]")
    params = params.at(as_of)
    paid = filled(fees_paid_through, -1.0).astype(np.int64)
    next_year = paid + 1
    term = term_years(kind, filing, params) if term is None else term
    applies = granted_valid & (paid >= 0) & (next_year <= term)
    next_due = np.where(applies, add_years(filing, np.maximum(paid, 0)), NAT)
    grace_end = np.where(applies, add_months(next_due, int(params.fees["grace"]["months"])), NAT)
    overdue = applies & (next_due < as_of) & (as_of <= grace_end)
    past_grace = applies & (as_of > grace_end)
    rate = np.zeros(kind.shape)
    late = np.nonzero(overdue)[0]
    rate[late] = late_fee_rate(next_due[late], np.full(late.size, as_of), params)
    fee = np.where(applies, annual_fee(kind, next_year, params), 0.0)
    late_fee = np.zeros(kind.shape)
    late_fee[late] = np.round(rate[late] * fee[late], 2)  # 0 elsewhere (rate 0)
    return FeeStatus(
        applies=applies,
        next_fee_year=np.where(applies, next_year, 0),
        next_due=next_due,
        next_fee=fee,
        grace_end=grace_end,
        overdue=overdue,
        past_grace=past_grace,
        late_fee_rate=rate,
        late_fee=late_fee,
    )
