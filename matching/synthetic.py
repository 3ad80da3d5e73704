"""Seeded synthetic enterprises and products, for the benchmark and tests.

Not a model of any real county: the distributions below are plausible shapes chosen so that every
rule fires sometimes, quotas are contested and eligibility is sparse at province scale. They
follow the domain's figures where there are any (knowledge-value credit limits by grade
¥5.0 / 4.0 / 3.0 / 1.6 / 0.8 million; pledge rates 25–50 %; invention patents with up to 20 years
of term). All randomness comes from one ``numpy.random.Generator`` seeded by ``seed``.

Sparsity at province scale comes from the rules themselves: more industry clusters (a product
serves one to three), many local banks whose products often require an existing customer, and
certification / grade / remaining-term minimums.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .model import CreditLoan, Enterprise, Patent, Product

__all__ = ["Instance", "generate"]

_COUNTY_CLUSTERS = ("green_consumer", "equipment_manufacturing", "energy_electronics", "other")
_CERTS = ("high_tech", "specialized", "ip_advantage", "ip_standard")
_GRADES = ("A", "B", "C", "D", "E")
_KV_LIMIT_YUAN = {"A": 5_000_000, "B": 4_000_000, "C": 3_000_000, "D": 1_600_000, "E": 800_000}
_YUAN = 100  # fen per yuan


@dataclass(frozen=True)
class Instance:
    enterprises: list[Enterprise]
    products: list[Product]
    as_of: date


def _credit_code(i: int) -> str:
    # Synthetic identifiers: the library does not verify check characters (the service does).
    return f"91500235SYN{i:07d}"


def generate(n_enterprises: int, n_products: int, seed: int = 0, *, n_clusters: int | None = None,
             n_banks: int | None = None, as_of: date = date(2024, 6, 30), quota_tightness: float = 0.5) -> Instance:
    """Generate an instance.

    ``n_clusters`` defaults to the county's 4 clusters when ``n_products <= 50`` and to
    ``max(4, n_products // 10)`` otherwise; ``n_banks`` to ``max(3, n_products // 3)``.
    ``quota_tightness`` ∈ (0, 1]: a product's count quota is about this fraction of the
    enterprises that could want it (smaller = more contested).
    """
    rng = np.random.default_rng(seed)
    if n_clusters is None:
        n_clusters = 4 if n_products <= 50 else max(4, n_products // 10)
    clusters = _COUNTY_CLUSTERS if n_clusters == 4 else tuple(f"cluster_{i:02d}" for i in range(n_clusters))
    n_banks = n_banks or max(3, n_products // 3)
    banks = tuple(f"B{i:03d}" for i in range(n_banks))

    # ---- products
    products = []
    expected_takers = max(1.0, n_enterprises / max(1, n_products))
    for j in range(n_products):
        bank = banks[j % n_banks] if j < n_banks else banks[int(rng.integers(n_banks))]
        lo_yuan = int(rng.choice([300_000, 500_000, 1_000_000, 2_000_000]))
        hi_yuan = lo_yuan * int(rng.choice([5, 10, 20]))
        rate_min = round(float(rng.uniform(3.1, 5.0)), 2)
        tmin = int(rng.choice([6, 12]))
        n_cl = int(rng.integers(1, 4))
        eligible_clusters = frozenset(rng.choice(clusters, size=min(n_cl, len(clusters)), replace=False).tolist()) \
            if rng.random() < (0.5 if n_clusters == 4 else 0.9) else frozenset()
        certs = frozenset([_CERTS[int(rng.integers(4))]]) if rng.random() < 0.35 else frozenset()
        count_quota = max(1, int(rng.poisson(quota_tightness * expected_takers))) if rng.random() < 0.8 else None
        amount_quota = (count_quota or 5) * lo_yuan * int(rng.choice([2, 3, 5])) * _YUAN if rng.random() < 0.6 else None
        products.append(Product(
            id=f"{bank}/P{j:03d}",
            bank_code=bank,
            code=f"P{j:03d}",
            name=f"知识产权质押贷{j:03d}",
            min_amount_fen=lo_yuan * _YUAN,
            max_amount_fen=hi_yuan * _YUAN,
            pledge_rate=float(rng.choice([0.25, 0.3, 0.4, 0.5])),
            interest_rate_min=rate_min,
            interest_rate_max=round(rate_min + float(rng.uniform(0.3, 2.0)), 2),
            term_min_months=tmin,
            term_max_months=int(rng.choice([12, 24, 36])) if tmin <= 12 else 36,
            eligible_clusters=eligible_clusters,
            required_certifications=certs,
            min_patent_grade=str(rng.choice(["B", "C", "D"])) if rng.random() < 0.5 else None,
            min_patent_score=float(rng.choice([50, 60])) if rng.random() < 0.15 else None,
            min_remaining_term_years=float(rng.choice([3, 5, 8])) if rng.random() < 0.5 else None,
            quota_count=count_quota,
            quota_amount_fen=amount_quota,
            requires_existing_customer=bool(rng.random() < (0.25 if n_products <= 50 else 0.6)),
        ))

    # ---- enterprises and their patents
    enterprises = []
    for i in range(n_enterprises):
        loans = []
        if rng.random() < 0.7:
            grade = _GRADES[int(rng.choice(5, p=[0.1, 0.25, 0.35, 0.2, 0.1]))]
            start = as_of - timedelta(days=int(rng.integers(30, 700)))
            loans.append(CreditLoan(
                kind="knowledge_value" if rng.random() < 0.7 else "commercial_value",
                bank_code=banks[int(rng.integers(n_banks))],
                grade=grade,
                limit_fen=_KV_LIMIT_YUAN[grade] * _YUAN,
                start_date=start,
                maturity_date=start + timedelta(days=int(rng.choice([365, 730, 1095]))),
            ))
        if rng.random() < 0.3:
            start = as_of - timedelta(days=int(rng.integers(30, 300)))
            loans.append(CreditLoan(kind="other", bank_code=banks[int(rng.integers(n_banks))],
                                    limit_fen=int(rng.integers(10, 200)) * 10_000 * _YUAN,
                                    start_date=start, maturity_date=start + timedelta(days=365)))
        n_pat = int(rng.integers(0, 2)) if rng.random() < 0.05 else 1 + int(rng.poisson(2.0))
        patents = []
        for t in range(n_pat):
            remaining = float(rng.uniform(0.3, 19.5))
            eligible = bool(rng.random() < 0.85)
            p10 = None if rng.random() < 0.15 else int(rng.lognormal(np.log(2_500_000), 0.9)) // 100 * 100 * _YUAN
            patents.append(Patent(
                application_no=f"{2005 + t % 18}1{i:06d}{t}.X",
                eligible=eligible,
                reasons=() if eligible else (str(rng.choice(["年费未缴", "权属争议", "无效宣告请求审查中"])),),
                grade=_GRADES[int(rng.choice(5, p=[0.15, 0.25, 0.3, 0.2, 0.1]))],
                score=round(float(rng.uniform(35, 95)), 1),
                value_p10_fen=p10,
                expiry_date=as_of + timedelta(days=int(remaining * 365.25)),
                remaining_term_years=round(remaining, 2),
                already_pledged=bool(rng.random() < 0.08),
            ))
        stated = rng.random() < 0.5
        enterprises.append(Enterprise(
            credit_code=_credit_code(i),
            name=f"合成企业{i:05d}",
            cluster=clusters[int(rng.integers(len(clusters)))],
            certifications=frozenset(c for c in _CERTS if rng.random() < 0.3),
            credit_loans=tuple(loans),
            patents=tuple(patents),
            need_amount_fen=int(rng.choice([50, 100, 200, 300, 500, 800, 1000])) * 10_000 * _YUAN if stated else None,
            need_term_months=int(rng.choice([6, 12, 24, 36])) if rng.random() < 0.5 else None,
        ))
    return Instance(enterprises=enterprises, products=products, as_of=as_of)
