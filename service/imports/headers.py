"""The Chinese column headers an import file may use instead of the English column names.

A clerk's spreadsheet says 申请号, not application_no. Each kind's columns have one Chinese name
(docs/import-formats.md lists them); a header cell is matched after removing spaces and reading
ASCII brackets as full-width ones, so "IPC 分类号" and "登记金额(元)" match too. The estimate
page labels its form fields with the same names.
"""

from __future__ import annotations

import re

from service.imports.reader import Table

_ZH: dict[str, dict[str, str]] = {
    "banks": {
        "code": "银行代码",
        "name": "银行名称",
        "contact_person": "联系人",
        "contact_phone": "联系电话",
    },
    "products": {
        "bank_code": "银行代码",
        "code": "产品代码",
        "name": "产品名称",
        "min_amount_yuan": "最低金额（元）",
        "max_amount_yuan": "最高金额（元）",
        "pledge_rate": "质押率",
        "interest_rate_min": "最低年利率（%）",
        "interest_rate_max": "最高年利率（%）",
        "term_min_months": "最短期限（月）",
        "term_max_months": "最长期限（月）",
        "eligible_clusters": "适用产业集群",
        "required_certifications": "要求资质",
        "min_patent_grade": "最低专利等级",
        "min_remaining_term_years": "最短剩余保护期（年）",
        "quota_count": "额度笔数",
        "quota_amount_yuan": "额度金额（元）",
        "quota_period_start": "额度期起始日",
        "quota_period_end": "额度期截止日",
        "requires_existing_customer": "仅限存量客户",
        "active": "是否启用",
    },
    "enterprises": {
        "credit_code": "统一社会信用代码",
        "name": "企业名称",
        "industry_cluster": "产业集群",
        "town": "乡镇街道",
        "contact_person": "联系人",
        "contact_phone": "联系电话",
        "employees": "从业人数",
        "high_tech_date": "高新技术企业认定日期",
        "specialized_date": "专精特新认定日期",
        "ip_advantage_date": "知识产权优势企业认定日期",
        "ip_standard_date": "贯标认证日期",
        "need_amount_yuan": "融资需求金额（元）",
        "need_term_months": "融资需求期限（月）",
    },
    "credit-loans": {
        "enterprise_credit_code": "统一社会信用代码",
        "bank_code": "银行代码",
        "kind": "信用贷款类型",
        "grade": "信用等级",
        "limit_yuan": "授信额度（元）",
        "drawn_yuan": "已用额度（元）",
        "start_date": "起始日期",
        "maturity_date": "到期日期",
    },
    "patents": {
        "application_no": "申请号",
        "title": "专利名称",
        "patent_type": "专利类型",
        "ipc": "IPC分类号",
        "filing_date": "申请日",
        "grant_date": "授权公告日",
        "legal_status": "法律状态",
        "lapse_date": "失效日期",
        "owner_credit_code": "专利权人统一社会信用代码",
        "co_owners_consent": "共有人同意质押",
        "fees_paid_through_year": "年费已缴至第几年",
        "late_fee_payments": "滞纳期缴费次数",
        "forward_citations": "被引用次数",
        "backward_citations": "引用文献数",
        "claims": "权利要求项数",
        "independent_claims": "独立权利要求项数",
        "family_size": "同族专利数",
        "granted_abroad": "海外授权",
        "pct": "PCT申请",
        "licenses": "许可次数",
        "transfers": "转让次数",
        "previous_pledges": "历史质押次数",
        "award": "获奖",
        "commercialization": "产业化阶段",
        "annual_revenue_yuan": "相关产品年收入（元）",
        "term_compensation_days": "期限补偿天数",
        "invalidation_pending": "无效宣告审理中",
        "frozen": "已冻结",
        "dual_filing": "一案双申",
    },
    "pledges": {
        "registration_no": "质押登记号",
        "registration_date": "登记日期",
        "enterprise_credit_code": "统一社会信用代码",
        "bank_code": "银行代码",
        "product_code": "产品代码",
        "amount_yuan": "登记金额（元）",
        "loan_start": "贷款起始日",
        "loan_end": "贷款到期日",
        "patents": "质押专利",
        "trademarks": "质押商标",
        "released_date": "注销日期",
    },
}


def chinese_names(kind: str) -> dict[str, str]:
    """{column: Chinese header} of a kind's columns."""
    return _ZH[kind]


_SPACE = re.compile(r"\s+")


def _folded(name: str) -> str:
    return _SPACE.sub("", name).replace("(", "（").replace(")", "）").replace("\uff05", "%")  # full-width percent sign


_BY_HEADER = {kind: {_folded(zh): column for column, zh in names.items()} for kind, names in _ZH.items()}


class HeaderProblem(ValueError):
    """A column named twice (in English and in Chinese)."""

    def __init__(self, column: str, given: str):
        super().__init__(
            f"表头中 {column} 列出现两次（含“{given}”）/ column {column} appears twice in the header (as {given!r})"
        )
        self.column = column


def column_names(kind: str, header: list[str]) -> list[str]:
    """``header`` with each Chinese header replaced by its column name (the same list when every
    header is already a column name); HeaderProblem when a column is named twice that way."""
    names = _BY_HEADER[kind]
    renamed = {name: names[_folded(name)] for name in header if _folded(name) in names}
    renamed = {name: column for name, column in renamed.items() if name != column}
    if not renamed:
        return header
    seen: set[str] = set()
    for name in header:
        column = renamed.get(name, name)
        if column in seen:
            raise HeaderProblem(column, name)
        seen.add(column)
    return [renamed.get(name, name) for name in header]


def with_column_names(kind: str, table: Table) -> Table:
    """``table`` with each Chinese header replaced by its column name; the same table when every
    header is already a column name (the common, large files pay nothing)."""
    header = column_names(kind, table.header)
    if header is table.header:
        return table
    renamed = dict(zip(table.header, header, strict=True))
    rows = [(number, {renamed.get(k, k): v for k, v in row.items()}) for number, row in table.rows]
    return Table(header, rows)
