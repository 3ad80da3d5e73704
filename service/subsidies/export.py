"""The 免申即享 list as XLSX (or CSV): one row per line, with its basis in Chinese."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from service import vocabulary
from service.statistics.export import export_bytes

LINE_COLUMNS = [
    ("id", "序号"),
    ("rule_name", "政策项目"),
    ("enterprise", "企业名称"),
    ("credit_code", "统一社会信用代码"),
    ("patents", "专利"),
    ("basis", "依据"),
    ("amount_yuan", "金额（元）"),
    ("period", "统计期"),
    ("status", "状态"),
    ("payment_reference", "支付凭证"),
]


def export_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "patents": "；".join(sorted({n for fact in row["facts"] for n in fact["application_nos"]})),
        "basis": "；".join(fact["fact"] for fact in row["facts"]),
        "amount_yuan": (Decimal(row["amount_fen"]) / 100).quantize(Decimal("0.01")),
        "period": f"{row['period_start']}至{row['period_end']}",
        "status": vocabulary.label(row["status"], "subsidy_status"),
    }


def lines_file(rows: list[dict[str, Any]], fmt: str) -> bytes:
    return export_bytes([export_row(r) for r in rows], LINE_COLUMNS, fmt, chinese=True, title="免申即享")
