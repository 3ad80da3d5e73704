"""Monitoring (监测评估): applications, grants, lapses and the maintenance rate per month, quarter
or year, overall or by industry cluster, town or patent age; and invention patents per 10,000
employees (每万名从业人员发明专利拥有量).

Definitions (each row covers one period and one group):
* applications / grants / lapses — patents whose filing / grant / lapse date falls in the period
  (a lapse without a recorded date is dated at its first unpaid fee's due date, as in
  ``valuation.stock.lapse_dates``; expiry at the end of the term is not a lapse);
* in_force_end — patents in force on the period's last day (``valuation.stock``);
* granted_by_end — patents granted on or before that day (invalidated ones included: they were
  granted);
* maintenance_rate — in_force_end / granted_by_end (专利维持率), None when nothing was granted.
By patent age, events are grouped by the patent's age (years since filing) on the event's date,
and the stock by its age on the period's last day, in bands of AGE_BANDS years.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
from sqlalchemy import func, select
from sqlmodel import Session

from service.models import Enterprise
from service.statistics.service import CountyPatents, county_patents, stock
from valuation.fees import PATENT_TYPES
from valuation.stock import lapse_dates

Period = Literal["month", "quarter", "year"]
GroupBy = Literal["all", "cluster", "town", "age"]
AGE_BANDS = (0, 5, 10, 15, 20)  # [0, 5), [5, 10), … years since filing; 20+ is the last band
MAX_PERIODS = 600
YEAR_DAYS = 365.25


class TooManyPeriods(ValueError):
    pass


def periods(kind: Period, start: date, end: date) -> list[tuple[str, date, date]]:
    """(label, first day, last day) of every whole period from ``start``'s to ``end``'s."""
    step = {"month": 1, "quarter": 3, "year": 12}[kind]
    first_month = start.year * 12 + start.month - 1
    first_month -= first_month % step
    last_month = end.year * 12 + end.month - 1
    count = (last_month - first_month) // step + 1
    if count > MAX_PERIODS:
        raise TooManyPeriods(f"{count} {kind}s between {start} and {end}; at most {MAX_PERIODS}")
    result = []
    for index in range(max(count, 0)):
        month0 = first_month + index * step
        year, month = divmod(month0, 12)
        first = date(year, month + 1, 1)
        ny, nm = divmod(month0 + step, 12)
        last = date(ny, nm + 1, 1) - timedelta(days=1)
        label = {"month": f"{year}-{month + 1:02d}", "quarter": f"{year}Q{month // 3 + 1}", "year": str(year)}[kind]
        result.append((label, first, last))
    return result


def age_band(years: np.ndarray) -> np.ndarray:
    """Band label per age in years: '0-5', '5-10', '10-15', '15-20', '20+'."""
    labels = [f"{a}-{b}" for a, b in itertools.pairwise(AGE_BANDS)] + [f"{AGE_BANDS[-1]}+"]
    index = np.clip(np.searchsorted(np.array(AGE_BANDS[1:]), years, side="right"), 0, len(labels) - 1)
    return np.array(labels, dtype=object)[index]


def _age_on(patents: CountyPatents, days: np.ndarray) -> np.ndarray:
    return (np.asarray(days, dtype="datetime64[D]") - patents.portfolio.filing).astype(np.float64) / YEAR_DAYS


def _groups(patents: CountyPatents, by: GroupBy, on: np.ndarray) -> np.ndarray:
    """Each patent's group; for age, by its age on ``on`` (one date per patent, or one for all)."""
    if by == "cluster":
        return patents.cluster.astype(object)
    if by == "town":
        return patents.town.astype(object)
    if by == "age":
        return age_band(_age_on(patents, on))
    return np.full(len(patents), "all", dtype=object)


def _count(mask: np.ndarray, groups: np.ndarray) -> dict[str, int]:
    keys, counts = np.unique(groups[mask], return_counts=True)
    return {str(k): int(c) for k, c in zip(keys, counts, strict=True)}


def monitoring(
    session: Session, kind: Period, start: date, end: date, by: GroupBy = "all", patent_type: str = "invention"
) -> list[dict[str, Any]]:
    """One row per period and group that has anything to count (see the module docstring)."""
    spans = periods(kind, start, end)
    patents = county_patents(session)
    of_type = patents.portfolio.kind == PATENT_TYPES.index(patent_type)
    portfolio = patents.portfolio
    lapse = lapse_dates(portfolio)
    held = stock(patents, [last for _, _, last in spans])
    rows = []
    for j, (label, first, last) in enumerate(spans):
        lo, hi = np.datetime64(first, "D"), np.datetime64(last, "D")
        events = {
            "applications": (portfolio.filing, (portfolio.filing >= lo) & (portfolio.filing <= hi)),
            "grants": (portfolio.grant, (portfolio.grant >= lo) & (portfolio.grant <= hi)),
            "lapses": (lapse, (lapse >= lo) & (lapse <= hi)),
        }
        counted = {name: _count(of_type & mask, _groups(patents, by, day)) for name, (day, mask) in events.items()}
        end_groups = _groups(patents, by, np.full(len(patents), hi))
        in_force = _count(of_type & held.in_force[:, j], end_groups)
        granted = _count(of_type & ~np.isnat(portfolio.grant) & (portfolio.grant <= hi), end_groups)
        keys = sorted(set(granted) | set(in_force) | {k for c in counted.values() for k in c})
        for key in keys:
            rate = in_force.get(key, 0) / granted[key] if granted.get(key) else None
            rows.append(
                {
                    "period": label,
                    "start": first,
                    "end": last,
                    "group": key,
                    "patent_type": patent_type,
                    **{name: c.get(key, 0) for name, c in counted.items()},
                    "in_force_end": in_force.get(key, 0),
                    "granted_by_end": granted.get(key, 0),
                    "maintenance_rate": None if rate is None else round(rate, 4),
                }
            )
    return rows


def per_employee(session: Session, as_of: date) -> dict[str, Any]:
    """Invention patents in force on ``as_of`` per 10,000 employees, over the enterprises whose
    employee count is known (counted today: employee counts are not dated), overall and by cluster."""
    patents = county_patents(session)
    held = stock(patents, [as_of])
    valid_invention = held.in_force[:, 0] & patents.invention
    staff = dict(
        session.execute(
            select(Enterprise.industry_cluster, func.sum(Enterprise.employees))
            .where(Enterprise.employees.is_not(None))
            .group_by(Enterprise.industry_cluster)
        ).all()
    )
    known = set(session.scalars(select(Enterprise.id).where(Enterprise.employees.is_not(None))).all())
    counted = valid_invention & np.isin(patents.enterprise_id, list(known))

    def figure(patent_count: int, employees: int) -> dict[str, Any]:
        return {
            "invention_patents": patent_count,
            "employees": employees,
            "per_10k_employees": round(patent_count * 10_000 / employees, 2) if employees else None,
        }

    clusters = [
        {"industry_cluster": cluster, **figure(int((counted & (patents.cluster == cluster)).sum()), int(total or 0))}
        for cluster, total in sorted(staff.items())
    ]
    return {
        "as_of": as_of,
        **figure(int(counted.sum()), int(sum(v or 0 for v in staff.values()))),
        "enterprises_with_employees": len(known),
        "invention_patents_without_employee_count": int((valid_invention & ~counted).sum()),
        "by_cluster": clusters,
        "note": "employee counts are the enterprises' current figures (not dated)",
    }
