"""The Chinese name of every code the service stores: one table per enumeration, used by the pages,
the exports (`lang=zh`) and the importer (which accepts a name wherever it accepts the code).

Where a library already names its codes, its table is the table: industry clusters,
certifications and credit-loan kinds from `matching/params.toml`; patent types, awards and
commercialization stages from `valuation.explain` (the words of the valuation's explanations).
tests/test_vocabularies.py holds every table to its enumeration's codes, names unique.
"""

from __future__ import annotations

from enum import StrEnum

from matching.params import default_params
from service import enumerations as enums
from valuation.explain import AWARD_NAMES, PATENT_TYPE_NAMES, STAGE_NAMES

_MATCHING = default_params()

CLUSTER = dict(_MATCHING.cluster_labels)
CERTIFICATION = dict(_MATCHING.certification_labels)
CREDIT_LOAN_KIND = dict(_MATCHING.credit_loan_kind_labels)
PATENT_TYPE = dict(PATENT_TYPE_NAMES)
AWARD = dict(AWARD_NAMES)
COMMERCIALIZATION = dict(STAGE_NAMES)
GRADE = {grade.value: f"{grade.value}级" for grade in enums.Grade}
LEGAL_STATUS = {"pending": "审查中", "valid": "有效", "lapsed": "已终止", "expired": "已届满", "invalidated": "已无效"}
PROPOSAL_STATUS = {"proposed": "待审核", "approved": "已批准", "rejected": "已驳回", "superseded": "已被新一轮匹配取代"}
ENTRY_STATUS = {
    "published": "已推送待确认",
    "acknowledged": "银行已受理",
    "granted": "已放款",
    "declined": "银行未放款",
    "expired": "已过期",
}
ALERT_STAGE = {"due": "年费待缴", "grace": "滞纳期内", "lapsed": "已过滞纳期"}
TARGET_METRIC = {
    "pledge_amount": "知识产权质押融资额",
    "high_value_patents": "高价值发明专利",
    "ip_advantage_enterprises": "知识产权优势企业",
    "ip_standard_enterprises": "贯标企业",
}
IP_TYPE = {"patent": "专利", "trademark": "商标", "other": "其他知识产权"}
DECLINE_REASON = {
    "insufficient_collateral": "质押物价值不足",
    "credit_risk": "企业信用风险",
    "ip_defect": "知识产权权属或法律状态瑕疵",
    "no_financing_need": "企业无融资需求或放弃",
    "terms_not_agreed": "利率、期限等条款未达成一致",
    "quota_exhausted": "产品额度已满",
    "other": "其他",
}
SUBSIDY_STATUS = {"proposed": "待审核支付", "paid": "已支付"}
API_ROLE = {"admin": "管理员", "reviewer": "审核员", "bank": "合作银行"}
JOB_STATUS = {"running": "运行中", "done": "已完成", "failed": "失败"}
WEBHOOK_STATUS = {"pending": "待发送", "delivered": "已送达", "failed": "发送失败"}

# Not stored enumerations, but codes that answers and exports carry.
PROJECTION_STATUS = {
    "projected": "预测中",
    "reached": "已完成",
    "final": "期限已到",
    "unavailable": "数据不足，无法预测",
    "stock": "存量指标（不预测）",
}
UNIT = {"yuan": "元", "count": "个"}
DIMENSION = {"legal": "法律", "technical": "技术", "economic": "经济"}
SCOPE = {"all": "全县"}  # the one group of statistics not broken down

# Each stored enumeration and its table (the test walks every StrEnum in service.enumerations).
BY_ENUM: dict[type[StrEnum], dict[str, str]] = {
    enums.Cluster: CLUSTER,
    enums.Certification: CERTIFICATION,
    enums.CreditLoanKind: CREDIT_LOAN_KIND,
    enums.Grade: GRADE,
    enums.PatentType: PATENT_TYPE,
    enums.LegalStatus: LEGAL_STATUS,
    enums.Award: AWARD,
    enums.Commercialization: COMMERCIALIZATION,
    enums.ApiRole: API_ROLE,
    enums.ProposalStatus: PROPOSAL_STATUS,
    enums.EntryStatus: ENTRY_STATUS,
    enums.IpType: IP_TYPE,
    enums.DeclineReason: DECLINE_REASON,
    enums.JobStatus: JOB_STATUS,
    enums.AlertStage: ALERT_STAGE,
    enums.WebhookStatus: WEBHOOK_STATUS,
    enums.TargetMetric: TARGET_METRIC,
    enums.SubsidyStatus: SUBSIDY_STATUS,
}

# The tables by the name pages use (`{{ code | label("cluster") }}`).
ALL = {
    "cluster": CLUSTER,
    "certification": CERTIFICATION,
    "credit_loan_kind": CREDIT_LOAN_KIND,
    "grade": GRADE,
    "patent_type": PATENT_TYPE,
    "legal_status": LEGAL_STATUS,
    "award": AWARD,
    "commercialization": COMMERCIALIZATION,
    "proposal_status": PROPOSAL_STATUS,
    "entry_status": ENTRY_STATUS,
    "alert_stage": ALERT_STAGE,
    "metric": TARGET_METRIC,
    "ip_type": IP_TYPE,
    "decline_reason": DECLINE_REASON,
    "subsidy_status": SUBSIDY_STATUS,
    "role": API_ROLE,
    "projection_status": PROJECTION_STATUS,
    "unit": UNIT,
    "dimension": DIMENSION,
    "scope": SCOPE,
}


def label(code: object, kind: str) -> str:
    """The Chinese name of ``code``, "—" for None, or the code itself when none is known."""
    if code is None:
        return "—"
    return ALL[kind].get(str(code), str(code))


def code_of(enum: type[StrEnum]) -> dict[str, str]:
    """Text accepted for each code of ``enum`` in an import cell: the code and its Chinese name."""
    names = BY_ENUM.get(enum, {})
    return {**{name: code for code, name in names.items()}, **{member.value: member.value for member in enum}}
