"""Forward citations as a percentile within a technology-and-age cohort.

Raw citation counts are not comparable across fields (electronics cites more than food
processing) or ages (an old patent has had more time to be cited), so each patent is ranked
against its cohort: same IPC subclass × grant year. When that cohort has fewer than
``scoring.citations.min_cohort`` patents, the percentile comes from the next wider cohort that is
large enough: IPC section × grant year, then grant year, then the whole portfolio. Patents not
yet granted use their filing year; an unknown IPC falls through to the year cohort.

Percentile = (mid-rank − 0.5) / cohort size, with mid-ranks for ties
(``scipy.stats.rankdata(method="average")``), so it lies in (0, 1), equals 0.5 when a whole
cohort is tied, and never decreases when a patent's own count increases. Unknown citation
counts are ranked as 0 citations (no evidence of impact earns none).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from valuation.portfolio import Portfolio


def grouped_percentile(
    values: np.ndarray, group: np.ndarray, value_codes: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile of each value within its group, and the group's size, in one pass.

    Ranks the composite key (group, value) over the whole array with average ranks, then
    subtracts the number of members of all smaller groups, which gives the mid-rank inside the
    group. ``group`` are integer codes; ``value_codes`` optionally the dense ranks of ``values``.
    """
    n = values.shape[0]
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    _, inverse, sizes = np.unique(group, return_inverse=True, return_counts=True)
    if value_codes is None:
        value_codes = rankdata(values, method="dense").astype(np.int64)  # 1..m, ties share a code
    key = inverse.astype(np.int64) * (int(value_codes.max()) + 1) + value_codes
    global_rank = rankdata(key, method="average")
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    mid_rank = global_rank - offset[inverse]
    size = sizes[inverse]
    return (mid_rank - 0.5) / size, size


def citation_percentiles(portfolio: Portfolio, min_cohort: int) -> tuple[np.ndarray, np.ndarray]:
    """Cohort percentile of forward citations and the cohort level used per patent.

    Level codes: 0 = IPC subclass × grant year, 1 = IPC section × grant year, 2 = grant year,
    3 = whole portfolio.
    """
    n = len(portfolio)
    cites = np.nan_to_num(portfolio.forward_citations, nan=0.0)
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int8)
    value_codes = rankdata(cites, method="dense").astype(np.int64)
    year_date = np.where(np.isnat(portfolio.grant), portfolio.filing, portfolio.grant)
    year = year_date.astype("datetime64[Y]").astype(np.int64)
    year = year - year.min()
    span = int(year.max()) + 1
    _, subclass = portfolio.ipc_codes["subclass"]
    _, section = portfolio.ipc_codes["section"]
    levels = [
        subclass.astype(np.int64) * span + year,
        section.astype(np.int64) * span + year,
        year,
        np.zeros(n, dtype=np.int64),
    ]
    known_ipc = portfolio.ipc_subclass != ""
    result = np.full(n, np.nan)
    level_used = np.full(n, 3, dtype=np.int8)
    for level in (3, 2, 1, 0):  # coarse to fine: the finest large-enough cohort wins
        pct, size = grouped_percentile(cites, levels[level], value_codes)
        ok = size >= min_cohort if level < 3 else np.ones(n, dtype=bool)
        if level < 2:
            ok &= known_ipc
        result = np.where(ok, pct, result)
        level_used = np.where(ok, level, level_used).astype(np.int8)
    return result, level_used


__all__ = ["citation_percentiles", "grouped_percentile"]
