"""A simulated county patent portfolio whose true values are known (for calibration tests).

Written independently of ``valuation/``: it shares no code or structure with the model, only the
domain facts of DESIGN.md §4 (term, fee schedule, grace period, application-number check digit)
and the import format of docs/import-formats.md. The model sees the history up to ``as_of``
(written as a ``patents`` import file); the future after ``as_of`` is simulated too and gives the
truth.

Generative model (time unit: the *fee year* k = 1, 2, … of each patent, which covers patent ages
[k-1, k) years from filing; all amounts in yuan; every patent is simulated in parallel, the loop
runs over fee years):

Portfolio
  * Ten sectors, each with a UNIDO royalty-share range (as tabulated in Chinese valuation texts),
    a share of the county's filings, a share of inventions (the rest utility models), a forward
    citation rate per year since grant, and realistic IPC main groups and Chinese titles:

    ==============  =========  =====  =========  =====  ==================================
    sector          royalty    share  invention  cites  IPC (examples)
    ==============  =========  =====  =========  =====  ==================================
    机械制造        1.5–3 %    0.22   0.35       0.30   B23K 37/04, F16H 57/04, B65G 47/90
    汽车            4.5–6 %    0.06   0.40       0.35   B60L 53/16, B60R 16/02, F16D 65/12
    电器            3–4.5 %    0.12   0.40       0.45   H02J 7/00, H02M 3/335, F24C 7/08
    精密电子        4–5.5 %    0.17   0.55       0.60   H01M 10/052, H01M 4/58, H02S 40/34
    光学及电子产品  7–10 %     0.05   0.50       0.70   G02B 6/38, H04N 23/55, H05B 45/10
    日用消费品      1–2.5 %    0.14   0.30       0.15   A47J 27/00, B65D 65/46, A47L 13/20
    食品            1–2.5 %    0.10   0.60       0.12   A23L 19/20, A23F 3/06, A23L 2/02
    化学            2–3.5 %    0.08   0.70       0.30   C08L 67/04, C09D 5/08, C02F 1/52
    石油化工        0.5–2 %    0.03   0.75       0.20   C10L 5/44, C10G 1/10, C10L 3/10
    制药            2.5–4 %    0.03   0.90       0.30   A61K 36/899, A61K 9/20, A61K 9/16
    ==============  =========  =====  =========  =====  ==================================

    (Food is not in the UNIDO table; it gets the consumer-goods range.) Each patent's true royalty
    share is Uniform(low, high) of its sector.
  * Latent quality q ~ N(0, 1) per patent; it drives commercialisation, revenue scale, owner
    benefit and the observed quality signals.
  * Filing age at ``as_of`` (years): density ∝ exp(-0.10·age) (filings grow ~10 %/year),
    truncated to [0.05, 23] for inventions and [0.05, 12] for utility models (so some expired
    patents are in the file). Grant lag: invention 1.2 + Gamma(3, 0.5) years (mean 2.7), utility
    model 0.35 + Gamma(2, 0.2) years (mean 0.75). Applications are never refused.
  * Term: 20 years from filing (invention) or 10 (utility model). Term compensation: an
    invention granted on or after 2021-06-01 more than 4 years after filing gets, with probability
    0.8, U(0.6, 1.0) × (grant lag − 4 years) in days.

Revenue of the products using the patent
  * The patent is ever used in a product with probability sigmoid(-0.2 + 0.9·q + c_sector)
    (c_sector: +0.3 for machinery, consumer goods, food; 0 otherwise). Launch at patent age
    0.3 + Gamma(2, 1.0) years.
  * Revenue potential B = exp(ln 1.5e6 + 0.7·q + N(0, 1.0)) (median ¥1.5 million a year).
    Revenue in the launch year: 0.5·B × (fraction of the year after launch); then
    ln R_{k+1} = ln R_k + g − δ·(years since launch) + ε,  g ~ N(0.25, 0.10),
    δ ~ U(0.03, 0.07), ε ~ N(0, σ), σ ~ U(0.12, 0.35) per patent (products rise, plateau and
    decline); capped at ¥2 billion. Sudden death of the product line: hazard 3 %/year, 7 %/year
    after 6 years on the market; revenue is 0 from then on.
  * Royalty income of the patent in fee year k: s × R_k.

Owners (renewal, Pakes 1986 style)
  * At grant the fees for every fee year up to the current one are paid. At each later due date
    (the anniversary of filing that starts fee year k) the owner of a live patent pays fee_k
    (DESIGN.md §4 schedule, no fee reductions; compensation period: the year-20 fee pro rata)
    if  perceived = s·R_{k-1}·LN(0, 0.3) + b_k + c_k + h_k  >  fee_k · LN(0, 0.3), where
      - b_k = b0·0.88^(k-1), b0 = exp(ln 600 + 0.3·q + N(0, 0.9)) (×0.7 for utility models):
        private benefit (defensive value, subsidies), not income;
      - c_k = ¥2,500 for the first 8 years after grant for the 30 % of owners who need patents for
        high-tech certification; not income;
      - h_k (hope, before launch) = s·B·LN(0, 0.5)·0.15·p·0.7^(years since grant), p = 0.7 if the
        product will be launched, else 0.25.
    Independently of value, each year 3.5 % of owners let the patent lapse (neglect, firm
    failure), good patents included.
  * Payment timing: late (in the 6-month grace period) with probability 0.08, 0.20 when the
    perceived value is under twice the fee; months late ~ U{1..6}. Late surcharges are not
    part of the truth.
  * An unpaid fee ends the patent at the due date of that fee (CNIPA backdates the lapse). The
    register records the lapse U(21, 330) days after that due date (``lapse_date``); 7 % of lapsed
    records have no lapse_date. If the record date is after ``as_of`` the register still shows
    ``valid`` (fees behind).

Observed at ``as_of`` (the import record)
  * legal_status: pending (grant after as_of), lapsed (lapse recorded by as_of), expired, valid.
  * fees_paid_through_year: last fee year whose payment is dated on or before as_of (0 while
    pending); late_fee_payments: payments made in a grace period by as_of.
  * forward_citations ~ Poisson(rate_sector × exp(0.6·q + 0.3·[launched]) × years since grant
    × (0.5 for utility models)); backward_citations ~ Poisson(6) (utility models Poisson(3)).
  * claims: invention 1 + Poisson(7·exp(0.15·q)), utility model 1 + Poisson(5·exp(0.15·q));
    independent claims 1 + Binomial(2, 0.25), at most claims.
  * family: PCT with probability sigmoid(-3.0 + 1.0·q) (inventions only); family size
    1 + Poisson(0.2 + 2.0·[PCT])·exp(0.3·q) rounded; granted abroad with probability 0.5 given PCT.
  * licences ~ Poisson((0.03 + 0.3·[launched]·exp(0.4·q)) × min(1, years since grant / 5));
    transfers ~ Poisson(0.08); previous pledges ~ Poisson(0.03 + 0.15·[revenue now]); award
    china_patent_excellent with probability 0.01 for inventions with q > 1.5.
  * commercialization: product on the market → production (90 %) or pilot; product dead →
    production (40 %, stale register) or none; launch within 2 years → pilot 60 % / prototype 30 %
    / none 10 %; launch in 2–5 years → prototype 50 % / none 50 %; otherwise none 88 % /
    prototype 10 % / pilot 2 %.
  * annual_revenue_yuan: for production records, known with probability 0.85: the current annual
    revenue (the last positive one for a dead product) × LN(0, 0.2), rounded to ¥1,000.
  * co_owners_consent false 3 %, invalidation_pending 0.5 %, frozen 0.3 %; no owner code.
  * application_no: filing year + type digit (1 invention, 2 utility model) + unique random
    7-digit serial + check character (Σ dᵢ·wᵢ mod 11, weights 2,3,4,5,6,7,8,9,2,3,4,5; 10 → X).

Truth
  * discount rate r ~ U(0.10, 0.15) per patent (the owner's cost of capital).
  * ``true_value_yuan``: for patents in force at as_of, Σ over the realised future while the
    patent is in force of s·R_k × (time in force in year k) discounted from the middle of that
    time, minus each fee actually paid after as_of discounted from its payment date; 0 for
    patents not in force (pending, lapsed — also when the lapse is not yet recorded — expired).
  * ``alive_in_3y``: in force at as_of + 3 years; ``in_force``: in force at as_of.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

IMPORT_COLUMNS = [
    "application_no",
    "title",
    "patent_type",
    "ipc",
    "filing_date",
    "grant_date",
    "legal_status",
    "lapse_date",
    "owner_credit_code",
    "co_owners_consent",
    "fees_paid_through_year",
    "late_fee_payments",
    "forward_citations",
    "backward_citations",
    "claims",
    "independent_claims",
    "family_size",
    "granted_abroad",
    "pct",
    "licenses",
    "transfers",
    "previous_pledges",
    "award",
    "commercialization",
    "annual_revenue_yuan",
    "term_compensation_days",
    "invalidation_pending",
    "frozen",
]

# name, royalty low, high, filing share, invention share, citations/year, commercialisation shift,
# IPC groups, product titles, method titles
SECTORS = [
    (
        "机械制造", 0.015, 0.030, 0.22, 0.35, 0.30, 0.3,
        ["B23K 37/04", "F16H 57/04", "B65G 47/90", "B21D 28/34", "B23Q 3/06", "F16K 31/06"],
        ["焊接机器人夹具", "齿轮箱润滑装置", "自动化输送分拣装置", "机床工件定位工装", "电磁阀执行机构"],
        ["数控冲压模具的加工方法", "大型齿轮的热处理方法"],
    ),
    (
        "汽车", 0.045, 0.060, 0.06, 0.40, 0.35, 0.0,
        ["B60L 53/16", "B60R 16/02", "F16D 65/12", "B62D 65/02"],
        ["新能源汽车充电接口", "汽车线束固定支架", "制动盘散热结构", "车身焊装定位装置"],
        ["汽车制动盘的铸造方法"],
    ),
    (
        "电器", 0.030, 0.045, 0.12, 0.40, 0.45, 0.0,
        ["H02J 7/00", "H02M 3/335", "F24C 7/08", "H01R 13/66"],
        ["电动自行车智能充电器", "双向直流变换电路", "节能电烤箱控制装置", "防水充电插座"],
        ["充电桩的功率分配方法"],
    ),
    (
        "精密电子", 0.040, 0.055, 0.17, 0.55, 0.60, 0.0,
        ["H01M 10/052", "H01M 4/58", "H01M 10/613", "H02S 40/34", "H01L 31/18", "H02J 3/32"],
        ["锂离子电池模组散热结构", "光伏组件接线盒", "储能电池簇管理装置", "电池极片分切装置"],
        ["磷酸铁锂正极材料及其制备方法", "太阳能电池片的制备方法", "储能系统的能量管理方法"],
    ),
    (
        "光学及电子产品", 0.070, 0.100, 0.05, 0.50, 0.70, 0.0,
        ["G02B 6/38", "H04N 23/55", "H05B 45/10", "G01J 1/42"],
        ["光纤快速连接器", "车载摄像模组", "LED调光驱动电路", "光照强度检测装置"],
        ["摄像模组的主动对准方法"],
    ),
    (
        "日用消费品", 0.010, 0.025, 0.14, 0.30, 0.15, 0.3,
        ["A47J 27/00", "B65D 65/46", "A47L 13/20", "A47G 19/02"],
        ["节能电饭锅内胆", "可降解塑料包装袋", "免手洗平板拖把", "竹纤维餐具"],
        ["可降解餐盒及其制备方法"],
    ),
    (
        "食品", 0.010, 0.025, 0.10, 0.60, 0.12, 0.3,
        ["A23L 19/20", "A23F 3/06", "A23L 2/02", "A21D 13/04"],
        ["榨菜脱盐装置", "茶叶揉捻机"],
        ["低盐榨菜的腌制方法", "富硒绿茶的加工工艺", "柑橘果汁饮料及其制备方法", "红薯粉条的生产方法"],
    ),
    (
        "化学", 0.020, 0.035, 0.08, 0.70, 0.30, 0.0,
        ["C08L 67/04", "C09D 5/08", "C02F 1/52", "C05G 3/40"],
        ["污水絮凝加药装置"],
        ["聚乳酸复合材料及其制备方法", "水性防腐涂料及其制备方法", "缓释复合肥的制备方法"],
    ),
    (
        "石油化工", 0.005, 0.020, 0.03, 0.75, 0.20, 0.0,
        ["C10L 5/44", "C10G 1/10", "C10L 3/10"],
        ["天然气脱硫塔"],
        ["生物质燃料颗粒的制备方法", "废塑料裂解制油的方法", "天然气脱硫的方法"],
    ),
    (
        "制药", 0.025, 0.040, 0.03, 0.90, 0.30, 0.0,
        ["A61K 36/899", "A61K 9/20", "A61K 9/16"],
        ["中药饮片切制装置"],
        ["治疗慢性胃炎的中药组合物", "盐酸二甲双胍缓释片及其制备方法", "中药配方颗粒的制备方法"],
    ),
]  # fmt: skip

INVENTION_FEES = np.array([900] * 3 + [1200] * 3 + [2000] * 3 + [4000] * 3 + [6000] * 3 + [8000] * 5, float)
UTILITY_FEES = np.array([600] * 3 + [900] * 2 + [1200] * 3 + [2000] * 2, float)
CHECK_WEIGHTS = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5])
YEAR = 365.25
K = 21  # fee years simulated: 20 + the compensation period of inventions


def check_character(digits12: str) -> str:
    """CN application-number check character (DESIGN.md §4), written here independently."""
    total = sum(int(d) * w for d, w in zip(digits12, CHECK_WEIGHTS, strict=True)) % 11
    return "X" if total == 10 else str(total)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _add_years(days: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """Anniversaries of datetime64[D] dates (29 February → 28 February)."""
    months = days.astype("datetime64[M]")
    day = (days - months.astype("datetime64[D]")).astype(int)
    target = months + 12 * np.asarray(years)
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(int)
    return target.astype("datetime64[D]") + np.minimum(day, length - 1)


def _iso(days: np.ndarray, mask: np.ndarray) -> np.ndarray:
    text = np.datetime_as_string(days, unit="D").astype(object)
    text[~mask] = ""
    return text


@dataclass
class World:
    as_of: date
    seed: int
    columns: dict[str, np.ndarray]  # import columns as text (object arrays), "" = empty cell
    # truth and latent state, one entry per patent
    true_value_yuan: np.ndarray
    alive_in_3y: np.ndarray
    in_force: np.ndarray
    royalty_share: np.ndarray
    discount_rate: np.ndarray
    sector: np.ndarray  # index into SECTORS
    quality: np.ndarray
    invention: np.ndarray
    filing_date: np.ndarray  # datetime64[D]
    grant_date: np.ndarray
    end_date: np.ndarray  # lapse (backdated to the due date) or expiry, datetime64[D]
    lapsed: np.ndarray  # ends by an unpaid fee (at any time, past or future)
    lapse_due_date: np.ndarray  # NaT when not lapsed
    lapse_record_date: np.ndarray  # NaT when not lapsed
    revenue: np.ndarray  # (n, K) annual product revenue per fee year
    alive_years: np.ndarray  # (n, K) in force during (part of) fee year k
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.true_value_yuan)

    def rows(self) -> list[dict[str, str]]:
        return [{name: str(self.columns[name][i]) for name in IMPORT_COLUMNS} for i in range(self.n)]

    def write_csv(self, path: Path | str) -> Path:
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(IMPORT_COLUMNS)
            writer.writerows(zip(*(self.columns[name] for name in IMPORT_COLUMNS), strict=True))
        return path


def simulate_world(n: int, as_of: date, seed: int) -> World:
    rng = np.random.default_rng(seed)
    asof = np.datetime64(as_of, "D")

    # -- portfolio -------------------------------------------------------------------------
    shares = np.array([s[3] for s in SECTORS])
    sector = rng.choice(len(SECTORS), size=n, p=shares / shares.sum())
    low = np.array([s[1] for s in SECTORS])[sector]
    high = np.array([s[2] for s in SECTORS])[sector]
    royalty = rng.uniform(low, high)
    invention = rng.random(n) < np.array([s[4] for s in SECTORS])[sector]
    cite_rate = np.array([s[5] for s in SECTORS])[sector]
    com_shift = np.array([s[6] for s in SECTORS])[sector]
    q = rng.standard_normal(n)
    rate = rng.uniform(0.10, 0.15, n)

    max_age = np.where(invention, 23.0, 12.0)
    lam, lo_age = 0.10, 0.05
    u = rng.random(n)
    span = max_age - lo_age
    age_at = lo_age - np.log(1 - u * (1 - np.exp(-lam * span))) / lam
    filing = asof - np.round(age_at * YEAR).astype("timedelta64[D]")
    a = (asof - filing).astype(int) / YEAR  # age at as_of, years

    lag = np.where(invention, 1.2 + rng.gamma(3.0, 0.5, n), 0.35 + rng.gamma(2.0, 0.2, n))
    grant = filing + np.round(lag * YEAR).astype("timedelta64[D]")
    g_age = (grant - filing).astype(int) / YEAR
    term = np.where(invention, 20, 10)
    comp_ok = invention & (grant >= np.datetime64("2021-06-01")) & (lag > 4) & (rng.random(n) < 0.8)
    comp_days = np.where(comp_ok, np.round(rng.uniform(0.6, 1.0, n) * (lag - 4) * YEAR), 0).astype(int)
    expiry = _add_years(filing, term) + comp_days.astype("timedelta64[D]")

    # -- revenue paths ---------------------------------------------------------------------
    will_launch = rng.random(n) < _sigmoid(-0.2 + 0.9 * q + com_shift)
    launch_age = 0.3 + rng.gamma(2.0, 1.0, n)
    potential = np.exp(np.log(1.5e6) + 0.7 * q + rng.standard_normal(n))
    growth = rng.normal(0.25, 0.10, n)
    decay = rng.uniform(0.03, 0.07, n)
    sigma = rng.uniform(0.12, 0.35, n)
    revenue = np.zeros((n, K))
    rate_path = np.zeros((n, K))  # annual revenue rate while on the market (revenue = rate × time on market)
    on_market = np.zeros(n, bool)
    dead = np.zeros(n, bool)
    death_age = np.full(n, np.inf)
    log_r = np.log(0.5 * potential)
    for k in range(1, K + 1):
        start, end = k - 1.0, float(k)
        launching = will_launch & ~on_market & ~dead & (launch_age < end)
        since = start - launch_age  # years on the market at the start of year k
        # survivors on the market evolve; then sudden death
        evolving = on_market & ~dead
        log_r = np.where(
            evolving, log_r + growth - decay * np.maximum(since, 0) + sigma * rng.standard_normal(n), log_r
        )
        log_r = np.minimum(log_r, np.log(2e9))
        hazard = np.where(since > 6, 0.07, 0.03)
        dies = evolving & (rng.random(n) < hazard)
        death_age = np.where(dies, start + rng.random(n), death_age)
        frac = np.where(launching, (end - launch_age) / 1.0, np.where(evolving, 1.0, 0.0))
        frac = np.where(dies, np.clip(death_age - np.maximum(start, launch_age), 0, 1), frac)
        revenue[:, k - 1] = np.exp(log_r) * frac
        rate_path[:, k - 1] = np.where(frac > 0, np.exp(log_r), 0.0)
        dead |= dies
        on_market |= launching

    # -- renewal decisions -----------------------------------------------------------------
    fees = np.zeros((n, K))
    fees[invention, :20] = INVENTION_FEES
    fees[invention, 20] = 8000.0 * comp_days[invention] / YEAR
    fees[~invention, :10] = UTILITY_FEES
    n_years = np.where(invention, np.where(comp_days > 0, 21, 20), 10)
    g_k = np.floor(g_age).astype(int) + 1  # fee year containing the grant
    b0 = np.exp(np.log(600) + 0.3 * q + 0.9 * rng.standard_normal(n)) * np.where(invention, 1.0, 0.7)
    cert = rng.random(n) < 0.30
    hope_p = np.where(will_launch, 0.7, 0.25)
    hope_scale = potential * np.exp(0.5 * rng.standard_normal(n))
    paid = np.zeros((n, K), bool)
    pay_age = np.full((n, K), np.inf)
    late = np.zeros((n, K), bool)
    alive = np.ones(n, bool)
    lapse_k = np.zeros(n, int)  # fee year whose fee went unpaid (0 = none)
    for k in range(1, K + 1):
        exists = k <= n_years
        at_grant = exists & (k <= g_k)
        paid[at_grant, k - 1] = True
        pay_age[at_grant, k - 1] = g_age[at_grant]
        decide = exists & (k > g_k) & alive
        years_granted = np.maximum(k - 1 - g_age, 0)
        last_rev = revenue[:, k - 2] if k >= 2 else np.zeros(n)
        income = royalty * last_rev * np.exp(0.3 * rng.standard_normal(n))
        benefit = b0 * 0.88 ** (k - 1) + np.where(cert & (years_granted < 8), 2500.0, 0.0)
        launched_before = will_launch & (launch_age < k - 1)
        hope = np.where(~launched_before, royalty * hope_scale * 0.15 * hope_p * 0.7**years_granted, 0.0)
        perceived = income + benefit + hope
        threshold = fees[:, k - 1] * np.exp(0.3 * rng.standard_normal(n))
        neglect = rng.random(n) < 0.035
        pays = decide & (perceived > threshold) & ~neglect
        stops = decide & ~pays
        lapse_k = np.where(stops, k, lapse_k)
        alive &= ~stops
        is_late = pays & (rng.random(n) < np.where(perceived < 2 * fees[:, k - 1], 0.20, 0.08))
        months = rng.integers(1, 7, n)
        paid[pays, k - 1] = True
        late[:, k - 1] = is_late
        pay_age[pays, k - 1] = np.where(is_late, k - 1 + (months - rng.random(n)) / 12, k - 1 - rng.random(n) * 0.1)[
            pays
        ]

    lapsed = lapse_k > 0
    lapse_due = np.where(lapsed, _add_years(filing, np.maximum(lapse_k - 1, 0)), np.datetime64("NaT"))
    record_lag = rng.integers(21, 331, n).astype("timedelta64[D]")
    lapse_record = np.where(lapsed, lapse_due + record_lag, np.datetime64("NaT"))
    end_date = np.where(lapsed, lapse_due, expiry)
    end_age = (end_date - filing).astype(int) / YEAR

    in_force = (grant <= asof) & (asof < end_date)
    asof3 = np.datetime64(date(as_of.year + 3, as_of.month, min(as_of.day, 28)), "D")
    alive_in_3y = (grant <= asof3) & (asof3 < end_date)

    # -- truth: discounted future royalty income net of fees ------------------------------
    starts = np.arange(K, dtype=float)[None, :]  # fee year k covers ages [k-1, k)
    lo = np.maximum(np.maximum(starts, a[:, None]), g_age[:, None])
    hi = np.minimum(starts + 1, end_age[:, None])
    span_in = np.clip(hi - lo, 0, None)
    mid = (lo + hi) / 2 - a[:, None]
    disc = (1 + rate[:, None]) ** -np.maximum(mid, 0)
    income_pv = (royalty[:, None] * revenue * span_in * disc).sum(axis=1)
    fee_after = paid & (pay_age > a[:, None]) & np.isfinite(pay_age)
    fee_pv = np.where(fee_after, fees * (1 + rate[:, None]) ** -np.clip(pay_age - a[:, None], 0, None), 0).sum(axis=1)
    true_value = np.where(in_force, income_pv - fee_pv, 0.0)
    alive_years = (np.minimum(starts + 1, end_age[:, None]) - np.maximum(starts, g_age[:, None])) > 0

    # -- observed record at as_of -------------------------------------------------------------
    pending = grant > asof
    recorded_lapse = lapsed & (lapse_record <= asof)
    expired = ~lapsed & (expiry <= asof)
    status = np.where(pending, "pending", np.where(recorded_lapse, "lapsed", np.where(expired, "expired", "valid")))
    status = status.astype(object)
    no_lapse_date = recorded_lapse & (rng.random(n) < 0.07)

    seen = paid & (pay_age <= a[:, None])
    fee_years = np.arange(1, K + 1)[None, :]
    fees_through = np.where(seen, fee_years, 0).max(axis=1)
    fees_through = np.minimum(fees_through, 20)
    fees_through[pending] = 0
    late_count = (late & seen).sum(axis=1)

    since_grant = np.clip(a - g_age, 0, None)
    k0 = np.clip(np.floor(a).astype(int), 0, K - 1)  # index of the fee year containing as_of
    launched_now = will_launch & (launch_age <= a)
    product_dead = launched_now & (death_age <= a)
    selling = launched_now & ~product_dead
    cites = rng.poisson(cite_rate * np.exp(0.6 * q + 0.3 * launched_now) * since_grant * np.where(invention, 1.0, 0.5))
    backward = rng.poisson(np.where(invention, 6.0, 3.0))
    claims = 1 + rng.poisson(np.where(invention, 7.0, 5.0) * np.exp(0.15 * q))
    independent = np.minimum(1 + rng.binomial(2, 0.25, n), claims)
    pct = invention & (rng.random(n) < _sigmoid(-3.0 + 1.0 * q))
    family = np.maximum(1, np.round((1 + rng.poisson(0.2 + 2.0 * pct)) * np.exp(0.3 * q))).astype(int)
    family = np.where(pct, np.maximum(family, 2), family)
    abroad = pct & (rng.random(n) < 0.5)
    licences = rng.poisson((0.03 + 0.3 * launched_now * np.exp(0.4 * q)) * np.minimum(1, since_grant / 5))
    transfers = rng.poisson(0.08, n)
    pledges = rng.poisson(0.03 + 0.15 * selling)
    award = np.where(invention & (q > 1.5) & (rng.random(n) < 0.01), "china_patent_excellent", "none").astype(object)

    u = rng.random(n)
    until_launch = launch_age - a
    stage = np.full(n, "none", dtype=object)
    soon = will_launch & ~launched_now & (until_launch <= 2)
    later = will_launch & ~launched_now & (until_launch > 2) & (until_launch <= 5)
    other = ~launched_now & ~soon & ~later
    stage[selling] = np.where(u[selling] < 0.9, "production", "pilot")
    stage[product_dead] = np.where(u[product_dead] < 0.4, "production", "none")
    stage[soon] = np.where(u[soon] < 0.6, "pilot", np.where(u[soon] < 0.9, "prototype", "none"))
    stage[later] = np.where(u[later] < 0.5, "prototype", "none")
    stage[other] = np.where(u[other] < 0.88, "none", np.where(u[other] < 0.98, "prototype", "pilot"))
    rows = np.arange(n)
    # last fee year (up to the current one) with the product on the market
    on = np.where((rate_path > 0) & (np.arange(K)[None, :] <= k0[:, None]), np.arange(K)[None, :], -1)
    last_on = on.max(axis=1)
    current_rate = np.where(last_on >= 0, rate_path[rows, np.maximum(last_on, 0)], 0.0)
    reported = current_rate * np.exp(0.2 * rng.standard_normal(n))
    known = (stage == "production") & (reported > 0) & (rng.random(n) < 0.85)
    revenue_text = np.where(known, (np.round(reported / 1000) * 1000).astype(np.int64).astype(str), "").astype(object)

    # -- application numbers ----------------------------------------------------------------
    serial = rng.choice(10_000_000, size=n, replace=False)
    years = filing.astype("datetime64[Y]").astype(int) + 1970
    numbers = np.empty(n, dtype=object)
    for i in range(n):
        digits = f"{years[i]:04d}{1 if invention[i] else 2}{serial[i]:07d}"
        numbers[i] = f"{digits}.{check_character(digits)}"

    ipc = np.empty(n, dtype=object)
    title = np.empty(n, dtype=object)
    pick = rng.random((n, 2))
    for j, spec in enumerate(SECTORS):
        idx = np.flatnonzero(sector == j)
        groups, products, methods = spec[7], spec[8], spec[9]
        ipc[idx] = np.array(groups, dtype=object)[(pick[idx, 0] * len(groups)).astype(int)]
        use_method = invention[idx] & (pick[idx, 1] < 0.5)
        prod = np.array(products, dtype=object)[(pick[idx, 1] * len(products)).astype(int) % len(products)]
        meth = np.array(methods, dtype=object)[(pick[idx, 1] * 2 * len(methods)).astype(int) % len(methods)]
        title[idx] = "一种" + np.where(use_method, meth, prod)

    def flag(x):
        return np.where(x, "true", "false").astype(object)

    granted_text = ~pending
    columns = {
        "application_no": numbers,
        "title": title,
        "patent_type": np.where(invention, "invention", "utility_model").astype(object),
        "ipc": ipc,
        "filing_date": _iso(filing, np.ones(n, bool)),
        "grant_date": _iso(grant, granted_text),
        "legal_status": status,
        "lapse_date": _iso(np.where(recorded_lapse, lapse_record, filing), recorded_lapse & ~no_lapse_date),
        "owner_credit_code": np.full(n, "", dtype=object),
        "co_owners_consent": flag(rng.random(n) >= 0.03),
        "fees_paid_through_year": fees_through.astype(str).astype(object),
        "late_fee_payments": late_count.astype(str).astype(object),
        "forward_citations": cites.astype(str).astype(object),
        "backward_citations": backward.astype(str).astype(object),
        "claims": claims.astype(str).astype(object),
        "independent_claims": independent.astype(str).astype(object),
        "family_size": family.astype(str).astype(object),
        "granted_abroad": flag(abroad),
        "pct": flag(pct),
        "licenses": licences.astype(str).astype(object),
        "transfers": transfers.astype(str).astype(object),
        "previous_pledges": pledges.astype(str).astype(object),
        "award": award,
        "commercialization": stage,
        "annual_revenue_yuan": revenue_text,
        "term_compensation_days": comp_days.astype(str).astype(object),
        "invalidation_pending": flag(rng.random(n) < 0.005),
        "frozen": flag(rng.random(n) < 0.003),
    }
    return World(
        as_of=as_of,
        seed=seed,
        columns=columns,
        true_value_yuan=true_value,
        alive_in_3y=alive_in_3y,
        in_force=in_force,
        royalty_share=royalty,
        discount_rate=rate,
        sector=sector,
        quality=q,
        invention=invention,
        filing_date=filing,
        grant_date=grant,
        end_date=end_date,
        lapsed=lapsed,
        lapse_due_date=lapse_due,
        lapse_record_date=lapse_record,
        revenue=revenue,
        alive_years=alive_years,
        extras={
            "launched_now": launched_now,
            "selling": selling,
            "revenue_known": known,
            "term_compensation_days": comp_days,
            "expiry": expiry,
            "fees": fees,
            "paid": paid,
            "pay_age": pay_age,
            "age_at_as_of": a,
            "will_launch": will_launch,
        },
    )
