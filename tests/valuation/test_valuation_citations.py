"""Cohort citation percentiles against scipy.stats.percentileofscore(kind="mean"), which is
(count below + ½ count equal)/n — the same as (mid-rank − ½)/n — computed per cohort by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
from scipy.stats import percentileofscore

from valuation import Portfolio
from valuation.citations import citation_percentiles, grouped_percentile


def test_grouped_percentile_matches_percentileofscore():
    rng = np.random.default_rng(0)
    values = rng.poisson(3, 500).astype(float)
    groups = rng.integers(0, 7, 500)
    pct, size = grouped_percentile(values, groups)
    for g in range(7):
        members = values[groups == g]
        ref = np.array([percentileofscore(members, v, kind="mean") / 100 for v in members])
        np.testing.assert_allclose(pct[groups == g], ref, rtol=1e-12)
        assert (size[groups == g] == members.size).all()


def _record(i, ipc, grant_year, cites):
    return {
        "application_no": f"C{i}",
        "patent_type": "invention",
        "ipc": ipc,
        "legal_status": "valid",
        "filing_date": date(grant_year - 2, 1, 5),
        "grant_date": date(grant_year, 6, 1),
        "forward_citations": cites,
    }


def test_cohort_fallback():
    # 25 patents in H01M/2020 (a full cohort), 3 in H02J/2020 (too small → section H × 2020),
    # 2 in A47J/2018 alone in section A × 2018 and year 2018 → whole portfolio.
    records = [_record(i, "H01M 10/052", 2020, i % 5) for i in range(25)]
    records += [_record(100 + i, "H02J 7/00", 2020, c) for i, c in enumerate([0, 10, 2])]
    records += [_record(200 + i, "A47J 27/00", 2018, c) for i, c in enumerate([1, 50])]
    records += [_record(300, None, 2020, 4)]
    portfolio = Portfolio.from_records(records)
    pct, level = citation_percentiles(portfolio, min_cohort=20)
    cites = np.array([r["forward_citations"] for r in records], dtype=float)
    h01m = slice(0, 25)
    assert (level[h01m] == 0).all()
    np.testing.assert_allclose(pct[h01m], [percentileofscore(cites[h01m], c, kind="mean") / 100 for c in cites[h01m]])
    section_h = np.r_[0:28]  # H01M + H02J 2020 (the unknown-IPC patent is not in section H)
    assert (level[25:28] == 1).all()
    np.testing.assert_allclose(
        pct[25:28], [percentileofscore(cites[section_h], c, kind="mean") / 100 for c in cites[25:28]]
    )
    assert (level[28:30] == 3).all()
    np.testing.assert_allclose(pct[28:30], [percentileofscore(cites, c, kind="mean") / 100 for c in cites[28:30]])
    assert level[30] == 2  # unknown IPC → grant-year cohort (29 patents granted in 2020)
    year_2020 = np.r_[0:28, 30]
    assert pct[30] == percentileofscore(cites[year_2020], 4, kind="mean") / 100


def test_unknown_citations_rank_as_zero():
    records = [_record(i, "H01M 10/052", 2020, c) for i, c in enumerate([None, 0, 3])]
    pct, _ = citation_percentiles(Portfolio.from_records(records), min_cohort=1)
    assert pct[0] == pct[1] < pct[2]
