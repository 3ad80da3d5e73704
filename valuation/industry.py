"""IPC-keyed lookups: industry cluster (``params/industry.toml``) and royalty-share ranges
(``params/royalty.toml``), by the longest matching IPC prefix.

A key may be a main group ("H01M 10"), subclass ("H01M"), class ("H01") or section ("H"); the
most specific key present wins. Lookups run once per distinct IPC code, then broadcast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from valuation.params import Params
from valuation.portfolio import IpcCodes, Portfolio

CLUSTERS = ("green_consumer", "equipment_manufacturing", "energy_electronics", "other")


def longest_prefix_index(codes: IpcCodes, keys: Mapping[str, Any]) -> np.ndarray:
    """Index into ``list(keys)`` of the most specific key matching each patent's IPC; −1 if none."""
    names = list(keys)
    position = {name: i for i, name in enumerate(names)}
    result = np.full(codes["group"][1].shape[0], -1, dtype=np.int64)
    for level in ("section", "class", "subclass", "main_group"):  # coarse first, finer levels overwrite
        unique, inverse = codes[level]
        found = np.array([position.get(str(u), -1) for u in unique], dtype=np.int64)
        hit = found[inverse]
        result = np.where(hit >= 0, hit, result)
    return result


def industry_cluster(portfolio: Portfolio, params: Params) -> np.ndarray:
    """County industry cluster code per patent ("other" when the IPC matches no listed prefix)."""
    prefixes = params.industry["prefixes"]
    index = longest_prefix_index(portfolio.ipc_codes, prefixes)
    values = np.array([*prefixes.values(), "other"], dtype=object)
    return values[np.where(index >= 0, index, len(prefixes))]


def royalty_ranges(codes: IpcCodes, params: Params) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Royalty-share group per patent, the (G, 3) table of (low, mode, high), and group metadata.

    Group ``G−1`` is the default range for IPCs matching nothing.
    """
    table = params.royalty["by_ipc"]
    index = longest_prefix_index(codes, table)
    groups = [dict(table[key], ipc=key) for key in table] + [dict(params.royalty["default"], ipc="")]
    ranges = np.array([[g["low"], g["mode"], g["high"]] for g in groups], dtype=np.float64)
    return np.where(index >= 0, index, len(table)), ranges, groups


__all__ = ["CLUSTERS", "industry_cluster", "longest_prefix_index", "royalty_ranges"]
