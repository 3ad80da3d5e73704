"""CSV/XLSX export of the statistics (the target export's writers: formula-safe cells, BOM CSV)."""

from __future__ import annotations

from typing import Any

from service.targets.export import to_csv, to_xlsx
from valuation.rules import HIGH_VALUE_FLAGS

HIGH_VALUE_COLUMNS = [
    ("as_of", "统计日期"),
    ("invention_patents", "有效发明专利（件）"),
    ("high_value_patents", "高价值发明专利（件）"),
    ("strategic_emerging", "战略性新兴产业（件）"),
    ("granted_abroad", "海外授权（件）"),
    ("maintained_10y", "维持10年以上（件）"),
    ("high_pledge_amount", "质押融资额较高（件）"),
    ("award", "获奖（件）"),
    ("population", "常住人口（人）"),
    ("invention_per_10k_residents", "每万人口发明专利拥有量（件）"),
    ("high_value_per_10k_residents", "每万人口高价值发明专利拥有量（件）"),
]
MONITORING_COLUMNS = [
    ("period", "统计期"),
    ("group", "分组"),
    ("patent_type", "专利类型"),
    ("applications", "申请量（件）"),
    ("grants", "授权量（件）"),
    ("lapses", "失效量（件）"),
    ("in_force_end", "期末有效量（件）"),
    ("granted_by_end", "累计授权量（件）"),
    ("maintenance_rate", "维持率"),
]


def monitoring_values(by: str) -> dict[str, str]:
    """The code columns of monitoring rows grouped ``by``, for a Chinese export (towns and age bands
    are not codes)."""
    group = {"cluster": {"group": "cluster"}, "all": {"group": "scope"}}.get(by, {})
    return {"patent_type": "patent_type", **group}


def high_value_rows(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**p, **{flag: p["by_flag"][flag] for flag in HIGH_VALUE_FLAGS}} for p in points]


def export_bytes(
    rows: list[dict[str, Any]], columns, fmt: str, *, chinese: bool, title: str, values: dict[str, str] | None = None
) -> bytes:
    return (
        to_csv(rows, columns, chinese=chinese, values=values)
        if fmt == "csv"
        else to_xlsx(rows, columns, chinese=chinese, title=title, values=values)
    )
