"""Patent stock as of past dates: which patents were in force, and which were high value, on
each of a series of dates — reconstructed from the register as it stands today.

The register holds one current legal status per patent; the past is rebuilt from its dates:

* granted on or before the date (a pending application was never in force);
* within its legal term (``fees.expiry_dates``; an ``expired`` patent was in force until then);
* a ``lapsed`` patent was in force before its lapse date (the register's termination date, which
  is backdated to the unpaid fee's due date). Without a lapse date the first unpaid fee year's
  due date stands for it (``fees_paid_through_year``); with neither, the patent is never counted
  (an unknown never adds value);
* an ``invalidated`` patent is never counted: an invalidated right is deemed never to have
  existed (专利法 第47条);
* a ``valid`` patent is not in force on a date past an unpaid fee's grace period, exactly as
  ``rules.legal_position`` judges it on that date.

High-value flags (CNIPA statistical definition, ``params/high_value.toml``) are then judged on
each date: flag 3 (maintained over ten years) by the years held on that date, flag 4 (high pledge
amount) by the pledge registrations dated on or before it (:class:`PledgeHistory`). Flags 1
(strategic-industry IPC), 2 (granted abroad) and 5 (award) have no date in the data and are taken
as they stand today on every date; the service says so where it reports the stock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from valuation.fees import INVENTION, NAT, add_years
from valuation.params import Params
from valuation.portfolio import EXPIRED, LAPSED, VALID, Portfolio
from valuation.rules import high_value_flags, legal_position, strategic_emerging
from valuation.unknowns import filled


@dataclass(frozen=True)
class PledgeHistory:
    """Pledge registrations, one row per (registration, patent): the patent's row index in the
    portfolio, the registration date and the registered amount in yuan."""

    patent: np.ndarray  # int64
    day: np.ndarray  # datetime64[D]
    amount_yuan: np.ndarray  # float64

    @classmethod
    def empty(cls) -> PledgeHistory:
        return cls(np.array([], np.int64), np.array([], "datetime64[D]"), np.array([], np.float64))

    def largest_by(self, n: int, day: np.datetime64) -> np.ndarray:
        """Per patent, the largest amount registered on or before ``day`` (NaN: none)."""
        largest = np.full(n, -np.inf)
        mine = self.day <= day
        np.maximum.at(largest, self.patent[mine], self.amount_yuan[mine])
        return np.where(np.isneginf(largest), np.nan, largest)


@dataclass(frozen=True)
class Stock:
    """Per patent (rows) and date (columns): in force, each high-value flag, high value."""

    dates: np.ndarray  # (m,) datetime64[D]
    in_force: np.ndarray  # (n, m) bool
    flags: np.ndarray  # (n, m, 5) bool, order of rules.HIGH_VALUE_FLAGS; False where not in force
    high_value: np.ndarray  # (n, m) bool: an in-force invention with at least one flag

    def invention_counts(self, invention: np.ndarray) -> np.ndarray:
        """(m,) int: in-force invention patents per date."""
        return (self.in_force & invention[:, None]).sum(axis=0).astype(np.int64)

    def high_value_counts(self) -> np.ndarray:
        """(m,) int: high-value invention patents per date."""
        return self.high_value.sum(axis=0).astype(np.int64)


def lapse_dates(portfolio: Portfolio) -> np.ndarray:
    """When each lapsed patent stopped being in force: the lapse date, else the due date of the
    first unpaid fee year; NaT for every other status or when neither is known."""
    paid = portfolio.fees_paid_through
    from_fees = np.where(np.isnan(paid), NAT, add_years(portfolio.filing, filled(paid, 0.0).astype(np.int64)))
    lapse = np.where(np.isnat(portfolio.lapse), from_fees, portfolio.lapse)
    return np.where(portfolio.status == LAPSED, lapse, NAT)


def register_on(portfolio: Portfolio, day: np.datetime64) -> Portfolio:
    """The portfolio with each status as the register showed it on ``day``: a patent lapsed
    after ``day`` and an expired patent were ``valid`` then (whether an expired patent was still
    within its term is ``legal_position``'s check). Lapsed patents keep their lapse date as the
    end: their fee record no longer decides."""
    lapse = lapse_dates(portfolio)
    lapsed_later = (portfolio.status == LAPSED) & (lapse > day)
    was_valid = lapsed_later | (portfolio.status == EXPIRED)
    status = np.where(was_valid, VALID, portfolio.status).astype(np.int8)
    fees = np.where(lapsed_later, np.nan, portfolio.fees_paid_through)
    return portfolio.replace(status=status, fees_paid_through=fees)


def stock_on(portfolio: Portfolio, days: np.ndarray, params: Params, pledges: PledgeHistory | None = None) -> Stock:
    """In-force and high-value status of every patent on each of ``days`` (see the module)."""
    days = np.asarray(days, dtype="datetime64[D]")
    pledges = pledges if pledges is not None else PledgeHistory.empty()
    n, m = len(portfolio), len(days)
    in_force = np.zeros((n, m), dtype=bool)
    flags = np.zeros((n, m, 5), dtype=bool)
    strategic = strategic_emerging(portfolio)
    invention = portfolio.kind == INVENTION
    for j, day in enumerate(days):
        then = register_on(portfolio, day).replace(max_pledge_amount=pledges.largest_by(n, day))
        position = legal_position(then, day.astype(object), params, loan_term_months=12)
        granted_by = ~np.isnat(portfolio.grant) & (portfolio.grant <= day)
        in_force[:, j] = position.in_force & granted_by
        day_flags, _, _ = high_value_flags(then, position, params, strategic)
        flags[:, j, :] = day_flags & in_force[:, j, None]
    high_value = in_force & invention[:, None] & flags.any(axis=2)
    return Stock(dates=days, in_force=in_force, flags=flags, high_value=high_value)


def month_ends(first: np.datetime64, last: np.datetime64) -> np.ndarray:
    """The last day of every month from ``first``'s month to ``last``'s month."""
    start, stop = np.datetime64(str(first), "M"), np.datetime64(str(last), "M")
    months = start + np.arange(int((stop - start).astype(np.int64)) + 1)
    return (months + 1).astype("datetime64[D]") - np.timedelta64(1, "D")


def per_10k(counts: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Counts per 10,000 people (NaN where the population is unknown or not positive)."""
    population = np.asarray(population, dtype=np.float64)
    safe = np.where(population > 0, population, np.nan)
    return np.asarray(counts, dtype=np.float64) * 10_000.0 / safe


__all__ = ["PledgeHistory", "Stock", "lapse_dates", "month_ends", "per_10k", "register_on", "stock_on"]
