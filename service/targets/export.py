"""CSV and XLSX export of target progress and of the registrations behind it.

Text cells starting with = + - @ (or a tab/CR) are prefixed with an apostrophe so a spreadsheet
never runs them as formulas (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from service.targets.service import pledge_registrations, pledged_ip, target_progress, window_end
from service.vocabulary import label

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

PROGRESS_COLUMNS = [
    ("code", "目标代码"),
    ("name", "目标名称"),
    ("metric", "指标"),
    ("unit", "单位"),
    ("figure", "目标值"),
    ("achieved", "已完成"),
    ("share", "完成比例"),
    ("window_start", "起始日期"),
    ("deadline", "截止日期"),
    ("as_of", "统计日期"),
    ("days_left", "剩余天数"),
    ("probability", "按期完成概率"),
    ("expected_total", "预计截止完成值"),
    ("status", "状态"),
]
REGISTRATION_COLUMNS = [
    ("registration_no", "质押登记号"),
    ("registration_date", "登记日期"),
    ("enterprise", "出质企业"),
    ("credit_code", "统一社会信用代码"),
    ("industry_cluster", "产业集群"),
    ("bank", "质权银行"),
    ("product", "产品"),
    ("ip_type", "知识产权类型"),
    ("pledged_ip", "质押知识产权"),
    ("amount_yuan", "登记金额（元）"),
    ("loan_start", "贷款起始日"),
    ("loan_end", "贷款到期日"),
    ("released_date", "注销日期"),
]


# The columns whose values are codes, and the table of service.vocabulary naming them: a Chinese
# export (lang=zh) writes the names, an English one the codes.
PROGRESS_VALUES = {"metric": "metric", "unit": "unit", "status": "projection_status"}
REGISTRATION_VALUES = {"industry_cluster": "cluster", "ip_type": "ip_type"}


def in_chinese(row: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """``row`` with each code column of ``values`` replaced by its Chinese name (None stays empty)."""
    return {**row, **{key: label(row[key], kind) for key, kind in values.items() if row.get(key) is not None}}


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def progress_row(progress: dict[str, Any]) -> dict[str, Any]:
    target, projection = progress["target"], progress["projection"] or {}
    money = progress["unit"] == "fen"
    scale = _yuan if money else (lambda v: v)
    expected = projection.get("expected_total")
    return {
        "code": target["code"],
        "name": target["name"],
        "metric": target["metric"],
        "unit": "yuan" if money else "count",
        "figure": scale(progress["figure"]),
        "achieved": scale(progress["achieved"]),
        "share": round(progress["share"], 4),
        "window_start": target["window_start"],
        "deadline": target["deadline"],
        "as_of": progress["as_of"],
        "days_left": progress["days_left"],
        "probability": projection.get("probability"),
        "expected_total": None if expected is None else scale(round(expected)),
        "status": projection.get("status", "stock"),
    }


def registration_row(row: dict[str, Any], pledged: dict[int, list[str]] | None = None) -> dict[str, Any]:
    reg, enterprise, bank, product = row["registration"], row["enterprise"], row["bank"], row["product"]
    return {
        "registration_no": reg.registration_no,
        "registration_date": reg.registration_date,
        "enterprise": enterprise.name,
        "credit_code": enterprise.credit_code,
        "industry_cluster": enterprise.industry_cluster,
        "bank": bank.name,
        "product": product.name if product else "",
        "ip_type": reg.ip_type,
        "pledged_ip": ";".join((pledged or {}).get(reg.id, [])),
        "amount_yuan": _yuan(reg.amount_fen),
        "loan_start": reg.loan_start,
        "loan_end": reg.loan_end,
        "released_date": reg.released_date,
    }


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    return neutralise(value) if isinstance(value, str) else str(value)


def _header(columns, chinese: bool) -> list[str]:
    return [zh if chinese else en for en, zh in columns]


def to_csv(
    rows: list[dict[str, Any]], columns, *, chinese: bool = False, values: Mapping[str, str] | None = None
) -> bytes:
    if chinese and values:
        rows = [in_chinese(row, values) for row in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header(columns, chinese))
    for row in rows:
        writer.writerow([_csv_cell(row[key]) for key, _ in columns])
    # A BOM so that Excel on a Chinese Windows opens UTF-8 correctly.
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(
    rows: list[dict[str, Any]],
    columns,
    *,
    chinese: bool = False,
    title: str = "export",
    values: Mapping[str, str] | None = None,
) -> bytes:
    if chinese and values:
        rows = [in_chinese(row, values) for row in rows]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(_header(columns, chinese))
    for row in rows:
        cells = []
        for key, _ in columns:
            value = row[key]
            cells.append(float(value) if isinstance(value, Decimal) else neutralise(value))
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class NothingToExport(ValueError):
    """Registrations were asked of targets none of which — or more than one of which — is a
    pledge_amount target (choosing one silently would export the wrong window)."""


def export_file(session, targets, as_of, *, what: str, fmt: str, chinese: bool) -> tuple[bytes, int]:
    """The export file's bytes and its row count: one progress row per target, or the
    registrations behind the one pledge_amount target among `targets`."""
    if what == "progress":
        rows = [progress_row(target_progress(session, t, as_of)) for t in targets]
        columns, values = PROGRESS_COLUMNS, PROGRESS_VALUES
    else:
        pledges = [t for t in targets if t.metric == "pledge_amount"]
        if not pledges:
            raise NothingToExport("only a pledge_amount target has registrations")
        if len(pledges) > 1:
            codes = ", ".join(t.code for t in pledges)
            raise NothingToExport(f"{len(pledges)} pledge_amount targets ({codes}): name one with --code")
        pledge = pledges[0]
        registrations = pledge_registrations(session, pledge.window_start, window_end(pledge, as_of))
        pledged = pledged_ip(session, [r["registration"].id for r in registrations])
        rows = [registration_row(r, pledged) for r in registrations]
        columns, values = REGISTRATION_COLUMNS, REGISTRATION_VALUES
    data = (
        to_csv(rows, columns, chinese=chinese, values=values)
        if fmt == "csv"
        else to_xlsx(rows, columns, chinese=chinese, title=what, values=values)
    )
    return data, len(rows)
