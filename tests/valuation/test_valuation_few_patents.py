"""A few patents (an estimate's) take their own short paths through ``valuate`` and ``records()``
(strategic match, money to cents): each patent's record is the one it gets among many."""

from __future__ import annotations

import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from valuation import Portfolio, valuate
from valuation.engine import _FEW_AMOUNTS, _money_list, _rounded
from valuation.simulation import simulate_portfolio

AS_OF = date(2025, 6, 30)


def test_a_few_patents_get_the_records_they_get_among_many():
    records = simulate_portfolio(300, AS_OF, seed=15).records
    titles = ["一种锂离子电池正极材料", " 光伏逆变器 ", "", "基于深度学习的图像识别方法"]
    titled = [
        r | {"title": titles[i % 4], "ipc": r["ipc"] if i % 2 or not r["ipc"] else f"{r['ipc'].split('/')[0]}/{i}"}
        for i, r in enumerate(records)
    ]
    whole = valuate(Portfolio.from_records(titled), AS_OF).records()
    assert len({r["ipc"] for r in titled}) > 32  # the whole portfolio takes the long paths
    assert any(w["strategic_industry"] for w in whole) and any(w["value_p50_yuan"] for w in whole)
    start = 0
    for size in [1, 2, 3, 5, 10] * 8:
        few = valuate(Portfolio.from_records(titled[start : start + size]), AS_OF).records()
        assert few == whole[start : start + size]
        start += size


def _half_up(v: float) -> Decimal | None:
    return Decimal(repr(v)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if np.isfinite(v) else None


def test_a_few_amounts_are_rounded_to_cents_as_many_are():
    rng = random.Random(15)
    values = [rng.uniform(-1e9, 1e9) for _ in range(200)] + [rng.randint(0, 10**9) / 100 + 0.005 for _ in range(200)]
    values += [1.005, 2.675, -0.0, 0.0, 1e15 + 0.125, float("nan"), float("inf"), -float("inf"), 123456.785]
    many = _money_list(np.array(values))
    assert [(str(m), m.as_tuple()) if m else m for m in many] == [
        (str(e), e.as_tuple()) if e else e for e in map(_half_up, values)
    ]
    for start in range(0, len(values), _FEW_AMOUNTS):
        few = _money_list(np.array(values[start : start + _FEW_AMOUNTS]))
        assert [(str(f), f.as_tuple()) if f else f for f in few] == [
            (str(m), m.as_tuple()) if m else m for m in many[start : start + _FEW_AMOUNTS]
        ]


def test_rounded_values_keep_numpys_rounding_and_none_for_unknown():
    x = np.array([1.005, 2.675, 0.125, -0.0, np.nan, np.inf, -np.inf, 1e300])
    assert _rounded(x, 2) == [float(np.round(v, 2)) if np.isfinite(v) else None for v in x.tolist()]
    assert _rounded(x, 2)[3:5] == [0.0, None]
