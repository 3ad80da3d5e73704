"""Demo patents: a simulated renewal-process portfolio placed in the county.

:func:`valuation.simulation.simulate_portfolio` produces the patents' histories (filing, grant,
annual-fee renewals and lapses driven by each patent's yearly return, citations, claims, …) with
placeholder numbers and no owner. This module gives each patent

* a real CN application number of its filing year and type (check character per DESIGN.md §4;
  the 8-digit pre-October-2003 form for older filings, as CNIPA numbered them then),
* an owner: patents go to enterprises of the industry cluster their IPC belongs to
  (``valuation/params/industry.toml``), a few to firms outside it; ownership is skewed — a few
  firms own many, most own one to five, some own none — and mildly favours capable firms,
* a Chinese title built from its IPC subclass (:data:`~service.demo.vocabulary.TITLE_STEMS`),

and turns the typed values into import cells (:data:`COLUMNS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from service.imports.kinds import KINDS
from valuation.params import load_params

from . import cells
from .county import CLUSTERS
from .enterprises import Enterprise
from .vocabulary import TITLE_MODIFIERS, TITLE_STEMS

COLUMNS = tuple(column.name for column in KINDS["patents"].columns)
_DATE_COLUMNS = {"filing_date", "grant_date", "lapse_date"}
_MONEY_COLUMNS = {"annual_revenue_yuan"}
_BOOLEAN_COLUMNS = {"co_owners_consent", "granted_abroad", "pct", "invalidation_pending", "frozen"}
_BOOLEAN_CELLS = {True: "true", False: "false", None: ""}

TYPE_DIGITS = {"invention": 1, "utility_model": 2, "design": 3}
# Share of a cluster's enterprises that own patents, and of patents owned outside their cluster.
OWNING_SHARE = 0.8
CROSS_CLUSTER_SHARE = 0.08
# CNIPA switched from 8-digit to 12-digit application numbers on 2003-10-01.
TWELVE_DIGITS_FROM = date(2003, 10, 1)
# Upper end of the 7-digit serials drawn per type (roughly a year's filings in the 2020s).
_SERIAL_HIGH = {1: 1_600_000, 2: 3_400_000, 3: 900_000}
_WEIGHTS_12 = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5])
_WEIGHTS_8 = np.array([2, 3, 4, 5, 6, 7, 8, 9])


@dataclass
class PatentBook:
    """The placed patents: import-style typed ``records`` and per-patent arrays for later stages.

    ``owner`` indexes the enterprise list (-1 = no owner). Dates are ``datetime64[D]`` (NaT when
    absent); ``quality`` is the simulator's latent quality (diagnostic; used only to pick which
    patents a bank would take as collateral).
    """

    records: list[dict[str, Any]]
    true_value: np.ndarray
    owner: np.ndarray
    invention: np.ndarray
    status: np.ndarray
    filing: np.ndarray
    grant: np.ndarray
    lapse: np.ndarray
    expiry: np.ndarray
    pledgeable: np.ndarray  # co-owners consent, not frozen, no invalidation request pending
    in_grace: np.ndarray
    quality: np.ndarray

    def rows(self, enterprises: list[Enterprise]) -> list[dict[str, str]]:
        """Import rows (column by column: one converter call per column, not per cell)."""
        columns: dict[str, list[str]] = {}
        for name in COLUMNS:
            values = [record.get(name) for record in self.records]
            if name == "owner_credit_code":
                codes = [e.credit_code for e in enterprises]
                columns[name] = [codes[i] if i >= 0 else "" for i in self.owner.tolist()]
            elif name in _DATE_COLUMNS:
                columns[name] = [v.isoformat() if v is not None else "" for v in values]
            elif name in _MONEY_COLUMNS:
                columns[name] = [cells.yuan(v) for v in values]
            elif name in _BOOLEAN_COLUMNS:
                columns[name] = [_BOOLEAN_CELLS[v] for v in values]
            else:
                columns[name] = ["" if v is None else str(v) for v in values]
        return [dict(zip(COLUMNS, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def ipc_clusters(ipcs: list[str]) -> dict[str, str]:
    """IPC → industry cluster by the longest prefix in ``valuation/params/industry.toml``."""
    prefixes = sorted(load_params().industry["prefixes"].items(), key=lambda kv: -len(kv[0]))
    out = {}
    for ipc in set(ipcs):
        out[ipc] = next((cluster for prefix, cluster in prefixes if ipc.startswith(prefix)), "other")
    return out


def application_numbers(filing: np.ndarray, type_digit: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Unique canonical application numbers for patents filed on ``filing`` (datetime64[D])."""
    n = len(filing)
    year = filing.astype("datetime64[Y]").astype(np.int64) + 1970
    twelve = filing >= np.datetime64(TWELVE_DIGITS_FROM, "D")
    high = np.array([_SERIAL_HIGH.get(int(t), 1_000_000) for t in range(10)])[type_digit]
    number = np.zeros(n, dtype=np.int64)
    todo = np.ones(n, dtype=bool)
    while todo.any():
        k = int(todo.sum())
        serial12 = rng.integers(10_000, high[todo])
        serial8 = rng.integers(1, 100_000, size=k)
        number[todo] = np.where(
            twelve[todo],
            year[todo] * 10**8 + type_digit[todo] * 10**7 + serial12,
            (year[todo] % 100) * 10**6 + type_digit[todo] * 10**5 + serial8,
        )
        # 8- and 12-digit numbers never collide (different lengths); redraw repeats.
        key = number * 2 + twelve
        _, first = np.unique(key, return_index=True)
        todo = np.ones(n, dtype=bool)
        todo[first] = False

    digits12 = (number[:, None] // 10 ** np.arange(11, -1, -1)) % 10
    digits8 = (number[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    check = np.where(twelve, (digits12 * _WEIGHTS_12).sum(axis=1) % 11, (digits8 * _WEIGHTS_8).sum(axis=1) % 11)
    chars = np.array(list("0123456789X"))[check]
    return [
        f"{num:012d}.{c}" if t else f"{num:08d}.{c}"
        for num, c, t in zip(number.tolist(), chars.tolist(), twelve.tolist(), strict=True)
    ]


def _titles(ipc: list[str], invention: np.ndarray, fallback: list[str], rng: np.random.Generator) -> list[str]:
    n = len(ipc)
    u_kind, u_pick, u_mod = rng.random(n), rng.random(n), rng.integers(0, len(TITLE_MODIFIERS), n)
    out = []
    for i in range(n):
        stems = TITLE_STEMS.get(ipc[i].split("/")[0]) or TITLE_STEMS.get(ipc[i][:4])
        if stems is None:
            out.append(fallback[i] or "")
            continue
        products, methods = stems
        use_method = bool(methods) and (not products or (invention[i] and u_kind[i] < 0.55))
        if use_method:
            out.append("一种" + methods[int(u_pick[i] * len(methods))])
        elif products:
            out.append("一种" + TITLE_MODIFIERS[u_mod[i]] + products[int(u_pick[i] * len(products))])
        else:
            out.append(fallback[i] or "")
    return out


def _allocate(n_items: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Counts per holder summing to ``n_items``: one each (while they last), the rest by weight."""
    k = len(weights)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    base = np.zeros(k, dtype=np.int64)
    base[: min(k, n_items)] = 1
    rest = n_items - int(base.sum())
    if rest > 0:
        base += rng.multinomial(rest, weights / weights.sum())
    return base


def assign_owners(
    cluster: np.ndarray, quality: np.ndarray, enterprises: list[Enterprise], rng: np.random.Generator
) -> np.ndarray:
    """Owner index per patent (see the module docstring)."""
    n = len(cluster)
    ent_cluster = np.array([e.industry_cluster for e in enterprises])
    capability = np.array([e.capability for e in enterprises])
    # Where a patent's owner is looked for: its own cluster, or (a few) any cluster.
    target = cluster.copy()
    cross = rng.random(n) < CROSS_CLUSTER_SHARE
    target[cross] = rng.choice(list(CLUSTERS), size=int(cross.sum()))
    owner = np.full(n, -1, dtype=np.int64)
    for c in CLUSTERS:
        patents = np.flatnonzero(target == c)
        firms = np.flatnonzero(ent_cluster == c)
        if len(firms) == 0:
            firms = np.arange(len(enterprises))
        if len(patents) == 0:
            continue
        # Owning firms: the more capable ones (with noise); ordered by capability.
        ranked = firms[np.argsort(-(capability[firms] + rng.normal(0, 0.8, len(firms))), kind="stable")]
        owners = ranked[: max(1, min(len(patents), round(OWNING_SHARE * len(firms))))]
        weight = np.exp(1.2 * capability[owners] + rng.normal(0, 0.9, len(owners)))
        counts = _allocate(len(patents), weight, rng)
        # Better patents lean towards the firms holding many (sort by quality with noise).
        patents = patents[np.argsort(-(quality[patents] + rng.normal(0, 1.5, len(patents))), kind="stable")]
        by_count = np.argsort(-counts, kind="stable")
        owner[patents] = np.repeat(owners[by_count], counts[by_count])
    return owner


def place_patents(portfolio: Any, enterprises: list[Enterprise], rng: np.random.Generator) -> PatentBook:
    """Number, own and title the simulated portfolio (``valuation.simulation.SimulatedPortfolio``)."""
    from valuation.fees import INVENTION, UTILITY_MODEL, expiry_dates

    records = [dict(r) for r in portfolio.records]
    n = len(records)
    types = [r["patent_type"] for r in records]
    invention = np.array([t == "invention" for t in types])
    filing = np.array([r["filing_date"] for r in records], dtype="datetime64[D]")
    grant = np.array([r["grant_date"] or np.datetime64("NaT") for r in records], dtype="datetime64[D]")
    lapse = np.array([r["lapse_date"] or np.datetime64("NaT") for r in records], dtype="datetime64[D]")
    status = np.array([r["legal_status"] for r in records])
    ipc = [r.get("ipc") or "" for r in records]
    comp = np.array([r.get("term_compensation_days") or 0 for r in records], dtype=float)
    kind_code = np.where(invention, INVENTION, UTILITY_MODEL)
    expiry = expiry_dates(kind_code, filing, comp, load_params(), grant=grant)
    latent = getattr(portfolio, "latent", {}) or {}
    quality = np.asarray(latent.get("quality", np.zeros(n)), dtype=float)
    in_grace = np.asarray(latent.get("in_grace", np.zeros(n, dtype=bool)), dtype=bool)

    cluster_of = ipc_clusters(ipc)
    cluster = np.array([cluster_of[x] for x in ipc])
    owner = assign_owners(cluster, quality, enterprises, rng)

    numbers = application_numbers(filing, np.array([TYPE_DIGITS[t] for t in types]), rng)
    titles = _titles(ipc, invention, [r.get("title") or "" for r in records], rng)
    for record, number, title in zip(records, numbers, titles, strict=True):
        record["application_no"] = number
        record["title"] = title
    pledgeable = np.array(
        [
            r.get("co_owners_consent", True) is not False and not r.get("frozen") and not r.get("invalidation_pending")
            for r in records
        ]
    )
    return PatentBook(
        records=records,
        true_value=np.asarray(portfolio.true_value, dtype=float),
        owner=owner,
        invention=invention,
        status=status,
        filing=filing,
        grant=grant,
        lapse=lapse,
        expiry=expiry,
        pledgeable=pledgeable,
        in_grace=in_grace,
        quality=quality,
    )
