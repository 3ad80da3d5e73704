"""A deterministic demo county (Yunyang, Chongqing) in the import formats.

>>> from service.demo import build_demo, DEMO_AS_OF
>>> ds = build_demo(scale=1.0)          # deterministic for a given (scale, seed)
>>> ds.tables["patents"][0]["application_no"]  # every cell a string, as in a CSV file
>>> ds.write_csv("var/demo")            # banks.csv, products.csv, …, pledges.csv

See :mod:`service.demo.dataset` for the stages and docs/import-formats.md for the columns.
"""

from service.demo.county import DEMO_AS_OF
from service.demo.dataset import COLUMNS, DEMO_SEED, DemoDataset, build_demo

__all__ = ["COLUMNS", "DEMO_AS_OF", "DEMO_SEED", "DemoDataset", "build_demo"]
