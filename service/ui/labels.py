"""Chinese names for the codes the pages show (the API keeps the English codes)."""

from __future__ import annotations

from matching.params import default_params

_MATCHING = default_params()

CLUSTER = dict(_MATCHING.cluster_labels)
CERTIFICATION = dict(_MATCHING.certification_labels)
CREDIT_LOAN_KIND = dict(_MATCHING.credit_loan_kind_labels)

PROPOSAL_STATUS = {"proposed": "待审核", "approved": "已批准", "rejected": "已驳回", "superseded": "已被新一轮匹配取代"}
ENTRY_STATUS = {
    "published": "已推送待确认",
    "acknowledged": "银行已受理",
    "granted": "已放款",
    "declined": "银行未放款",
    "expired": "已过期",
}
PATENT_TYPE = {"invention": "发明专利", "utility_model": "实用新型", "design": "外观设计"}
LEGAL_STATUS = {"pending": "审查中", "valid": "有效", "lapsed": "已终止", "expired": "已届满", "invalidated": "已无效"}
ALERT_STAGE = {"due": "年费待缴", "grace": "滞纳期内", "lapsed": "已过滞纳期"}
METRIC = {
    "pledge_amount": "知识产权质押融资额",
    "high_value_patents": "高价值发明专利",
    "ip_advantage_enterprises": "知识产权优势企业",
    "ip_standard_enterprises": "贯标企业",
}
DIMENSION = {"legal": "法律", "technical": "技术", "economic": "经济"}
ROLE = {"reviewer": "审核员", "admin": "管理员"}
PROJECTION_STATUS = {
    "projected": "预测中",
    "reached": "已完成",
    "final": "期限已到",
    "unavailable": "数据不足，无法预测",
}

ALL = {
    "cluster": CLUSTER,
    "certification": CERTIFICATION,
    "credit_loan_kind": CREDIT_LOAN_KIND,
    "proposal_status": PROPOSAL_STATUS,
    "entry_status": ENTRY_STATUS,
    "patent_type": PATENT_TYPE,
    "legal_status": LEGAL_STATUS,
    "alert_stage": ALERT_STAGE,
    "metric": METRIC,
    "dimension": DIMENSION,
    "role": ROLE,
    "projection_status": PROJECTION_STATUS,
}


def label(code: object, kind: str) -> str:
    """The Chinese name of ``code``, or the code itself when none is known."""
    if code is None:
        return "—"
    return ALL[kind].get(str(code), str(code))
