"""Facts about the demo county (Yunyang, Chongqing) that the generator draws from.

Everything here is data: the county's region code and towns, its partner banks, the pledge
products they offer, the plan's targets and the credit-loan limits. Figures that come from a
published source say so; figures invented for the demo are marked *illustrative*.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The demo's "today". Fixed so that fee histories, loan maturities and certification dates are
# consistent and the dataset is the same on every machine and every day.
DEMO_AS_OF = date(2026, 11, 1)

# 云阳县 administrative division code (GB/T 2260): positions 3–8 of a local credit code.
REGION_CODE = "500235"
# Landline prefix of Yunyang numbers (area code 023, local numbers 5xxx xxxx).
LANDLINE_PREFIX = "023-55"

# 云阳县 streets (街道) and towns (镇): a subset of the county's 42 township-level divisions.
TOWNS = (
    "双江街道",
    "青龙街道",
    "人和街道",
    "盘龙街道",
    "龙角镇",
    "故陵镇",
    "红狮镇",
    "路阳镇",
    "农坝镇",
    "渠马镇",
    "黄石镇",
    "巴阳镇",
    "沙市镇",
    "鱼泉镇",
    "凤鸣镇",
    "宝坪镇",
    "南溪镇",
    "双土镇",
    "桑坪镇",
    "江口镇",
    "高阳镇",
    "平安镇",
    "云阳镇",
    "云安镇",
    "栖霞镇",
    "双龙镇",
    "泥溪镇",
    "蔈草镇",
)
# Industrial parks sit in the central streets: most enterprises are registered there.
TOWN_WEIGHTS = (14, 12, 10, 9) + (3,) * 8 + (2,) * 16

# Industry clusters (import code → Chinese name) and their share of the county's enterprises
# (illustrative; the plan names the first three as the county's priority clusters).
CLUSTERS = {
    "green_consumer": "绿色消费品",
    "equipment_manufacturing": "装备制造",
    "energy_electronics": "能源电子",
    "other": "其他",
}
CLUSTER_SHARES = {
    "green_consumer": 0.32,
    "equipment_manufacturing": 0.28,
    "energy_electronics": 0.22,
    "other": 0.18,
}

# How the county's patents differ from the simulator's generic world (valuation/simulation.py),
# sized so that the demo looks like the plan's baseline: the plan (PLAN_SOURCE) sets 12 high-value
# invention patents as the 2024 goal, so in 2022 the county held only a handful. Illustrative
# choices, not published statistics:
# * inventions are a quarter of the county's patents (utility models dominate county filings;
#   CNIPA's national grants run roughly three utility models to one invention);
# * filings start in 2004 and grow 25 % a year (a county whose patenting took off in the 2010s),
#   so few inventions have been maintained over ten years;
# * few firms file abroad (3 % of inventions with a family abroad were granted there, not 50 %);
# * the IPC groups of the strategic-emerging-industry table (robots, production-line control,
#   charging, photovoltaic mounting, seedling equipment) are rare: weight 0.5 each against the
#   table's 1–6 for the other groups (2–4 for these in the generic world).
# Measured on the built demo (issue 14): 61 valid invention patents held by enterprises on
# 2022-09-30 of which 3 high value; 8 at the end of 2023, 11 at the end of 2024 (flag 4, a
# pledge of ¥1 million or more, follows the pledges of service/demo/pledges.py).
PATENT_SHAPE = {
    "invention_share": 0.25,
    "first_year": 2004,
    "filing_growth": 0.25,
    "abroad_share": 0.03,
    "ipc_weights": {"B25J 9/16": 0.5, "G05B 19/418": 0.5, "B60L 53/10": 0.5, "H02S 40/22": 0.5, "A01G 9/02": 0.5},
}


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    contact_person: str
    contact_phone: str
    # Share of the county's credit loans booked at this bank (illustrative).
    loan_share: float


BANKS = (
    Bank("CQRCB", "重庆农村商业银行云阳支行", "冉晓东", "023-55161208", 0.30),
    Bank("CCB", "中国建设银行云阳支行", "谭丽华", "023-55121735", 0.15),
    Bank("ICBC", "中国工商银行云阳支行", "向家明", "023-55133520", 0.12),
    Bank("CQTGB", "重庆三峡银行云阳支行", "彭洁", "023-55187266", 0.18),
    Bank("PSBC", "中国邮政储蓄银行云阳县支行", "何春燕", "023-55126089", 0.12),
    Bank("ABC", "中国农业银行云阳支行", "熊国强", "023-55142371", 0.13),
)


@dataclass(frozen=True)
class Product:
    """A pledge product as the products import file describes it (amounts in yuan)."""

    bank_code: str
    code: str
    name: str
    min_amount_yuan: int
    max_amount_yuan: int
    pledge_rate: str
    interest_rate_min: str
    interest_rate_max: str
    term_min_months: int
    term_max_months: int
    eligible_clusters: tuple[str, ...] = ()
    required_certifications: tuple[str, ...] = ()
    min_patent_grade: str = ""
    min_remaining_term_years: str = ""
    # Quota for QUOTA_PERIOD at scale 1; the generator multiplies it by the scale.
    quota_count: int | None = None
    quota_amount_yuan: int | None = None
    requires_existing_customer: bool = False
    active: bool = True


QUOTA_PERIOD = (date(2026, 1, 1), date(2026, 12, 31))

# Illustrative products. Pledge rates follow practice (10–60%, 25% for invention patents at a
# large state bank); rates are around the 2026 one-year LPR plus a margin.
PRODUCTS = (
    Product(
        "CQRCB",
        "ZSCQ-ZY",
        "知识产权质押贷",
        300_000,
        5_000_000,
        "0.30",
        "3.65",
        "4.35",
        6,
        36,
        min_patent_grade="C",
        min_remaining_term_years="3",
        quota_count=15,
        quota_amount_yuan=20_000_000,
    ),
    Product(
        "CQRCB",
        "ZJTX-ZL",
        "专精特新专利贷",
        500_000,
        10_000_000,
        "0.40",
        "3.45",
        "4.00",
        12,
        36,
        required_certifications=("specialized",),
        min_patent_grade="B",
        min_remaining_term_years="5",
        quota_count=6,
        quota_amount_yuan=15_000_000,
    ),
    Product(
        "CCB",
        "KJ-ZLD",
        "科技专利质押贷",
        1_000_000,
        10_000_000,
        "0.25",
        "3.20",
        "3.85",
        12,
        36,
        required_certifications=("high_tech",),
        min_patent_grade="B",
        min_remaining_term_years="5",
        quota_count=8,
        quota_amount_yuan=30_000_000,
    ),
    Product(
        "CCB",
        "LS-ZCD",
        "绿色消费品知产贷",
        300_000,
        3_000_000,
        "0.30",
        "3.50",
        "4.20",
        6,
        24,
        eligible_clusters=("green_consumer",),
        min_patent_grade="C",
        min_remaining_term_years="3",
        quota_count=10,
        quota_amount_yuan=12_000_000,
    ),
    Product(
        "ICBC",
        "ZLQ-ZY",
        "专利权质押贷款",
        1_000_000,
        8_000_000,
        "0.25",
        "3.30",
        "3.90",
        12,
        36,
        min_patent_grade="B",
        min_remaining_term_years="5",
        quota_count=6,
        quota_amount_yuan=25_000_000,
    ),
    Product(
        "ICBC",
        "BG-ZY",
        "信用贷并轨质押贷",
        500_000,
        5_000_000,
        "0.35",
        "3.40",
        "4.10",
        12,
        36,
        min_patent_grade="C",
        min_remaining_term_years="4",
        quota_count=8,
        quota_amount_yuan=15_000_000,
        requires_existing_customer=True,
    ),
    Product(
        "CQTGB",
        "SX-ZCD",
        "三峡知产贷",
        300_000,
        3_000_000,
        "0.45",
        "4.20",
        "5.50",
        6,
        24,
        eligible_clusters=("equipment_manufacturing", "energy_electronics"),
        min_patent_grade="D",
        min_remaining_term_years="3",
        quota_count=12,
        quota_amount_yuan=15_000_000,
    ),
    Product(
        "CQTGB",
        "NYDZ-ZL",
        "能源电子专利贷",
        500_000,
        5_000_000,
        "0.50",
        "3.90",
        "4.80",
        12,
        36,
        eligible_clusters=("energy_electronics",),
        min_patent_grade="C",
        min_remaining_term_years="4",
        quota_count=6,
        quota_amount_yuan=12_000_000,
    ),
    Product(
        "PSBC",
        "YZ-ZCD",
        "邮储知识产权贷",
        300_000,
        3_000_000,
        "0.30",
        "3.80",
        "4.90",
        12,
        36,
        min_patent_grade="D",
        min_remaining_term_years="3",
        quota_count=10,
        quota_amount_yuan=10_000_000,
    ),
    Product(
        "PSBC",
        "XW-ZLD",
        "小微企业专利贷",
        300_000,
        1_000_000,
        "0.35",
        "4.50",
        "5.50",
        6,
        12,
        min_patent_grade="D",
        min_remaining_term_years="3",
        quota_count=15,
        quota_amount_yuan=8_000_000,
    ),
    Product(
        "ABC",
        "KJ-ZCD",
        "科技知产贷",
        500_000,
        5_000_000,
        "0.30",
        "3.60",
        "4.50",
        12,
        36,
        eligible_clusters=("green_consumer", "equipment_manufacturing"),
        min_patent_grade="C",
        min_remaining_term_years="4",
        quota_count=8,
        quota_amount_yuan=16_000_000,
    ),
    Product(
        "ABC",
        "BG-KJD",
        "并轨科技贷",
        300_000,
        4_000_000,
        "0.40",
        "3.50",
        "4.30",
        12,
        36,
        required_certifications=("high_tech",),
        min_patent_grade="C",
        min_remaining_term_years="3",
        quota_count=6,
        quota_amount_yuan=10_000_000,
        requires_existing_customer=True,
    ),
)

# Credit-loan limits by grade, yuan.
# Knowledge-value credit loan (知识价值信用贷款): preset limits of Chongqing's scheme (DESIGN.md §4).
KNOWLEDGE_VALUE_LIMITS = {"A": 5_000_000, "B": 4_000_000, "C": 3_000_000, "D": 1_600_000, "E": 800_000}
# Commercial-value credit loan (商业价值信用贷款): scored on the "4+19+1" model; these per-grade
# limits are illustrative, on the same scale.
COMMERCIAL_VALUE_LIMITS = {"A": 6_000_000, "B": 4_500_000, "C": 3_000_000, "D": 2_000_000, "E": 1_000_000}
# Share of graded enterprises in each grade (illustrative: few A, most C–D).
GRADE_SHARES = {"A": 0.08, "B": 0.20, "C": 0.34, "D": 0.24, "E": 0.14}

# The action plan's window and targets.
PLAN_SOURCE = "《云阳县高价值发明专利培育行动方案（2022—2024年）》"
PLAN_WINDOW = (date(2022, 9, 22), date(2024, 12, 31))
FOLLOW_UP_WINDOW = (date(2025, 1, 1), date(2026, 12, 31))


def targets() -> list[dict]:
    """The plan's four targets and one illustrative later pledge target."""
    start, deadline = PLAN_WINDOW
    plan = [
        ("YY2022-PLEDGE", "新增知识产权质押融资", "pledge_amount", 10_000_000 * 100),
        ("YY2022-HVP", "高价值发明专利拥有量", "high_value_patents", 12),
        ("YY2022-IPADV", "新增知识产权优势企业", "ip_advantage_enterprises", 5),
        ("YY2022-IPSTD", "新增贯标企业", "ip_standard_enterprises", 5),
    ]
    rows = [
        {
            "code": code,
            "name": name,
            "metric": metric,
            "figure": figure,
            "window_start": start,
            "deadline": deadline,
            "source": PLAN_SOURCE,
        }
        for code, name, metric, figure in plan
    ]
    rows.append(
        {
            "code": "YY2025-PLEDGE",
            "name": "新增知识产权质押融资（2025—2026年）",
            "metric": "pledge_amount",
            "figure": 8_000_000 * 100,
            "window_start": FOLLOW_UP_WINDOW[0],
            "deadline": FOLLOW_UP_WINDOW[1],
            "source": "示例目标（演示数据，非正式文件）/ illustrative target for the demo, not a published plan",
        }
    )
    return rows
