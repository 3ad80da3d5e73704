"""Seeded synthetic enterprises and products, for the benchmark and tests.

Not a model of any real county: the distributions below are plausible shapes chosen so that every
rule fires sometimes, quotas are contested and eligibility is sparse at province scale. They
follow the domain's figures where there are any (knowledge-value credit limits by grade
¥5.0 / 4.0 / 3.0 / 1.6 / 0.8 million; pledge rates 25–50 %; invention patents with up to 20 years
of term). All randomness comes from one ``numpy.random.Generator`` seeded by ``seed``.

Sparsity at province scale comes from the rules themselves: regions whose local banks lend to
their existing customers, cluster and certification requirements, and grade / score /
remaining-term minimums (see :func:`generate`).
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


def _patents(rng: np.random.Generator, i: int, n_pat: int, as_of: date) -> list[Patent]:
    """Enterprise i's ``n_pat`` synthetic patents, drawn from ``rng`` in a fixed order."""
    patents = []
    for t in range(n_pat):
        remaining = float(rng.uniform(0.3, 19.5))
        eligible = bool(rng.random() < 0.85)
        p10 = None if rng.random() < 0.15 else int(rng.lognormal(np.log(2_500_000), 0.9)) // 100 * 100 * _YUAN
        patents.append(
            Patent(
                application_no=f"{2005 + t % 18}1{i:06d}{t}.X",
                eligible=eligible,
                reasons=() if eligible else (str(rng.choice(["年费未缴", "权属争议", "无效宣告请求审查中"])),),
                grade=_GRADES[int(rng.choice(5, p=[0.15, 0.25, 0.3, 0.2, 0.1]))],
                score=round(float(rng.uniform(35, 95)), 1),
                value_p10_fen=p10,
                expiry_date=as_of + timedelta(days=int(remaining * 365.25)),
                remaining_term_years=round(remaining, 2),
                already_pledged=bool(rng.random() < 0.08),
            )
        )
    return patents


