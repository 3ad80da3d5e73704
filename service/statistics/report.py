"""The quarterly report (季度分析报告) as one XLSX workbook with charts and Chinese headings:
the high-value stock and its monthly series, monitoring by quarter and by cluster, patents per
10,000 employees, target progress, pledge financing by bank and by cluster, and the open alerts.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlmodel import Session

from service import vocabulary
from service.models import Alert, Bank, Patent, Target
from service.statistics import monitoring
from service.statistics import service as statistics
from service.targets.export import PROGRESS_COLUMNS, PROGRESS_VALUES, in_chinese, neutralise, progress_row
from service.targets.service import pledge_registrations, target_progress

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


class BadQuarter(ValueError):
    pass


def quarter_span(text: str) -> tuple[date, date]:
    """'2024Q2' → (2024-04-01, 2024-06-30)."""
    match = _QUARTER.match(text.strip().upper())
    if not match:
        raise BadQuarter(f"{text!r} is not a quarter like 2024Q2")
    year, quarter = int(match.group(1)), int(match.group(2))
    if not 2000 <= year <= 2100:
        raise BadQuarter(f"{text!r}: year out of range")
    first = date(year, 3 * quarter - 2, 1)
    last = (date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)) - timedelta(days=1)
    return first, last


def _yuan(fen: int) -> float:
    return float((Decimal(fen) / 100).quantize(Decimal("0.01")))


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> Worksheet:
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    for column, heading in zip(sheet.columns, header, strict=False):
        sheet.column_dimensions[column[0].column_letter].width = max(10, min(40, len(heading) * 2 + 2))
    return sheet


def _chart(chart, sheet: Worksheet, title: str, data_cols: tuple[int, int], rows: int, anchor: str, y_title: str):
    if rows == 0:  # nothing to draw: an empty range would make a broken chart
        return
    chart.title, chart.y_axis.title = title, y_title
    chart.height, chart.width = 8, 16
    data = Reference(sheet, min_col=data_cols[0], max_col=data_cols[1], min_row=1, max_row=rows + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows + 1))
    sheet.add_chart(chart, anchor)


def report_data(session: Session, quarter: str) -> dict[str, Any]:
    """Every figure of the report, as plain data (the API's JSON and the workbook's source)."""
    first, last = quarter_span(quarter)
    series = statistics.high_value_series(session, date(last.year - 1, 1, 1), last)
    quarters = monitoring.monitoring(session, "quarter", date(last.year - 1, 1, 1), last)
    by_cluster = monitoring.monitoring(session, "quarter", first, last, by="cluster")
    per_employee = monitoring.per_employee(session, last)
    registrations = pledge_registrations(session, first, last)
    by_bank: dict[str, list[int]] = {}
    by_pledge_cluster: dict[str, list[int]] = {}
    for r in registrations:
        for key, table in (
            (r["bank"].name, by_bank),
            (vocabulary.CLUSTER[r["enterprise"].industry_cluster], by_pledge_cluster),
        ):
            entry = table.setdefault(key, [0, 0])
            entry[0] += r["registration"].amount_fen
            entry[1] += 1
    targets = session.scalars(select(Target).order_by(Target.id)).all()
    progress = [progress_row(target_progress(session, t, last)) for t in targets if t.window_start <= last]
    alerts = session.execute(
        select(Alert, Patent.application_no, Bank.name)
        .join(Patent, Patent.id == Alert.patent_id)
        .join(Bank, Bank.id == Alert.bank_id)
        .where(Alert.closed_at.is_(None))
        .order_by(Alert.due_date, Alert.id)
    ).all()
    this_quarter = next((q for q in quarters if q["period"] == quarter.upper()), None)
    return {
        "quarter": quarter.upper(),
        "start": first,
        "end": last,
        "high_value": series[-1],
        "series": series,
        "quarters": quarters,
        "this_quarter": this_quarter,
        "by_cluster": by_cluster,
        "per_employee": per_employee,
        "pledges": {
            "count": len(registrations),
            "amount_fen": sum(r["registration"].amount_fen for r in registrations),
            "by_bank": by_bank,
            "by_cluster": by_pledge_cluster,
        },
        "targets": progress,
        "alerts": [
            {
                "application_no": number,
                "bank": bank,
                "stage": alert.stage,
                "fee_year": alert.fee_year,
                "due_date": alert.due_date,
                "grace_end": alert.grace_end,
                "fee_fen": alert.fee_fen,
                "late_fee_fen": alert.late_fee_fen,
                "message": alert.message,
            }
            for alert, number, bank in alerts
        ],
        "population_source": statistics.population_source(),
        "note": statistics.UNDATED_NOTE,
    }


def _summary(workbook: Workbook, data: dict[str, Any]) -> None:
    hv, quarter, pe, pledges = data["high_value"], data["this_quarter"] or {}, data["per_employee"], data["pledges"]
    rows = [
        ["统计期", f"{data['quarter']}（{data['start']}至{data['end']}）", ""],
        ["有效发明专利（件）", hv["invention_patents"], "期末，本县企业持有"],
        ["高价值发明专利（件）", hv["high_value_patents"], "期末，国家知识产权局统计口径五类条件之一"],
        ["每万人口高价值发明专利拥有量（件）", hv["high_value_per_10k_residents"], f"常住人口{hv['population']:,}人"],
        ["每万人口发明专利拥有量（件）", hv["invention_per_10k_residents"], ""],
        ["本季度发明专利申请量（件）", quarter.get("applications", 0), ""],
        ["本季度发明专利授权量（件）", quarter.get("grants", 0), ""],
        ["本季度发明专利失效量（件）", quarter.get("lapses", 0), ""],
        ["发明专利维持率", quarter.get("maintenance_rate"), "期末有效量 / 累计授权量"],
        ["每万名从业人员发明专利拥有量（件）", pe["per_10k_employees"], f"从业人员{pe['employees']:,}人（现有数据）"],
        ["本季度知识产权质押登记（笔）", pledges["count"], ""],
        ["本季度知识产权质押融资额（元）", _yuan(pledges["amount_fen"]), ""],
        ["未关闭预警（条）", len(data["alerts"]), "年费缴纳预警，报告生成时"],
        ["说明", data["note"], ""],
        ["人口数据来源", data["population_source"], ""],
    ]
    sheet = workbook.active
    sheet.title = "概要"
    sheet.append(["指标", "数值", "说明"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 36, 30
    sheet.column_dimensions["C"].width = 60


def write_report(session: Session, quarter: str) -> bytes:
    """The report workbook's bytes."""
    data = report_data(session, quarter)
    workbook = Workbook()
    _summary(workbook, data)

    series = data["series"]
    sheet = _sheet(
        workbook,
        "高价值发明专利",
        ["月份", "有效发明专利（件）", "高价值发明专利（件）", "每万人口高价值发明专利（件）"],
        [
            [p["month"], p["invention_patents"], p["high_value_patents"], p["high_value_per_10k_residents"]]
            for p in series
        ],
    )
    _chart(LineChart(), sheet, "高价值发明专利拥有量（月末）", (3, 3), len(series), "F2", "件")

    quarters = data["quarters"]
    sheet = _sheet(
        workbook,
        "申请授权维持",
        ["季度", "申请量", "授权量", "失效量", "期末有效量", "累计授权量", "维持率"],
        [
            [
                q["period"],
                q["applications"],
                q["grants"],
                q["lapses"],
                q["in_force_end"],
                q["granted_by_end"],
                q["maintenance_rate"],
            ]
            for q in quarters
        ],
    )
    _chart(BarChart(), sheet, "发明专利申请、授权、失效（季度）", (2, 4), len(quarters), "I2", "件")

    clusters = data["by_cluster"]
    sheet = _sheet(
        workbook,
        "产业集群",
        ["产业集群", "申请量", "授权量", "失效量", "期末有效量", "维持率"],
        [
            [
                vocabulary.CLUSTER.get(c["group"], c["group"]),
                c["applications"],
                c["grants"],
                c["lapses"],
                c["in_force_end"],
                c["maintenance_rate"],
            ]
            for c in clusters
        ],
    )
    _chart(BarChart(), sheet, "各产业集群期末有效发明专利", (5, 5), len(clusters), "H2", "件")

    targets = [in_chinese(t, PROGRESS_VALUES) for t in data["targets"]]
    sheet = _sheet(
        workbook,
        "目标进度",
        [zh for _, zh in PROGRESS_COLUMNS],
        [[float(t[k]) if isinstance(t[k], Decimal) else t[k] for k, _ in PROGRESS_COLUMNS] for t in targets],
    )
    share_col = [k for k, _ in PROGRESS_COLUMNS].index("share") + 1
    bar = BarChart()
    bar.type = "bar"
    _chart(bar, sheet, "目标完成比例", (share_col, share_col), len(targets), f"A{len(targets) + 4}", "完成比例")
    if targets:
        bar.set_categories(Reference(sheet, min_col=2, min_row=2, max_row=len(targets) + 1))  # target names

    pledges = data["pledges"]
    for title, table, anchor_title in (
        ("按银行", pledges["by_bank"], "质押银行"),
        ("按产业集群", pledges["by_cluster"], "产业集群"),
    ):
        rows = sorted(([k, _yuan(v[0]), v[1]] for k, v in table.items()), key=lambda r: -r[1])
        sheet = _sheet(workbook, f"质押融资{title}", [anchor_title, "质押融资额（元）", "登记笔数"], rows)
        _chart(BarChart(), sheet, f"本季度知识产权质押融资额（{title}）", (2, 2), len(rows), "E2", "元")

    _sheet(
        workbook,
        "预警",
        ["专利申请号", "质权银行", "阶段", "年费年度", "应缴日", "滞纳期届满", "年费（元）", "滞纳金（元）", "说明"],
        [
            [
                a["application_no"],
                a["bank"],
                vocabulary.ALERT_STAGE.get(a["stage"], a["stage"]),
                a["fee_year"],
                a["due_date"],
                a["grace_end"],
                _yuan(a["fee_fen"]),
                _yuan(a["late_fee_fen"]),
                a["message"],
            ]
            for a in data["alerts"]
        ],
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
