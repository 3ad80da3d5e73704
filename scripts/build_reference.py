"""Write valuation/params/reference.toml: the shipped reference (citation field rates, Gamma shape,
maintenance model) built on a simulated renewal-process portfolio (valuation/simulation.py).

It is an assumption in data form, used only when no stored portfolio is large enough to be the
reference; replace it by a reference built on real county data (``ipfin revalue`` stores one).

    .venv/bin/python scripts/build_reference.py [--n 50000] [--seed 2024] [--as-of 2025-01-01]
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from valuation import Portfolio, build_reference, load_params
from valuation.params import PARAMS_DIR
from valuation.simulation import simulate_portfolio


def _toml_value(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(float(value)) if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 1, 1))
    args = parser.parse_args()
    params = load_params()
    sim = simulate_portfolio(args.n, args.as_of, args.seed, params=params)
    reference = build_reference(Portfolio.from_records(sim.records), args.as_of, params, label="simulated")
    if reference.survival.source != "fitted":
        raise SystemExit("the simulated portfolio was too small to carry a reference")
    version = f"ref-{reference.survival.version.removeprefix('wph-f-')}"  # short: it goes into model_version (≤ 40)
    survival = reference.survival
    lines = [
        "# The shipped reference (valuation/reference.py): what a patent is compared with when no stored",
        "# portfolio is large enough — citation rates per field, the Gamma shape of relative citation rates",
        "# and the maintenance model. Written by scripts/build_reference.py; do not edit by hand.",
        'source = """Assumption in data form: fitted on a simulated Pakes (1986) renewal-process portfolio',
        f"(valuation/simulation.py, n = {args.n:,}, seed {args.seed}, as of {args.as_of}) under the fee schedule of",
        "fees.toml. Not an estimate for any real county; `ipfin revalue` replaces it by the stored",
        'portfolio\'s own reference as soon as that has enough lapses (survival.toml: min_events)."""',
        f'effective_from = "{args.as_of.isoformat()}"',
        f'version = "{version}"',
        "",
        "[citations]",
        f"shape = {reference.citations.shape!r}",
        "[citations.rates]  # citations per patent-year of exposure",
        *(f"{_toml_value(k)} = {v!r}" for k, v in sorted(reference.citations.rates.items())),
        "",
        "[survival]",
        f"shape = {survival.shape!r}",
        f"scale_years = {survival.scale_years!r}",
        f"n = {survival.n}",
        f"events = {survival.events}",
        "[survival.coefficients]  # log hazard ratios",
        *(f"{k} = {v!r}" for k, v in survival.coefficients.items()),
        "",
    ]
    path = Path(PARAMS_DIR) / "reference.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {path}: {version}, {survival.events} lapses among {survival.n} patents")


if __name__ == "__main__":
    main()