def generate(
    n_enterprises: int,
    n_products: int,
    seed: int = 0,
    *,
    n_regions: int | None = None,
    wide_share: float = 0.1,
    as_of: date = date(2024, 6, 30),
    quota_tightness: float = 0.5,
    wide_quota_tightness: float | None = None,
) -> Instance:
    """Generate an instance.

    ``n_regions`` (default 1 up to 50 products, else ``n_enterprises // 500``): at province scale
    the enterprises live in regions (counties), each with its own local banks. The product model
    has no region, so locality is expressed the way it arises in practice: a local bank's product
    is offered to that bank's existing customers (``requires_existing_customer``), and an
    enterprise's credit loans are mostly with its region's banks. A ``wide_share`` of the
    products belongs to province-wide banks and is open to every region (cluster and
    certification rules still apply). With one region (county scale) a quarter of the products
    require an existing customer.

    ``quota_tightness``: a product's count quota is about this fraction of the enterprises that
    could want it (smaller = more contested); ``wide_quota_tightness`` the same for province-wide
    products (default: ``quota_tightness``). Amount quotas, on 60 % of the products, allow two to
    five loans of the product's minimum per counted loan.
    """
    rng = np.random.default_rng(seed)
    if n_regions is None:
        n_regions = 1 if n_products <= 50 else max(1, n_enterprises // 500)
    wide_tight = quota_tightness if wide_quota_tightness is None else wide_quota_tightness
    clusters = _COUNTY_CLUSTERS
    if n_regions == 1:
        banks = tuple(f"B{i:03d}" for i in range(max(3, n_products // 3)))
        local_banks = [list(banks)]
        wide_banks: tuple[str, ...] = ()
        n_wide = 0
    else:
        wide_banks = tuple(f"W{i:02d}" for i in range(6))
        local_banks = [[f"R{r:02d}L{k}" for k in range(3)] for r in range(n_regions)]
        n_wide = max(1, round(wide_share * n_products))

    # ---- products
    products = []
    per_region = n_enterprises / n_regions
    for j in range(n_products):
        wide = j < n_wide
        if wide:
            bank = wide_banks[j % len(wide_banks)]
            takers = n_enterprises / max(1, n_wide) * 0.5
            requires_customer = False
            tight = wide_tight
        else:
            region = (j - n_wide) % n_regions
            bank = local_banks[region][int(rng.integers(len(local_banks[region])))]
            takers = per_region / max(1, (n_products - n_wide) / n_regions)
            requires_customer = True if n_regions > 1 else bool(rng.random() < 0.25)
            tight = quota_tightness
        lo_yuan = int(rng.choice([300_000, 500_000, 1_000_000, 2_000_000]))
        hi_yuan = lo_yuan * int(rng.choice([5, 10, 20]))
        rate_min = round(float(rng.uniform(3.1, 5.0)), 2)
        tmin = int(rng.choice([6, 12]))
        n_cl = int(rng.integers(1, 4))
        eligible_clusters = (
            frozenset(rng.choice(clusters, size=n_cl, replace=False).tolist()) if rng.random() < 0.5 else frozenset()
        )
        certs = frozenset([_CERTS[int(rng.integers(4))]]) if rng.random() < 0.35 else frozenset()
        count_quota = max(1, int(rng.poisson(tight * takers))) if rng.random() < 0.8 else None
        amount_quota = (count_quota or 5) * lo_yuan * int(rng.choice([2, 3, 5])) * _YUAN if rng.random() < 0.6 else None
        products.append(
            Product(
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
                term_max_months=int(rng.choice([12, 24, 36])),
                eligible_clusters=eligible_clusters,
                required_certifications=certs,
                min_patent_grade=str(rng.choice(["B", "C", "D"])) if rng.random() < 0.5 else None,
                min_patent_score=float(rng.choice([50, 60])) if rng.random() < 0.15 else None,
                min_remaining_term_years=float(rng.choice([3, 5, 8])) if rng.random() < 0.5 else None,
                quota_count=count_quota,
                quota_amount_fen=amount_quota,
                requires_existing_customer=requires_customer,
            )
        )

    def lender(region: int) -> str:
        if wide_banks and rng.random() < 0.2:
            return wide_banks[int(rng.integers(len(wide_banks)))]
        banks_here = local_banks[region]
        return banks_here[int(rng.integers(len(banks_here)))]

    # ---- enterprises and their patents
    enterprises = []
    for i in range(n_enterprises):
        region = i % n_regions
        loans = []
        if rng.random() < 0.7:
            grade = _GRADES[int(rng.choice(5, p=[0.1, 0.25, 0.35, 0.2, 0.1]))]
            start = as_of - timedelta(days=int(rng.integers(30, 700)))
            loans.append(
                CreditLoan(
                    kind="knowledge_value" if rng.random() < 0.7 else "commercial_value",
                    bank_code=lender(region),
                    grade=grade,
                    limit_fen=_KV_LIMIT_YUAN[grade] * _YUAN,
                    start_date=start,
                    maturity_date=start + timedelta(days=int(rng.choice([365, 730, 1095]))),
                )
            )
        if rng.random() < 0.3:
            start = as_of - timedelta(days=int(rng.integers(30, 300)))
            loans.append(
                CreditLoan(
                    kind="other",
                    bank_code=lender(region),
                    limit_fen=int(rng.integers(10, 200)) * 10_000 * _YUAN,
                    start_date=start,
                    maturity_date=start + timedelta(days=365),
                )
            )
        n_pat = int(rng.integers(0, 2)) if rng.random() < 0.05 else 1 + int(rng.poisson(2.0))
        patents = _patents(rng, i, n_pat, as_of)
        stated = rng.random() < 0.5
        enterprises.append(
            Enterprise(
                credit_code=_credit_code(i),
                cluster=clusters[int(rng.integers(len(clusters)))],
                name=f"合成企业{i:05d}（区域{region:02d}）",
                certifications=frozenset(c for c in _CERTS if rng.random() < 0.3),
                credit_loans=tuple(loans),
                patents=tuple(patents),
                need_amount_fen=int(rng.choice([50, 100, 200, 300, 500, 800, 1000])) * 10_000 * _YUAN
                if stated
                else None,
                need_term_months=int(rng.choice([6, 12, 24, 36])) if rng.random() < 0.5 else None,
            )
        )
    return Instance(enterprises=enterprises, products=products, as_of=as_of)
