"""Chinese sentences for a valuation: each indicator's contribution with its value, the high-value
verdict (which of CNIPA's five conditions hold, or why none does), what P10/P50/P90 mean and how the
suggested loan is computed. Money in these sentences is in yuan (元), the library's unit."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from valuation.params import Params
from valuation.portfolio import AWARDS, STAGES, STATUSES

STATUS_CODES = STATUSES
AWARD_CODES = AWARDS
STAGE_CODES = STAGES

INDICATOR_NAMES = {
    "legal_status": "法律状态",
    "remaining_term": "剩余保护期",
    "claim_scope": "独立权利要求",
    "family_coverage": "同族与海外布局",
    "legal_stability": "权利稳定性",
    "citation_percentile": "被引用水平",
    "claims": "权利要求数量",
    "patent_type": "专利类型",
    "award": "获奖情况",
    "survival": "预期剩余经济寿命",
    "commercialization": "产业化阶段",
    "income_value": "收益法价值",
    "transactions": "许可、转让与质押记录",
}
_STATUS = {
    "in_force": "有效",
    "pending": "审查中",
    "valid": "登记为有效但已不在保护中",
    "lapsed": "已终止",
    "expired": "已届满",
    "invalidated": "已被宣告无效",
}
PATENT_TYPE_NAMES = {"invention": "发明专利", "utility_model": "实用新型", "design": "外观设计"}
AWARD_NAMES = {
    "none": "无",
    "china_patent_excellent": "中国专利优秀奖",
    "china_patent_silver": "中国专利银奖",
    "china_patent_gold": "中国专利金奖",
    "national_st": "国家科学技术奖",
}
STAGE_NAMES = {"none": "未实施", "prototype": "样机阶段", "pilot": "中试阶段", "production": "已量产"}
HIGH_VALUE_NAMES = {
    "strategic_emerging": "属于战略性新兴产业",
    "granted_abroad": "在海外有同族专利权",
    "maintained_10y": "维持年限超过10年",
    "high_pledge_amount": "实现较高质押融资金额",
    "award": "获得中国专利奖或国家科学技术奖",
}


def _yuan(value: Decimal | float | None) -> str:
    return "—" if value is None else f"{float(value):,.0f}元"


# How each indicator's raw value reads in an explanation sentence (value never None here).
_VALUE_TEXT: dict[str, Callable[[Any], str]] = {
    "legal_status": lambda v: _STATUS.get(v, str(v)),
    "remaining_term": lambda v: f"剩余{v:.1f}年",
    "claim_scope": lambda v: f"{v}项独立权利要求",
    "family_coverage": lambda v: f"同族{v}件",
    "legal_stability": lambda v: f"稳定性系数{v:.2f}（无效请求、冻结、共有人未同意、欠费或滞纳会降低）",
    "citation_percentile": lambda v: f"按被引时长与领域折算后处于第{100 * v:.0f}百分位",
    "claims": lambda v: f"{v}项权利要求",
    "patent_type": lambda v: PATENT_TYPE_NAMES.get(v, str(v)),
    "award": lambda v: AWARD_NAMES.get(v, str(v)),
    "survival": lambda v: f"按维持模型预计还将维持{v:.1f}年",
    "commercialization": lambda v: STAGE_NAMES.get(v, str(v)),
    "income_value": lambda v: f"中位情景约{_yuan(v)}",
    "transactions": lambda v: f"{v}次",
}


def indicator_sentences(indicator: str, values: list[Any], points: list[float], full_points: float) -> list[str]:
    """``"剩余保护期：剩余12.3年，得7.4分（满分9.0分）"`` for each patent's value and points of one
    indicator, a column at a time (what all of them share is formatted once)."""
    name = INDICATOR_NAMES.get(indicator, indicator)
    full = f"分（满分{full_points:.1f}分）"
    text = _VALUE_TEXT.get(indicator, str)
    no_revenue = f"{name}：无产品收入数据，不计{full}" if indicator == "income_value" else None  # unknown: not scored
    return [
        f"{name}：{text(v)}，得{p:.1f}{full}" if v is not None else (no_revenue or f"{name}：未知，得{p:.1f}{full}")
        for v, p in zip(values, points, strict=True)
    ]


def high_value_note(
    flags: list[str],
    high_value: bool,
    in_force: bool,
    invention: bool,
    industry: str | None,
    ipc_only: bool,
    params: Params,
) -> str:
    """Which of CNIPA's five high-value conditions hold, or why the patent is not high value."""
    if not invention:
        return "非发明专利，不属于高价值发明专利统计口径"
    held = []
    for flag in flags:
        text = HIGH_VALUE_NAMES[flag]
        if flag == "strategic_emerging" and industry:
            text += f"（{industry}{'，仅依IPC判断，标题未提供' if ipc_only else ''}）"
        held.append(text)
    if high_value:
        return "高价值发明专利：" + "；".join(held)
    if not in_force:
        return "专利权不处于有效状态，不计为高价值发明专利" + (
            "（若有效则满足：" + "；".join(held) + "）" if held else ""
        )
    threshold = float(params.high_value["high_pledge_amount_yuan"])
    return (
        "五项条件均不满足：不属于战略性新兴产业分类参照关系表所列IPC，无海外同族授权，"
        f"维持未超过{params.high_value['maintained_years']}年，质押融资额未达{threshold:,.0f}元，"
        "未获中国专利奖或国家科学技术奖"
    )


def value_note(p10: Decimal | None, p50: Decimal | None, p90: Decimal | None) -> str:
    """One sentence on what the interval means, or why there is none."""
    if p50 is None:
        return "无产品收入数据：只给出评分，不给出收益法价值"
    return (
        f"按收益法（许可费节省法）模拟专利今后的维持、产品收入和分成率：价值有八成可能落在"
        f"{_yuan(p10)}（P10）至{_yuan(p90)}（P90）之间，中位数{_yuan(p50)}（P50），已扣除应缴年费"
    )


def max_loan_basis(pledge_rate: float, p10: Decimal | None, max_loan: Decimal | None, eligible: bool) -> str:
    """How the suggested maximum loan is computed."""
    if max_loan is None:
        return "无收益法价值，不给出建议贷款额"
    if not eligible:
        return "不符合质押登记条件（见原因），建议贷款额为0"
    return f"建议最高贷款额 = 质押率{pledge_rate:.0%} × 保守估值P10 {_yuan(p10)} = {_yuan(max_loan)}"


__all__ = [
    "HIGH_VALUE_NAMES",
    "INDICATOR_NAMES",
    "high_value_note",
    "indicator_sentences",
    "max_loan_basis",
    "value_note",
]
