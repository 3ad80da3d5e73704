"""Reading CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX files into rows of strings.

The files are untrusted and the work to read them is bounded before it is done (issue 10: a
300 KB workbook declaring 16,384 columns took 93 s and 4 GB; a 150 KB one of empty rows 100 s):
an XLSX's uncompressed size is checked from its zip directory before it is opened, rows are
read only as wide as the header, and rows, columns and cell lengths have limits that a real
county's files are far below (the largest seen had 322,579 rows and 29 columns).
"""

from __future__ import annotations

import csv
import gc
import io
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector. Reading and parsing a file build millions of objects
    that hold no reference cycles: the collector's passes over them find nothing and cost a third
    of the time (100,000 patents read as a Table and parsed: 0.9 + 2.2 s with it, 0.7 + 1.5 s
    without)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class UnreadableFile(ValueError):
    """The file is not a CSV/XLSX table we can read (wrong type, encoding, no header, too big)."""


MAX_ROWS = 1_000_000  # rows read, blank ones included
MAX_COLUMNS = 200  # header cells; every kind has fewer than 40 columns
MAX_CELL_LENGTH = 32_767  # characters in one cell: Excel's own limit
MAX_XLSX_UNCOMPRESSED = 1024 * 1024 * 1024  # bytes inside the workbook's zip, all parts together


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, column -> cell text)


# Rows a chunk holds: the raw cells of a chunk are dropped once it is parsed, so a large file is
# never held as a Python string per cell (100,000 patents × 29 cells took 400 MB that way).
CHUNK_ROWS = 10_000


@dataclass(frozen=True)
class Chunk:
    """Consecutive non-blank rows: their spreadsheet row numbers and cells, each row as wide as the
    header (short rows padded with ""). CSV cells are as read (not yet stripped); ``stripped``
    says whether they are."""

    numbers: list[int]
    rows: Sequence[Sequence[str]]
    stripped: bool

    def columns(self) -> list[tuple[str, ...]]:
        """The cells column by column (one tuple per header column)."""
        return list(zip(*self.rows, strict=True)) if self.rows else []


@dataclass(frozen=True)
class Chunks:
    """A file read lazily: its header, then its rows in chunks (reading errors raise while iterating)."""

    header: list[str]
    chunks: Iterator[Chunk]


def read_table(data: bytes, filename: str) -> Table:
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _read_csv(data)
    if suffix == ".xlsx":
        return _read_xlsx(data)
    raise UnreadableFile(
        f"不支持的文件类型 {suffix or '(none)'!r}，请上传 .csv 或 .xlsx / "
        f"unsupported file type {suffix or '(none)'!r}: use .csv or .xlsx"
    )


def read_path(path: Path | str) -> Table:
    path = Path(path)
    return read_table(path.read_bytes(), path.name)


def read_chunks(data: bytes, filename: str) -> Chunks:
    """The file's header and its rows in chunks of CHUNK_ROWS: what the columnar parser reads."""
    if Path(filename).suffix.lower() == ".csv":
        return _csv_chunks(data)
    table = read_table(data, filename)  # a workbook is small next to openpyxl's own cost
    rows = [[row.get(name, "") for name in table.header] for _, row in table.rows]
    return Chunks(table.header, iter([Chunk([number for number, _ in table.rows], rows, stripped=True)]))


def read_path_chunks(path: Path | str) -> Chunks:
    path = Path(path)
    return read_chunks(path.read_bytes(), path.name)


def _encoding(data: bytes) -> str:
    # utf-8-sig strips a BOM when present. GB18030 is a superset of GBK, which Chinese Excel
    # writes for "CSV" on a Chinese Windows.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)  # the whole file, so a bad byte anywhere picks the next one
            return encoding
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("文件既不是 UTF-8 也不是 GBK/GB18030 编码的文本 / file is neither UTF-8 nor GBK/GB18030 text")


def _check_header(header: list[str]) -> None:
    if len(header) > MAX_COLUMNS:
        raise UnreadableFile(
            f"表头有 {len(header)} 列，最多 {MAX_COLUMNS} 列 / "
            f"the header has {len(header)} columns, at most {MAX_COLUMNS}"
        )
    for name in header:
        if len(name) > 100:
            raise UnreadableFile(
                f"表头单元格有 {len(name)} 个字符，最多 100 个 / a header cell has {len(name)} characters, at most 100"
            )


def _check_row(number: int, header: list[str], cells) -> None:
    if number > MAX_ROWS + 1:
        raise UnreadableFile(
            f"文件超过 {MAX_ROWS:,} 行，请拆分后分批导入 / the file has more than {MAX_ROWS:,} rows: "
            "split it into several imports"
        )
    for i, cell in enumerate(cells):
        if len(cell) > MAX_CELL_LENGTH:
            column = header[i] if i < len(header) else f"#{i + 1}"
            raise UnreadableFile(
                f"第 {number} 行 {column} 列的单元格有 {len(cell):,} 个字符，最多 {MAX_CELL_LENGTH:,} 个 / "
                f"row {number}, column {column}: a cell of {len(cell):,} characters, at most {MAX_CELL_LENGTH:,}"
            )


def _read_csv(data: bytes) -> Table:
    read = _csv_chunks(data)
    header = read.header
    with without_cyclic_gc():
        rows = [
            (number, dict(zip(header, [cell.strip() for cell in cells], strict=True)))
            for chunk in read.chunks
            for number, cells in zip(chunk.numbers, chunk.rows, strict=True)
        ]
    return Table(header, rows)


