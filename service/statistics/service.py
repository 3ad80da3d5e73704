"""County patent statistics: the high-value stock on any date and its monthly series, per
10,000 residents (issue 14). The arithmetic of "in force on a date" and the five CNIPA flags is
the valuation library's (``valuation/stock.py``); this module reads the data and the county's
dated figures (``county.toml``).

What "held by county enterprises" means here: the patent's current owner is an enterprise in the
register (every enterprise in it is the county's). Ownership history is not stored (only a count
of transfers), so a patent bought into the county is counted on dates before the purchase too.
Flags with no date in the data — strategic-industry IPC, granted abroad, awards — are taken as
they stand today on every date (``STATIC_FLAGS``); the pledge flag uses the registrations dated on
or before each date and the ten-year flag the years held on it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlmodel import Session

from service.models import Enterprise, Patent, PledgedPatent, PledgeRegistration
from service.valuations.records import PATENT_FIELDS, valuation_record
from valuation import Portfolio, load_params
from valuation.fees import INVENTION
from valuation.params.dated import Dated, parse_dated
from valuation.rules import HIGH_VALUE_FLAGS
from valuation.stock import PledgeHistory, Stock, month_ends, per_10k, stock_on

COUNTY_FILE = Path(__file__).with_name("county.toml")
STATIC_FLAGS = ("strategic_emerging", "granted_abroad", "award")
UNDATED_NOTE = (
    "strategic-industry IPC, granted abroad and awards have no date in the data and are taken as they "
    "stand today on every date; ownership history is not stored (the current owner is taken as the "
    "holder on every date)"
)


@cache
def county_figures() -> dict[str, Dated]:
    """The county's dated figures (population …) from ``county.toml``."""
    raw = tomllib.loads(COUNTY_FILE.read_text(encoding="utf-8"))
    return {name: parse_dated(COUNTY_FILE.name, name, table) for name, table in raw.items()}


def population_on(day: date) -> int:
    return int(county_figures()["population"].at(day))


def population_source() -> str:
    return county_figures()["population"].reference


@dataclass(frozen=True)
class CountyPatents:
    """Every patent held by a county enterprise, as the valuation library's columns plus who holds it."""

    patent_id: np.ndarray  # int64
    application_no: list[str]
    enterprise_id: np.ndarray  # int64
    credit_code: np.ndarray  # str: the holder's unified social credit code (its natural key)
    cluster: np.ndarray  # str
    town: np.ndarray  # str ("unknown" when not given)
    portfolio: Portfolio
    pledges: PledgeHistory

    @property
    def invention(self) -> np.ndarray:
        return self.portfolio.kind == INVENTION

    def __len__(self) -> int:
        return len(self.application_no)


_STORED = [name for name in PATENT_FIELDS if name != "owner_credit_code"]


def county_patents(session: Session) -> CountyPatents:
    """Read every patent with an owner in the register, and the pledge registrations of each."""
    columns = [getattr(Patent, name) for name in _STORED]
    rows = session.execute(
        select(Patent.id, Enterprise.id, Enterprise.credit_code, Enterprise.industry_cluster, Enterprise.town, *columns)
        .join(Enterprise, Enterprise.id == Patent.owner_id)
        .order_by(Patent.id)
    ).all()
    records, ids, owners, codes, clusters, towns = [], [], [], [], [], []
    for patent_id, enterprise_id, credit_code, cluster, town, *values in rows:
        fields = dict(zip(_STORED, values, strict=True), owner_credit_code=credit_code)
        records.append(valuation_record(fields))
        ids.append(patent_id)
        owners.append(enterprise_id)
        codes.append(credit_code)
        clusters.append(cluster)
        towns.append(town or "unknown")
    row_of = {patent_id: i for i, patent_id in enumerate(ids)}
    history = [
        (row_of[patent_id], day, fen)
        for patent_id, day, fen in session.execute(
            select(PledgedPatent.patent_id, PledgeRegistration.registration_date, PledgeRegistration.amount_fen).join(
                PledgeRegistration, PledgeRegistration.id == PledgedPatent.registration_id
            )
        )
        if patent_id in row_of
    ]
    pledges = PledgeHistory(
        patent=np.array([h[0] for h in history], dtype=np.int64),
        day=np.array([h[1] for h in history], dtype="datetime64[D]"),
        amount_yuan=np.array([h[2] / 100 for h in history], dtype=np.float64),
    )
    return CountyPatents(
        patent_id=np.array(ids, dtype=np.int64),
        application_no=[str(r["application_no"]) for r in records],
        enterprise_id=np.array(owners, dtype=np.int64),
        credit_code=np.array(codes, dtype=str),
        cluster=np.array(clusters, dtype=str),
        town=np.array(towns, dtype=str),
        portfolio=Portfolio.from_records(records),
        pledges=pledges,
    )


def stock(patents: CountyPatents, days: list[date] | np.ndarray) -> Stock:
    return stock_on(patents.portfolio, np.asarray(days, dtype="datetime64[D]"), load_params(), patents.pledges)


def series_points(patents: CountyPatents, held: Stock) -> list[dict[str, Any]]:
    """One point per date of ``held``: in-force inventions, high value, per flag, per 10,000 residents."""
    days = [d.astype(object) for d in held.dates]
    population = np.array([population_on(d) for d in days])
    inventions = held.invention_counts(patents.invention)
    high_value = held.high_value_counts()
    by_flag = held.flags.sum(axis=0)  # (m, 5)
    hv_per_10k = per_10k(high_value, population)
    inv_per_10k = per_10k(inventions, population)
    return [
        {
            "as_of": day,
            "month": day.isoformat()[:7],
            "invention_patents": int(inventions[j]),
            "high_value_patents": int(high_value[j]),
            "by_flag": {flag: int(by_flag[j, k]) for k, flag in enumerate(HIGH_VALUE_FLAGS)},
            "population": int(population[j]),
            "invention_per_10k_residents": round(float(inv_per_10k[j]), 4),
            "high_value_per_10k_residents": round(float(hv_per_10k[j]), 4),
        }
        for j, day in enumerate(days)
    ]


def high_value_series(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    """The stock at every month end from ``start``'s month to ``end``'s month (the last point is
    ``end`` itself when it is not a month end, so the series ends on the date asked for)."""
    days = [d.astype(object) for d in month_ends(np.datetime64(start, "D"), np.datetime64(end, "D"))]
    days[-1] = min(days[-1], end)
    patents = county_patents(session)
    return series_points(patents, stock(patents, days))


def high_value_patents_on(session: Session, as_of: date) -> list[dict[str, Any]]:
    """The high-value invention patents on a date, each with its holder and the flags it meets."""
    patents = county_patents(session)
    held = stock(patents, [as_of])
    rows = np.flatnonzero(held.high_value[:, 0])
    return [
        {
            "patent_id": int(patents.patent_id[i]),
            "application_no": patents.application_no[i],
            "enterprise_id": int(patents.enterprise_id[i]),
            "industry_cluster": str(patents.cluster[i]),
            "town": str(patents.town[i]),
            "flags": [flag for k, flag in enumerate(HIGH_VALUE_FLAGS) if held.flags[i, 0, k]],
        }
        for i in rows
    ]
