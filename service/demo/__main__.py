"""``python -m service.demo DIRECTORY [--scale S] [--seed N]``: write the demo county as import
CSV files (banks.csv … pledges.csv), e.g. to inspect them or to build benchmark data."""

from __future__ import annotations

import argparse
import time

from service.demo import DEMO_SEED, build_demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m service.demo", description=__doc__)
    parser.add_argument("directory", help="where to write the CSV files")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the counts (default 1)")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED})")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    dataset = build_demo(scale=args.scale, seed=args.seed)
    for kind, path in dataset.write_csv(args.directory).items():
        print(f"{len(dataset.tables[kind]):>8} {kind:<13} {path}")
    print(f"built in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