def _csv_chunks(data: bytes, encoding: str | None = None) -> Chunks:
    reader = _csv_reader(data, encoding or _encoding(data))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise UnreadableFile("文件为空：第一行应为表头 / file is empty: the first row must be the header") from None
    except csv.Error as exc:
        raise _malformed(reader.line_num) from exc
    _check_header(header)
    return Chunks(header, _csv_rows(reader, header, 2))


def _csv_reader(data: bytes, encoding: str):
    # Decoded as read: the file's text is never held whole (a StringIO of it took 4 bytes a character).
    return csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))


def split_csv(data: bytes, share: float) -> tuple[Chunks, Chunks] | None:
    """A CSV file as two parts to be read apart (in two processes): its header and the rows before
    a line end near ``share`` of its bytes, and the rows after it, numbered as in the whole file —
    or None where the file cannot be cut there.

    A row starts after a line end outside quotes, which only reading from the top tells in
    general; before the file's first quote character, though, every line end (CRLF or LF) ends a
    row. So the cut is the last line end before both ``share`` of the file and its first quote,
    and there is none where that leaves no row before it or a lone CR (a line end of its own to
    the csv module) comes before it. A byte LF or quote is the character in UTF-8 and GB18030
    alike (neither is ever part of a multi-byte character)."""
    limit = int(len(data) * share)
    quote = data.find(b'"')
    if quote >= 0:
        limit = min(limit, quote)
    cut = data.rfind(b"\n", 0, limit) + 1
    if cut <= data.find(b"\n") + 1 or data.count(b"\r", 0, cut) != data.count(b"\r\n", 0, cut):
        return None  # before the whole file is decoded: the reader that reads it whole decodes it again
    encoding = _encoding(data)
    head = _csv_chunks(data[:cut], encoding)
    tail = _csv_reader(data[cut:], encoding)
    return head, Chunks(head.header, _csv_rows(tail, head.header, data.count(b"\n", 0, cut) + 1))


def _csv_rows(reader, header: list[str], first: int) -> Iterator[Chunk]:
    """The rows ``reader`` reads on (``first``: the number of the next one)."""
    width = len(header)
    padding = [""] * width
    numbers: list[int] = []
    rows: list[list[str]] = []
    lines_before = first - 1 - reader.line_num  # lines of the file before the part this reader reads
    try:
        for number, cells in enumerate(reader, start=first):
            # One join per row: no cell is longer than the whole row, and the row is blank when
            # it holds nothing but spaces. A long cell or too many rows is then named exactly.
            joined = "".join(cells)
            if number > MAX_ROWS + 1 or len(joined) > MAX_CELL_LENGTH:
                _check_row(number, header, cells)
            if not joined or joined.isspace():
                continue
            if len(cells) != width:
                cells = (cells + padding)[:width]
            numbers.append(number)
            rows.append(cells)
            if len(rows) == CHUNK_ROWS:
                yield Chunk(numbers, rows, stripped=False)
                numbers, rows = [], []
    except csv.Error as exc:  # e.g. a field over the csv module's own limit (131,072 characters)
        raise _malformed(lines_before + reader.line_num) from exc
    if rows:
        yield Chunk(numbers, rows, stripped=False)


def _malformed(line: int) -> UnreadableFile:
    return UnreadableFile(
        f"第 {line} 行附近无法按 CSV 读取：单元格格式有误或超过 {MAX_CELL_LENGTH:,} 个字符 / "
        f"not a readable CSV table near line {line}: a cell is malformed or longer than "
        f"{MAX_CELL_LENGTH:,} characters"
    )


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


def _check_xlsx_size(data: bytes) -> None:
    """Refuse a workbook whose parts unpack to more than MAX_XLSX_UNCOMPRESSED, before reading."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableFile(
            "无法读取的 .xlsx 工作簿（不是 zip 文件）/ not a readable .xlsx workbook: not a zip archive"
        ) from exc
    if size > MAX_XLSX_UNCOMPRESSED:
        raise UnreadableFile(
            f"工作簿解压后 {size / 2**20:,.0f} MB，最多 {MAX_XLSX_UNCOMPRESSED / 2**20:,.0f} MB，请另存为 CSV 或拆分 / "
            f"the workbook unpacks to {size / 2**20:,.0f} MB, at most {MAX_XLSX_UNCOMPRESSED / 2**20:,.0f} MB: "
            "save it as CSV or split it"
        )


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook  # only for workbooks: a CSV run does not load it

    _check_xlsx_size(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a corrupt file
        raise UnreadableFile("无法读取的 .xlsx 工作簿 / not a readable .xlsx workbook") from exc
    try:
        if not workbook.worksheets:
            raise UnreadableFile("工作簿中没有工作表 / the workbook has no worksheet")
        sheet = workbook.worksheets[0]
        # Only as wide as the header: a sheet's declared dimension (up to 16,384 columns) would
        # otherwise pad every row to it.
        first = next(sheet.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS + 1, values_only=True), None)
        if first is None:
            raise UnreadableFile("工作表为空：第一行应为表头 / worksheet is empty: the first row must be the header")
        header = [_cell_text(cell) for cell in first]
        while header and not header[-1]:
            header.pop()
        _check_header(header)
        if not header:
            raise UnreadableFile("工作表为空：第一行应为表头 / worksheet is empty: the first row must be the header")
        values = sheet.iter_rows(min_row=2, max_col=len(header), values_only=True)
        rows = []
        for number, cells in enumerate(values, start=2):
            texts = [_cell_text(cell) for cell in cells]
            _check_row(number, header, texts)
            if not any(texts):
                continue
            rows.append((number, {name: (texts[i] if i < len(texts) else "") for i, name in enumerate(header) if name}))
        return Table([name for name in header if name], rows)
    finally:
        workbook.close()
