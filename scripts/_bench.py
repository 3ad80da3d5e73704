"""What every benchmark script prints for `scripts/bench all`: one tagged JSON line per headline
figure, beside its own human-readable output. `bench_all.py` collects these lines into one table."""

from __future__ import annotations

import json

TAG = "BENCH-FIGURE "


def figure(name: str, value: float, unit: str, *, floor: float | None = None, aim: float | None = None) -> None:
    """One headline figure: `value` in `unit`; `floor` the same-run baseline in the same unit (the
    ratio is value / floor); `aim` the issue's bound on `value` (met when value ≤ aim)."""
    print(TAG + json.dumps({"name": name, "value": value, "unit": unit, "floor": floor, "aim": aim}), flush=True)
