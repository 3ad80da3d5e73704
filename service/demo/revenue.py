"""Demo revenue: each enterprise's operating revenue, and the revenue of the products using each
of its patents (the patent import's ``annual_revenue_yuan``, which the valuation's income
approach multiplies by the royalty share of ``valuation/params/royalty.toml``).

The renewal simulator (:mod:`valuation.simulation`) gives a patent a yearly return of about
¥12,000 for an invention and states a product revenue of return ÷ royalty share: a patent with no
firm behind it. A county firm that borrows millions sells tens of millions a year, and its key
patents cover its main products. So here a commercialised patent in force (one the simulator
states a revenue for) takes its revenue from its owner:

    operating revenue  = employees × revenue per employee (per firm, log-normal, REVENUE_PER_EMPLOYEE)
    product revenue    = operating revenue × product share

The product share falls with the patent's rank among its owner's commercialised patents in force
(by the simulator's return, i.e. its quality): PRODUCT_SHARE_FIRST for the first, × PRODUCT_SHARE_DECAY
for each next one, with log-normal noise, clipped to PRODUCT_SHARE_RANGE. Lapsed, expired and
invalidated patents keep the simulator's figure (their products stopped selling: that is why the
fee went unpaid), and so do patents without an owner.

Scale, with the royalty shares' modes of royalty.toml (机械制造 2.25 %, 电器 3.75 %, 电池/半导体 4.75 %):
a 60-employee firm sells about ¥48 million a year; its best patent's products about ¥17 million,
a royalty of ¥380,000–800,000 a year. The valuation's P10 of an invention with ten years or more
to run is about 5 % of the product revenue, so its maximum loan (25 % of P10) is about 1.2 % of it:
¥0.2 million here, ¥0.3–3 million for the best patents of firms selling ¥70–700 million.
Measured on the loaded demo (seed 20220922): firms' revenue median ¥30 million (credit-loan
holders ¥44 million), largest ¥700 million; the stated product revenue of valid inventions median
¥4 million, largest ¥215 million.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from .enterprises import Enterprise
from .patents import PatentBook

# Operating revenue per employee, yuan: log-normal with this median and log-sd. Basis: NBS, 2023
# 规模以上工业企业 人均营业收入 181.5万元 (release of 2024-01-27 on 2023 industrial profits); the fifth
# economic census puts all enterprises of the second and third sectors at 122.0万元 per person
# (2023). County SMEs, many below 规模以上, sit under both: ¥0.8 million (illustrative).
REVENUE_PER_EMPLOYEE = {"median_yuan": 800_000, "sigma": 0.4}
# More capable firms (the latent capability of :mod:`~service.demo.enterprises`) sell more per head.
CAPABILITY_EFFECT = 0.15
# Share of the owner's revenue from the products using a patent, by its rank (illustrative: a
# county firm's best patent covers its main product line; later ones cover less, or the same
# products again — the income approach values each patent as if it carried the products alone).
PRODUCT_SHARE_FIRST = 0.35
PRODUCT_SHARE_DECAY = 0.3
PRODUCT_SHARE_SIGMA = 0.3
PRODUCT_SHARE_RANGE = (0.005, 0.8)


def assign_revenue(enterprises: list[Enterprise], rng: np.random.Generator) -> None:
    """Set each enterprise's operating revenue (``revenue_yuan``, rounded to ¥10,000)."""
    employees = np.array([e.employees for e in enterprises], dtype=float)
    capability = np.array([e.capability for e in enterprises])
    per_head = np.exp(
        np.log(REVENUE_PER_EMPLOYEE["median_yuan"])
        + CAPABILITY_EFFECT * capability
        + REVENUE_PER_EMPLOYEE["sigma"] * rng.standard_normal(len(enterprises))
    )
    for enterprise, revenue in zip(enterprises, (employees * per_head).tolist(), strict=True):
        enterprise.revenue_yuan = max(10_000, int(round(revenue, -4)))


def attribute_product_revenue(book: PatentBook, enterprises: list[Enterprise], rng: np.random.Generator) -> None:
    """Restate the product revenue of owned, commercialised patents in force from their owner's
    revenue (see the module docstring). The simulator's true value scales with it (both are
    proportional to the patent's return), so ``true_value`` stays the truth of the stated data."""
    stated = np.array(
        [np.nan if r.get("annual_revenue_yuan") is None else float(r["annual_revenue_yuan"]) for r in book.records]
    )
    chosen = np.flatnonzero(
        (book.owner >= 0) & np.isin(book.status, ["valid", "pending"]) & np.isfinite(stated) & (stated > 0)
    )
    noise = np.exp(PRODUCT_SHARE_SIGMA * rng.standard_normal(len(chosen)))
    # Rank within the owner by the simulator's revenue, best first.
    order = chosen[np.lexsort((-stated[chosen], book.owner[chosen]))]
    owners = book.owner[order]
    first = np.r_[True, owners[1:] != owners[:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    rank = np.arange(len(order)) - starts
    share = np.clip(PRODUCT_SHARE_FIRST * PRODUCT_SHARE_DECAY**rank * noise, *PRODUCT_SHARE_RANGE)
    revenue = np.array([enterprises[i].revenue_yuan for i in owners.tolist()], dtype=float) * share
    revenue = np.round(revenue, -3)
    book.true_value[order] *= revenue / stated[order]
    for i, value in zip(order.tolist(), revenue.tolist(), strict=True):
        book.records[i]["annual_revenue_yuan"] = Decimal(int(value))
