"""专利估值 for enterprises: records typed into the form or uploaded as CSV/XLSX, read by the patent
import file's rules (service.imports) and valued by the valuation service (nothing stored)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from service import vocabulary
from service.imports import KINDS, Table, UnreadableFile, parse_rows, read_table
from service.imports.headers import chinese_names
from service.valuations.records import valuation_record
from service.valuations.service import estimate

MAX_RECORDS = 1000  # as the estimate API (EstimateRequest.patents)

# The form's fields: (import column, input kind, choices or hint); each is labelled with its
# Chinese import header (an uploaded file may use the same names as its header).
_FORM: list[tuple[str, str, Any]] = [
    ("application_no", "text", "如 201710601862.3"),
    ("title", "text", ""),
    ("patent_type", "select", list(vocabulary.PATENT_TYPE.items())),
    ("legal_status", "select", sorted(vocabulary.LEGAL_STATUS.items(), key=lambda item: item[0] != "valid")),
    ("filing_date", "date", ""),
    ("grant_date", "date", "已授权专利必填"),
    ("ipc", "text", "如 H01M 10/052"),
    ("fees_paid_through_year", "number", "0–20"),
    ("claims", "number", ""),
    ("independent_claims", "number", ""),
    ("forward_citations", "number", ""),
    ("family_size", "number", "至少 1"),
    ("commercialization", "select", [("", "未填写"), *vocabulary.COMMERCIALIZATION.items()]),
    ("annual_revenue_yuan", "number", "用于收益法估值；不填则只给评分"),
]
LABELS = chinese_names("patents")
FIELDS: list[tuple[str, str, str, Any]] = [(name, LABELS[name], kind, extra) for name, kind, extra in _FORM]


class EstimateProblem(Exception):
    """What is wrong with the submitted records, as lines a person can act on."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def table_from_form(form: dict[str, Any]) -> Table:
    row = {name: str(form.get(name) or "").strip()[:200] for name, *_ in FIELDS}
    row = {name: value for name, value in row.items() if value}
    return Table(list(row), [(2, row)])


def table_from_upload(data: bytes, filename: str) -> Table:
    try:
        table = read_table(data, filename)
    except UnreadableFile as exc:
        raise EstimateProblem([f"文件无法读取：{exc}"]) from None
    if not table.rows:
        raise EstimateProblem(["文件中没有专利记录（第一行应为列名，从第二行起每行一件专利）。"])
    if len(table.rows) > MAX_RECORDS:
        raise EstimateProblem([f"一次最多估值 {MAX_RECORDS} 件专利，文件中有 {len(table.rows)} 件。"])
    return table


def value_table(session: Session, table: Table, as_of: date) -> list[dict[str, Any]]:
    parsed, errors = parse_rows(KINDS["patents"], table)
    if errors:
        raise EstimateProblem(
            [f"第 {e.row} 行「{LABELS.get(e.column, e.column)}」：{e.message}" for e in errors[:50]]
            + ([f"……共 {len(errors)} 处问题"] if len(errors) > 50 else [])
        )
    records = [valuation_record(fields) for _, fields in parsed]
    _, results = estimate(session, records, as_of, None)
    return results
