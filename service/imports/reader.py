"""Reading CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX files into rows of strings."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook


class UnreadableFile(ValueError):
    """The file is not a CSV/XLSX table we can read (wrong type, encoding, no header)."""


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, column -> cell text)


def read_table(data: bytes, filename: str) -> Table:
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _read_csv(data)
    if suffix == ".xlsx":
        return _read_xlsx(data)
    raise UnreadableFile(f"unsupported file type {suffix or '(none)'!r}: use .csv or .xlsx")


def read_path(path: Path | str) -> Table:
    path = Path(path)
    return read_table(path.read_bytes(), path.name)


def _decode(data: bytes) -> str:
    # utf-8-sig strips a BOM when present. GB18030 is a superset of GBK, which Chinese Excel
    # writes for "CSV" on a Chinese Windows.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("file is neither UTF-8 nor GBK/GB18030 text")


def _read_csv(data: bytes) -> Table:
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise UnreadableFile("file is empty: the first row must be the header") from None
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((number, {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}))
    return Table(header, rows)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value).strip()


def _read_xlsx(data: bytes) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a corrupt file
        raise UnreadableFile(f"not a readable .xlsx workbook: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        try:
            header = [_cell_text(cell) for cell in next(values)]
        except StopIteration:
            raise UnreadableFile("worksheet is empty: the first row must be the header") from None
        rows = []
        for number, cells in enumerate(values, start=2):
            texts = [_cell_text(cell) for cell in cells]
            if not any(texts):
                continue
            rows.append((number, {name: (texts[i] if i < len(texts) else "") for i, name in enumerate(header) if name}))
        return Table([name for name in header if name], rows)
    finally:
        workbook.close()
