"""Simulated patent portfolios with known true values: a renewal process after Pakes (1986).

Pakes, A. (1986). "Patents as Options: Some Estimates of the Value of Holding European Patent
Stocks." *Econometrica* 54(4), 755–784. Each patent earns a yearly return; each year the owner
pays the annual fee only if that year's return is at least the fee. Because fees rise with age
(``params/fees.toml``) and returns decay, lapses are driven by value, not by chance — which is
what makes maintenance informative and what the valuation model has to recover.

Generative model (all draws from one seeded ``numpy.random.Generator``):

* type: invention with probability 0.6, else utility model; filing dates spread over
  1995 → ``as_of`` with a volume growing 12 %/year (Chinese filings grew roughly so);
  grant lag ≈ 1 + Γ(4, 0.35) years for inventions, 0.4 + Γ(3, 0.12) for utility models —
  applications not yet granted at ``as_of`` are ``pending``;
* latent quality q ~ N(0, 1). Initial yearly return
  ``r₁ = exp(μ_type + 1.2 q + 0.6 ε)`` yuan with μ = ln 12,000 (invention), ln 3,000 (utility);
  ``r_{k+1} = r_k · exp(d_k + 0.05 q + 0.3 η)`` with d_k = +0.05 in the first 4 fee years
  (learning) and −0.15 later (obsolescence), plus a 4 %/year chance of sudden obsolescence
  (return 0 from then on);
* renewal: fees up to the grant year are paid at grant; from then on fee year k is paid iff
  ``r_k ≥ fee_k`` (full fee, myopic rule). 7 % of payments are made late, inside the 6-month
  grace period; an owner who stops paying is inside the grace period for 6 months, after which the
  patent lapses backdated to the due date;
* observed covariates are noisy functions of quality and of the current return: forward
  citations (Poisson, accumulating with years since grant, field-dependent rates — hence the
  need for cohort percentiles), claims, independent claims, family size / PCT / granted abroad,
  licences, transfers, earlier pledges, awards (rare, top quality), commercialisation stage and
  the annual revenue of products using the patent (revenue × royalty share ≈ the current return,
  with log-normal noise σ = 0.6; the share is drawn from the industry range of
  ``params/royalty.toml`` for the patent's IPC — the simulated world takes those ranges as true;
  revenue is known for most commercialised patents only);
* true remaining value at ``as_of``: the returns of the years still to be maintained (after grant,
  before lapse or expiry), the current year pro rata, discounted at 10 %/year to mid-year.
  Lapsed, expired and invalidated patents have true value 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from valuation.fees import (
    INVENTION,
    PATENT_TYPES,
    UTILITY_MODEL,
    add_months,
    add_years,
    annual_fee,
    compensated,
    term_years,
)
from valuation.income import triangular_ppf
from valuation.industry import royalty_ranges
from valuation.params import Params, load_params
from valuation.portfolio import ipc_levels, parse_ipc

# (IPC main group, relative frequency, citation-rate effect, title stem) — the county's clusters.
_IPC_TABLE = [
    ("H01M 10/052", 6, 0.4, "锂离子电池"),
    ("H01M 4/36", 3, 0.4, "电池正极材料"),
    ("H01M 50/20", 3, 0.3, "电池模组壳体"),
    ("H02J 7/00", 5, 0.3, "充电控制电路"),
    ("H02J 3/38", 2, 0.3, "分布式光伏储能并网系统"),
    ("H02S 40/22", 2, 0.2, "光伏组件支架"),
    ("H01L 31/18", 1, 0.5, "太阳能电池片"),
    ("H05B 45/10", 3, 0.2, "LED驱动电路"),
    ("H02M 7/48", 2, 0.3, "光伏逆变器"),
    ("H05K 7/20", 3, 0.1, "电子设备散热结构"),
    ("B25J 9/16", 4, 0.3, "工业机器人控制方法"),
    ("B23K 26/38", 2, 0.1, "激光切割装置"),
    ("G05B 19/418", 2, 0.4, "智能产线管控系统"),
    ("B23Q 3/06", 5, -0.2, "机床夹具"),
    ("F16H 57/02", 4, -0.3, "齿轮箱"),
    ("B21D 28/14", 3, -0.3, "冲压模具"),
    ("B65G 47/90", 4, -0.2, "输送装置"),
    ("B60L 53/10", 2, 0.3, "电动车充电桩"),
    ("B24B 27/00", 3, -0.3, "打磨装置"),
    ("A47J 27/00", 4, -0.4, "节能电饭锅"),
    ("A23L 2/38", 4, -0.5, "饮料制备方法"),
    ("B65D 65/46", 2, -0.1, "可降解包装盒"),
    ("C08L 67/04", 2, 0.0, "可降解聚乳酸复合材料"),
    ("D06F 58/20", 2, -0.3, "衣物烘干装置"),
    ("F24C 15/20", 3, -0.4, "节能燃气灶"),
    ("F25D 11/00", 2, -0.3, "冷藏柜"),
    ("C02F 1/44", 2, 0.0, "污水处理装置"),
    ("A47L 11/40", 3, -0.2, "清洁设备"),
    ("B09B 3/00", 1, -0.1, "固体废物资源化处理方法"),
    ("A01G 9/02", 2, -0.6, "种植装置"),
]
_AWARDS = np.array(
    ["china_patent_excellent", "china_patent_excellent", "china_patent_silver", "china_patent_gold", "national_st"]
)
_STAGES = np.array(["none", "prototype", "pilot", "production"])


@dataclass
class SimulatedPortfolio:
    """A simulated portfolio: import-style ``records`` and the simulated ``true_value`` (yuan).

    The arrays in ``latent`` (quality, current return, status) are for diagnostics only; the
    valuation never sees them.
    """

    records: list[dict[str, Any]]
    true_value: np.ndarray
    as_of: date
    seed: int
    latent: dict[str, np.ndarray] = field(default_factory=dict)


def simulate_portfolio(
    n: int,
    as_of: date,
    seed: int,
    *,
    params: Params | None = None,
    first_year: int = 1995,
    true_discount_rate: float = 0.10,
    invention_share: float = 0.6,
    filing_growth: float = 0.12,
    abroad_share: float = 0.5,
    ipc_weights: Mapping[str, float] | None = None,
) -> SimulatedPortfolio:
    """Simulate ``n`` patents as of ``as_of`` by the renewal process described in the module docstring.

    The defaults are the generic world of the module docstring; a place can be shaped without
    changing the draws' sequence: ``invention_share`` (probability a patent is an invention),
    ``filing_growth`` (yearly growth of filings), ``abroad_share`` (probability an invention with
    a family abroad was granted there) and ``ipc_weights`` (relative frequency per IPC of the
    table, replacing the table's own; IPCs not named keep theirs).

    Vectorised over patents (loops run over fee years only). Records carry the patent-import
    columns plus ``pledged`` and ``max_pledge_amount_yuan``; ``application_no`` is a placeholder
    ``SIM000001``… (the caller assigns real numbers) and ``owner_credit_code`` is None.
    """
    params = (params or load_params()).at(as_of)
    rng = np.random.default_rng(seed)
    as_of64 = np.datetime64(as_of, "D")

    kind = np.where(rng.random(n) < invention_share, INVENTION, UTILITY_MODEL)
    last_year = as_of.year
    years = np.arange(first_year, last_year + 1)
    weights = np.exp(filing_growth * (years - first_year))
    filing_year = rng.choice(years, size=n, p=weights / weights.sum())
    filing = (filing_year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    filing = filing + rng.integers(0, 365, size=n).astype("timedelta64[D]")
    late_filing = filing >= as_of64
    filing = np.where(late_filing, as_of64 - rng.integers(1, 300, size=n).astype("timedelta64[D]"), filing)

    lag_years = np.where(kind == INVENTION, 1.0 + rng.gamma(4.0, 0.35, n), 0.4 + rng.gamma(3.0, 0.12, n))
    grant = filing + np.round(lag_years * 365.25).astype("timedelta64[D]")
    pending = grant > as_of64
    term = term_years(kind, filing, params)
    expiry = add_years(filing, term) - np.timedelta64(1, "D")
    # Fee year containing the grant date: its fee and all earlier ones are paid at grant.
    grant_year = _fee_year_containing(filing, grant)

    quality = rng.standard_normal(n)
    ipc_idx = rng.choice(len(_IPC_TABLE), size=n, p=_weights(_IPC_TABLE, ipc_weights))
    field_effect = np.array([row[2] for row in _IPC_TABLE])[ipc_idx]

    # Yearly returns R[:, k] for fee years k = 1..20 (column 0 unused).
    mu = np.where(kind == INVENTION, np.log(12_000.0), np.log(3_000.0))
    returns = np.zeros((n, 21))
    r = np.exp(mu + 1.2 * quality + 0.6 * rng.standard_normal(n))
    dead = np.zeros(n, dtype=bool)
    for k in range(1, 21):
        if k > 1:
            drift = (0.05 if k <= 4 else -0.15) + 0.05 * quality
            r = r * np.exp(drift + 0.3 * rng.standard_normal(n))
            dead |= rng.random(n) < 0.04
        returns[:, k] = np.where(dead, 0.0, r)

    # Renewal decisions: L = first unpaid fee year after grant (term + 1 when maintained to expiry).
    ks = np.arange(21)
    fees = annual_fee(kind[:, None], ks[None, :], params)
    stop = (ks[None, :] > grant_year[:, None]) & (ks[None, :] <= term[:, None]) & (returns < fees)
    lapse_year = np.where(stop.any(axis=1), stop.argmax(axis=1), term + 1)
    late = rng.random((n, 21)) < 0.07
    delay = rng.integers(1, 183, size=(n, 21)).astype("timedelta64[D]")

    current_year = _fee_year_containing(filing, np.full(n, as_of64))
    due_lapse = add_years(filing, lapse_year - 1)
    grace_end_lapse = add_months(due_lapse, int(params.fees["grace"]["months"]))
    lapses = lapse_year <= term
    invalidated = ~pending & (kind == INVENTION) & (rng.random(n) < 0.007)

    status = np.full(n, "valid", dtype=object)
    status[lapses & (grace_end_lapse < as_of64)] = "lapsed"
    status[(status == "valid") & (expiry < as_of64)] = "expired"
    status[pending] = "pending"
    status[invalidated & (status == "valid")] = "invalidated"
    valid = status == "valid"

    # Fees paid through: the current fee year, unless its fee is unpaid or paid late after as_of.
    cur = np.clip(current_year, 1, 20)
    due_cur = add_years(filing, cur - 1)
    late_cur = late[np.arange(n), cur] & (cur > grant_year) & (due_cur + delay[np.arange(n), cur] > as_of64)
    paid_through = np.where(late_cur, cur - 1, cur)
    paid_through = np.where(valid & lapses & (lapse_year <= cur), lapse_year - 1, paid_through)
    paid_through = np.where(status == "lapsed", lapse_year - 1, paid_through)
    paid_through = np.where(status == "expired", term, paid_through)
    paid_through = np.where(status == "invalidated", np.minimum(cur, lapse_year - 1), paid_through)
    paid_through = np.maximum(paid_through, grant_year)

    # Late payments made so far: fee years after grant, paid (k < L), due and paid by as_of.
    due_k = add_years(filing[:, None], ks[None, :] - 1)
    paid_k = (ks[None, :] > grant_year[:, None]) & (ks[None, :] < lapse_year[:, None]) & (ks[None, :] <= term[:, None])
    late_count = (late & paid_k & (due_k + delay <= as_of64)).sum(axis=1)

    # True remaining value: years k ≥ current year, after grant, before lapse, within term.
    year_end_cur = add_years(filing, current_year)
    frac_cur = np.clip((year_end_cur - as_of64).astype(np.float64) / 365.25, 0.0, 1.0)
    offset = ks[None, :] - current_year[:, None]
    t_mid = np.where(offset == 0, frac_cur[:, None] / 2, frac_cur[:, None] + offset - 0.5)
    weight = np.where(offset == 0, frac_cur[:, None], 1.0)
    alive_future = (
        (offset >= 0)
        & (ks[None, :] >= grant_year[:, None])
        & (ks[None, :] < lapse_year[:, None])
        & (ks[None, :] <= term[:, None])
        & (ks[None, :] >= 1)
    )
    counts = np.isin(status, ["valid", "pending"])[:, None]
    discount = (1.0 + true_discount_rate) ** (-np.maximum(t_mid, 0.0))
    true_value = (returns * weight * discount * (alive_future & counts)).sum(axis=1)

    # Observed covariates.
    r_now = returns[np.arange(n), cur]
    years_since_grant = np.maximum((as_of64 - grant).astype(np.float64) / 365.25, 0.0)
    cite_rate = np.exp(-1.3 + 0.8 * quality + field_effect - 0.6 * (kind == UTILITY_MODEL))
    forward = rng.poisson(cite_rate * np.minimum(years_since_grant + 0.5, 15.0))
    backward = rng.poisson(np.where(kind == INVENTION, 6.0, 3.0))
    claims = 1 + rng.poisson(np.where(kind == INVENTION, 8.0 * np.exp(0.25 * quality), 6.0 * np.exp(0.15 * quality)))
    independent = np.minimum(1 + rng.binomial(2, 1 / (1 + np.exp(-(quality - 1.0)))), claims)
    family = 1 + rng.poisson(np.where(kind == INVENTION, np.exp(-2.2 + 1.0 * quality), np.exp(-3.5 + 0.5 * quality)))
    pct = (family > 1) & (rng.random(n) < 0.6)
    abroad = (kind == INVENTION) & (family > 1) & (rng.random(n) < abroad_share)
    licenses = rng.poisson(np.exp(-2.5 + 0.8 * quality))
    transfers = rng.poisson(np.exp(-2.2 + 0.4 * quality))
    previous_pledges = rng.poisson(np.exp(-3.0 + 0.6 * quality))
    award_mask = (quality > 2.3) & (rng.random(n) < 0.3) & ~pending
    award = np.where(award_mask, _AWARDS[rng.integers(0, len(_AWARDS), n)], "none")
    latent_use = 0.6 * quality + 0.7 * np.log1p(r_now / 2_000.0) + rng.standard_normal(n)
    stage = np.digitize(latent_use, [0.6, 1.3, 2.0])
    royalty_true = _royalty_share(ipc_idx, rng.random(n), params)
    revenue = r_now / royalty_true * np.exp(0.6 * rng.standard_normal(n))
    revenue_known = (stage >= 2) & (rng.random(n) < 0.85) | (stage == 1) & (rng.random(n) < 0.2)
    revenue_known &= r_now > 0
    compensation = np.where(
        compensated(kind, grant, params) & (lag_years > 4.0),
        np.round((lag_years - 4.0) * 365.25 * rng.uniform(0.3, 0.9, n)),
        0,
    ).astype(np.int64)
    valid_or_pending = valid | pending
    invalidation_pending = valid & (rng.random(n) < 0.005)
    frozen = valid & (rng.random(n) < 0.003)
    consent = ~(rng.random(n) < 0.02)
    pledged = valid & (rng.random(n) < 0.04)
    max_pledge = np.where(
        previous_pledges > 0,
        np.round(np.exp(np.log(400_000) + 0.8 * quality + 0.7 * rng.standard_normal(n)), -3),
        np.nan,
    )
    stage_known = rng.random(n) < 0.9

    records: list[dict[str, Any]] = []
    filing_o = filing.astype(object)
    grant_o = grant.astype(object)
    due_lapse_o = due_lapse.astype(object)
    for i in range(n):
        granted = not pending[i]
        st = status[i]
        ipc, _, _, stem = _IPC_TABLE[ipc_idx[i]]
        records.append(
            {
                "application_no": f"SIM{i + 1:06d}",
                "title": f"一种{stem}" if kind[i] == UTILITY_MODEL else f"一种{stem}及其方法",
                "patent_type": PATENT_TYPES[kind[i]],
                "ipc": ipc,
                "filing_date": filing_o[i],
                "grant_date": grant_o[i] if granted else None,
                "legal_status": st,
                "lapse_date": due_lapse_o[i] if st == "lapsed" else None,
                "owner_credit_code": None,
                "co_owners_consent": bool(consent[i]),
                "fees_paid_through_year": int(paid_through[i]) if granted else None,
                "late_fee_payments": int(late_count[i]) if granted else 0,
                "forward_citations": int(forward[i]),
                "backward_citations": int(backward[i]),
                "claims": int(claims[i]),
                "independent_claims": int(independent[i]),
                "family_size": int(family[i]),
                "granted_abroad": bool(abroad[i]),
                "pct": bool(pct[i]),
                "licenses": int(licenses[i]),
                "transfers": int(transfers[i]),
                "previous_pledges": int(previous_pledges[i]),
                "award": str(award[i]),
                "commercialization": str(_STAGES[stage[i]]) if stage_known[i] else None,
                "annual_revenue_yuan": Decimal(f"{revenue[i]:.2f}") if revenue_known[i] else None,
                "term_compensation_days": int(compensation[i]) if kind[i] == INVENTION else None,
                "invalidation_pending": bool(invalidation_pending[i]),
                "frozen": bool(frozen[i]),
                "pledged": bool(pledged[i]),
                "max_pledge_amount_yuan": (Decimal(int(max_pledge[i])) if not np.isnan(max_pledge[i]) else None),
            }
        )
    latent = {
        "quality": quality,
        "current_return": r_now,
        "status": status.astype(str),
        "lapse_year": lapse_year,
        "in_grace": valid & (paid_through < cur) & (due_cur < as_of64),
        "valid_or_pending": valid_or_pending,
    }
    return SimulatedPortfolio(records=records, true_value=true_value, as_of=as_of, seed=seed, latent=latent)


def _royalty_share(ipc_idx: np.ndarray, u: np.ndarray, params: Params) -> np.ndarray:
    """True royalty share per patent: a triangular draw from the range ``params/royalty.toml``
    gives its IPC — by the engine's own lookup (the simulated world takes those ranges as true)."""
    table_ipc = np.array([parse_ipc(ipc)[4] for ipc, *_ in _IPC_TABLE])
    group, ranges, _ = royalty_ranges(ipc_levels(table_ipc), params)
    chosen = ranges[group][ipc_idx]
    return triangular_ppf(u, chosen[:, 0], chosen[:, 1], chosen[:, 2])


def _weights(table: list[tuple[str, int, float, str]], overrides: Mapping[str, float] | None = None) -> np.ndarray:
    overrides = overrides or {}
    unknown = set(overrides) - {row[0] for row in table}
    if unknown:
        raise ValueError(f"ipc_weights: IPCs not in the table: {sorted(unknown)}")
    w = np.array([float(overrides.get(row[0], row[1])) for row in table], dtype=np.float64)
    return w / w.sum()


def _fee_year_containing(filing: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Fee year (1-based, counted from filing) that contains ``day``."""
    filing_year = filing.astype("datetime64[Y]").astype(np.int64)
    day_year = day.astype("datetime64[Y]").astype(np.int64)
    elapsed = day_year - filing_year
    elapsed = np.where(add_years(filing, elapsed) > day, elapsed - 1, elapsed)
    return elapsed + 1


__all__ = ["SimulatedPortfolio", "simulate_portfolio"]
