"""The demo county as import files: :func:`build_demo` and :class:`DemoDataset`.

The generator emits rows exactly in the import formats of docs/import-formats.md, so the demo
is loaded through the normal importer with the same validation as a user's file. It is
deterministic for a given ``(scale, seed)``: every random draw comes from a
``numpy.random.Generator`` seeded from ``(seed, stage)``, and "today" is fixed at
:data:`DEMO_AS_OF`.

Stages, each in its own module:

1. :mod:`~service.demo.county` — banks and pledge products (fixed lists; quotas × scale);
2. :mod:`~service.demo.enterprises` — ~300·scale enterprises;
3. :mod:`~service.demo.patents` — ~1,500·scale patents from the renewal-process simulator
   :func:`valuation.simulation.simulate_portfolio`, numbered, owned and titled here;
4. :mod:`~service.demo.revenue` — each enterprise's operating revenue, and the revenue of the
   products using its commercialised patents derived from it (the simulator's is a lone patent's);
5. IP-advantage and 贯标 certifications, given to patent-owning firms;
6. :mod:`~service.demo.credit_loans` — ~100·scale credit loans;
7. :mod:`~service.demo.pledges` — ~20·scale past pledge registrations, each amount at most the
   valuation's maximum loan on its patents at the registration date;
8. the targets (:func:`service.demo.county.targets`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from service.imports.kinds import KINDS, LOAD_ORDER

from . import cells
from .county import BANKS, DEMO_AS_OF, PATENT_SHAPE, PLAN_WINDOW, PRODUCTS, QUOTA_PERIOD, targets
from .credit_loans import generate_credit_loans
from .enterprises import assign_ip_certifications, generate_enterprises
from .patents import place_patents
from .pledges import generate_pledges, record_previous_pledges
from .revenue import assign_revenue, attribute_product_revenue

DEMO_SEED = 20220922  # the plan's first day

# Import kinds in load order (referenced kinds first) and their columns.
# The import files' columns, from the importer itself (docs/import-formats.md describes them).
COLUMNS: dict[str, tuple[str, ...]] = {kind: tuple(c.name for c in KINDS[kind].columns) for kind in LOAD_ORDER}

# Counts at scale 1.
ENTERPRISES = 300
PATENTS = 1_500
CREDIT_LOANS = 100

_STAGES = {
    "enterprises": 1,
    "patents": 2,
    "simulation": 3,
    "certifications": 4,
    "credit-loans": 5,
    "pledges": 6,
    "revenue": 7,
}


@dataclass
class DemoDataset:
    """The demo county: import rows per kind (strings, as in a CSV cell) and the targets.

    ``true_values`` maps each application number to the simulator's true remaining value in
    yuan (for checking the valuation against a known truth; not an import column).
    """

    scale: float
    seed: int
    tables: dict[str, list[dict[str, str]]]
    targets: list[dict[str, Any]]
    true_values: dict[str, float] = field(default_factory=dict, repr=False)

    def write_csv(self, directory: str | Path) -> dict[str, Path]:
        """One UTF-8 CSV per kind (``banks.csv`` … ``pledges.csv``); returns the paths by kind."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for kind, rows in self.tables.items():
            path = out / f"{kind}.csv"
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=COLUMNS[kind], lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
            paths[kind] = path
        return paths


def _rng(seed: int, stage: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, _STAGES[stage]]))


def _count(base: int, scale: float, minimum: int) -> int:
    return max(minimum, round(base * scale))


def bank_rows() -> list[dict[str, str]]:
    return [
        {"code": b.code, "name": b.name, "contact_person": b.contact_person, "contact_phone": b.contact_phone}
        for b in BANKS
    ]


def product_rows(scale: float) -> list[dict[str, str]]:
    """The products; quotas grow with the scale so that they bind as they do at scale 1."""
    rows = []
    for p in PRODUCTS:
        has_quota = p.quota_count is not None or p.quota_amount_yuan is not None
        rows.append(
            {
                "bank_code": p.bank_code,
                "code": p.code,
                "name": p.name,
                "min_amount_yuan": cells.yuan(p.min_amount_yuan),
                "max_amount_yuan": cells.yuan(p.max_amount_yuan),
                "pledge_rate": p.pledge_rate,
                "interest_rate_min": p.interest_rate_min,
                "interest_rate_max": p.interest_rate_max,
                "term_min_months": cells.count(p.term_min_months),
                "term_max_months": cells.count(p.term_max_months),
                "eligible_clusters": cells.codes(p.eligible_clusters),
                "required_certifications": cells.codes(p.required_certifications),
                "min_patent_grade": p.min_patent_grade,
                "min_remaining_term_years": p.min_remaining_term_years,
                "quota_count": cells.count(None if p.quota_count is None else max(1, round(p.quota_count * scale))),
                "quota_amount_yuan": cells.yuan(
                    None if p.quota_amount_yuan is None else round(p.quota_amount_yuan * scale, -4)
                ),
                "quota_period_start": cells.day(QUOTA_PERIOD[0] if has_quota else None),
                "quota_period_end": cells.day(QUOTA_PERIOD[1] if has_quota else None),
                "requires_existing_customer": cells.flag(p.requires_existing_customer),
                "active": cells.flag(p.active),
            }
        )
    return rows


def build_demo(scale: float = 1.0, seed: int = DEMO_SEED) -> DemoDataset:
    """Build the demo county (Yunyang, Chongqing) at ``scale`` × the counts of issue 2 §5.

    Deterministic for a given ``(scale, seed)``. Banks (6) and products (12) do not scale;
    product quotas, enterprises, patents, credit loans and pledges scale linearly.
    """
    from valuation.simulation import simulate_portfolio

    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    as_of = DEMO_AS_OF
    enterprises = generate_enterprises(_count(ENTERPRISES, scale, 20), _rng(seed, "enterprises"), as_of)

    sim_seed = int(np.random.SeedSequence([seed, _STAGES["simulation"]]).generate_state(1)[0])
    portfolio = simulate_portfolio(_count(PATENTS, scale, 60), as_of, sim_seed, **PATENT_SHAPE)
    book = place_patents(portfolio, enterprises, _rng(seed, "patents"))
    revenue_rng = _rng(seed, "revenue")
    assign_revenue(enterprises, revenue_rng)
    attribute_product_revenue(book, enterprises, revenue_rng)

    valid_inventions = np.bincount(
        book.owner[(book.owner >= 0) & book.invention & (book.status == "valid")], minlength=len(enterprises)
    )
    inventions = np.bincount(book.owner[(book.owner >= 0) & book.invention], minlength=len(enterprises))
    assign_ip_certifications(enterprises, inventions, _rng(seed, "certifications"), as_of, PLAN_WINDOW, scale)
    loans = generate_credit_loans(
        enterprises, valid_inventions, _count(CREDIT_LOANS, scale, 6), _rng(seed, "credit-loans"), as_of
    )
    pledges = generate_pledges(enterprises, book, loans, _rng(seed, "pledges"), as_of, PLAN_WINDOW, scale)
    record_previous_pledges(book, pledges)

    tables = {
        "banks": bank_rows(),
        "products": product_rows(scale),
        "enterprises": [e.row() for e in enterprises],
        "credit-loans": [loan.row(enterprises) for loan in loans],
        "patents": book.rows(enterprises),
        "pledges": [p.row(enterprises, book) for p in pledges],
    }
    true_values = {r["application_no"]: float(v) for r, v in zip(book.records, book.true_value.tolist(), strict=True)}
    return DemoDataset(scale=scale, seed=seed, tables=tables, targets=targets(), true_values=true_values)
