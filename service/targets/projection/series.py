"""The monthly series of a target: amount, count and running total per calendar month.

Plain bookkeeping, no model: what the progress chart draws. Months are calendar months; a
registration counts in the month of its date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any


def monthly_series(events: Iterable[tuple[date, int]], window_start: date, end: date) -> list[dict[str, Any]]:
    """Amount and count per calendar month from ``window_start``'s month to ``end``'s month.

    Only events with ``window_start ≤ date ≤ end`` count. Every month in range appears, with
    zeros when nothing happened; ``cumulative_fen`` runs from the window start. Empty when
    ``end < window_start``.

    >>> monthly_series([(date(2024, 1, 31), 5), (date(2024, 3, 1), 7)], date(2024, 1, 1), date(2024, 3, 1))[1]
    {'month': '2024-02', 'amount_fen': 0, 'count': 0, 'cumulative_fen': 5}
    """
    if end < window_start:
        return []
    first = window_start.year * 12 + window_start.month - 1
    last = end.year * 12 + end.month - 1
    amount = [0] * (last - first + 1)
    count = [0] * (last - first + 1)
    for day, fen in events:
        if window_start <= day <= end:
            index = day.year * 12 + day.month - 1 - first
            amount[index] += int(fen)
            count[index] += 1
    series, cumulative = [], 0
    for index in range(last - first + 1):
        year, month0 = divmod(first + index, 12)
        cumulative += amount[index]
        series.append(
            {
                "month": f"{year:04d}-{month0 + 1:02d}",
                "amount_fen": amount[index],
                "count": count[index],
                "cumulative_fen": cumulative,
            }
        )
    return series
