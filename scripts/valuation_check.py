"""Where the valuation model stands against simulated worlds with known truth (a script, not a test).

Simulates 4,000 patents per seed (tests/valuation/world.py), runs ``ipfin valuate`` in-process on
each, and prints every calibration metric of tests/valuation/test_valuation_calibration.py with
its acceptance threshold, plus the one-patent magnitude check.

Usage: ``python scripts/valuation_check.py [--seeds 1 2 3]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.valuation.test_valuation_calibration import report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    report(tuple(args.seeds))


if __name__ == "__main__":
    main()
