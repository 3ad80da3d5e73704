"""Parsing an import file column by column: the one parser behind the import, the estimate and
``ipfin valuate``.

A file repeats most of its cells (two patent types, a few thousand dates and a few dozen counts
in 100,000 rows), so each column is parsed as its distinct cells, each by the per-cell parser of
``cells.py`` — every value and every message is the per-cell parser's own — and each row keeps
an index into them (``Coded``). Application numbers, distinct in every row, are checked for the
canonical form ``YYYYTNNNNNNN.C`` with numpy; the others go through the per-cell parser.

Rows are read in chunks (``reader.read_chunks``): a chunk's raw cells are dropped once it is
parsed. Problems are reported as the row-by-row parser reported them: cell problems of a row in
column order; a row without any gets its kind's check and then the duplicate-key test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np

from service.identifiers import CREDIT_ALPHABET, PATENT_TYPE_DIGITS, application_type
from service.imports import cells, reader
from service.imports.headers import HeaderProblem, column_names
from service.imports.kinds import Column, Kind
from service.imports.reader import Chunk, Chunks, Table, without_cyclic_gc
from valuation.portfolio import day_array

Progress = Callable[[int], None]  # called with the number of rows just processed
Parsed = list[tuple[int, dict]]


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行 {self.column} 列 / row {self.row}, column {self.column}: {self.message}"


REQUIRED_EMPTY = "必填项为空 / required value is empty"
# Codes of cells with a problem (their row has a RowError): one that did not parse has no value
# (the row-by-row parser left its key out); an empty required one has its column's default.
FAILED, EMPTY_REQUIRED = 0, 1


@dataclass(frozen=True)
class Coded:
    """A parsed column: values and, per row, the index of its value (at most EMPTY_REQUIRED: the cell
    has a problem)."""

    values: list[Any]
    codes: np.ndarray  # int32

    def tolist(self) -> list[Any]:
        return list(map(self.values.__getitem__, self.codes.tolist()))

    def take(self, rows: np.ndarray) -> Coded:
        return Coded(self.values, self.codes[rows])

    def compact(self, rows: np.ndarray) -> tuple[list[Any], np.ndarray]:
        """The column of ``rows`` as (values, codes) holding only the values those rows use (what
        ``Portfolio.from_columns`` takes: each distinct value converted once)."""
        codes = self.codes[rows]
        used = np.zeros(len(self.values), dtype=bool)
        used[codes] = True
        renumber = np.cumsum(used) - 1
        return [v for v, u in zip(self.values, used.tolist(), strict=True) if u], renumber[codes]

    def array(self, convert: Callable[[Any], Any], dtype: Any) -> np.ndarray:
        """Per row, ``convert`` of its value as a numpy array (converted once per value)."""
        return np.array([convert(value) for value in self.values], dtype=dtype)[self.codes]


class _ColumnParser:
    """One column's cells → codes, each distinct cell parsed once for the whole file."""

    def __init__(self, column: Column):
        self.column = column
        self.values: list[Any] = [None, column.default]  # values[FAILED], values[EMPTY_REQUIRED]
        self.index: dict[str, int] = {}
        self.messages: dict[str, str] = {}  # failed cell → its message

    def codes(self, cells: Sequence[str], stripped: bool) -> np.ndarray:
        # One pass over the cells (most columns meet no new cell after the first chunk), then one
        # over those met for the first time (-1: no code yet).
        n = len(cells)
        codes = np.fromiter(map(self.index.get, cells, repeat(-1, n)), dtype=np.int32, count=n)
        new = np.flatnonzero(codes < 0)
        if new.size:
            unseen = [cells[i] for i in new.tolist()]
            fresh = list(dict.fromkeys(unseen))
            self._add(fresh, fresh if stripped else [cell.strip() for cell in fresh])
            codes[new] = np.fromiter(map(self.index.__getitem__, unseen), dtype=np.int32, count=len(unseen))
        return codes

    def _add(self, cells: list[str], texts: list[str]) -> None:
        """Index cells met for the first time (``texts``: the cells stripped)."""
        index = self.index
        for cell, text in zip(cells, texts, strict=True):
            index[cell] = self._parse(cell, text)

    def _parse(self, cell: str, text: str) -> int:
        """The code of ``text``'s value (appended), or FAILED with the message kept for ``cell``."""
        column = self.column
        if text == "":
            if column.required:
                self.messages[cell] = REQUIRED_EMPTY
                return EMPTY_REQUIRED
            value = column.default
        else:
            try:
                value = column.parse(text)
            except ValueError as exc:
                self.messages[cell] = str(exc)
                return FAILED
        self.values.append(value)
        return len(self.values) - 1

    def constant(self, n: int) -> np.ndarray:
        """Codes of a column the file does not have: every cell empty."""
        return np.full(n, self.codes(("",), stripped=True)[0], dtype=np.int32)


_CHECK_WEIGHTS = np.array((2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5))
_TYPE_DIGIT = np.zeros(10, dtype=bool)
_TYPE_DIGIT[[int(d) for d in PATENT_TYPE_DIGITS]] = True


def _canonical_application_nos(cells: Sequence[str]) -> np.ndarray:
    """Which cells already are valid canonical application numbers ``YYYYTNNNNNNN.C`` (12 ASCII
    digits, a dot, the right check character, a known type digit): normalising returns them as
    they are. The others go through ``cells.application_no``."""
    n = len(cells)
    lengths = np.fromiter(map(len, cells), dtype=np.intp, count=n)
    fourteen = lengths == 14
    if not fourteen.any():
        return fourteen
    chars = np.array([cell for cell, ok in zip(cells, fourteen.tolist(), strict=True) if ok], dtype="<U14")
    points = chars.view(np.uint32).reshape(-1, 14).astype(np.int64)
    digits = points[:, :12] - ord("0")
    ok = ((digits >= 0) & (digits <= 9)).all(axis=1) & (points[:, 12] == ord("."))
    digits = np.where(ok[:, None], digits, 0)
    remainder = (digits @ _CHECK_WEIGHTS) % 11
    check = np.where(remainder == 10, ord("X"), ord("0") + remainder)
    ok &= (points[:, 13] == check) & _TYPE_DIGIT[digits[:, 4]]
    fourteen[fourteen] = ok
    return fourteen


class _ApplicationNoParser(_ColumnParser):
    """Canonical numbers are taken as they are (numpy); the rest by the per-cell parser."""

    def codes(self, cells: Sequence[str], stripped: bool) -> np.ndarray:
        canonical = _canonical_application_nos(cells)
        if not canonical.any():
            return super().codes(cells, stripped)
        codes = np.empty(len(cells), dtype=np.int32)
        taken = np.nonzero(canonical)[0]
        codes[taken] = np.arange(len(self.values), len(self.values) + taken.size)
        self.values.extend(cells[i] for i in taken.tolist())
        rest = np.nonzero(~canonical)[0]
        if rest.size:
            codes[rest] = super().codes([cells[i] for i in rest.tolist()], stripped)
        return codes


# GB 32100-2015: a credit code's check character from the values of its first 17 (their place in
# CREDIT_ALPHABET) weighted by 3^i mod 31, as identifiers.credit_check_char computes it.
_CREDIT_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)])
_CREDIT_VALUE = np.full(128, -1, dtype=np.int64)  # by code point (ASCII); -1: not in the alphabet
_CREDIT_VALUE[[ord(c) for c in CREDIT_ALPHABET]] = np.arange(len(CREDIT_ALPHABET))


def _canonical_credit_codes(texts: Sequence[str]) -> np.ndarray:
    """Which texts already are valid canonical credit codes (18 characters of CREDIT_ALPHABET, the
    right check character): normalising returns them as they are. The others go through
    ``cells.credit_code``."""
    n = len(texts)
    eighteen = np.fromiter(map(len, texts), dtype=np.intp, count=n) == 18
    if not eighteen.any():
        return eighteen
    chars = np.array([text for text, ok in zip(texts, eighteen.tolist(), strict=True) if ok], dtype="<U18")
    points = chars.view(np.uint32).reshape(-1, 18)
    values = _CREDIT_VALUE[np.minimum(points, 127)]  # 127 (DEL) is not in the alphabet either
    ok = (values >= 0).all(axis=1)
    check = (31 - (np.where(ok[:, None], values[:, :17], 0) @ _CREDIT_WEIGHTS) % 31) % 31
    eighteen[eighteen] = ok & (values[:, 17] == check)
    return eighteen


class _CreditCodeParser(_ColumnParser):
    """New cells that are canonical credit codes are taken as they are (numpy), the rest by the
    per-cell parser: a county's patents name their owners' thousands of codes."""

    def _add(self, cells: list[str], texts: list[str]) -> None:
        canonical = _canonical_credit_codes(texts)
        if not canonical.any():
            return super()._add(cells, texts)
        index, values = self.index, self.values
        rest = []
        for cell, text, ok in zip(cells, texts, canonical.tolist(), strict=True):
            if ok:
                index[cell] = len(values)
                values.append(text)
            else:
                rest.append((cell, text))
        if rest:
            super()._add([cell for cell, _ in rest], [text for _, text in rest])


def _parser(column: Column) -> _ColumnParser:
    if column.name == "application_no":
        return _ApplicationNoParser(column)
    if column.parse is cells.credit_code:
        return _CreditCodeParser(column)
    return _ColumnParser(column)


@dataclass(frozen=True)
class ParsedColumns:
    """A file parsed column by column (rows in file order, blank rows left out)."""

    numbers: np.ndarray  # spreadsheet row number of each row
    columns: dict[str, Coded]  # by the column's key (``Column.key``)
    errors: list[RowError]  # in row order; a row's cell problems in column order, as parse_rows says them
    raw: dict[str, list[str]]  # the cells as written of the columns asked for (``keep``), stripped

    @property
    def bad(self) -> np.ndarray:
        """Per row, whether it has a problem."""
        return np.isin(self.numbers, np.fromiter({e.row for e in self.errors}, dtype=np.intp))

    def rows(self) -> Parsed:
        """(row number, column key → value) per row: a cell that did not parse has no key."""
        keys = list(self.columns)
        lists = [column.tolist() for column in self.columns.values()]
        parsed = [dict(zip(keys, values, strict=True)) for values in zip(*lists, strict=True)]
        for position in np.nonzero(self.bad)[0].tolist():
            row = parsed[position]
            for key, column in self.columns.items():
                if column.codes[position] == FAILED:
                    del row[key]
        return list(zip(self.numbers.tolist(), parsed, strict=True))


@dataclass(frozen=True)
class ParsedCells:
    """Rows parsed cell by cell, before the row checks (``Parsing.cells``): what parts of one file
    parsed apart — ``ipfin valuate`` parses the tail of a large file in a second process — are
    joined from (``joined``)."""

    numbers: list[int]
    columns: dict[str, Coded]
    errors: list[RowError]  # cell problems, in row order
    raw: dict[str, list[str]]


@dataclass(frozen=True)
class ParsedChunk:
    """One chunk's rows as parsed, what a writer streams while the next chunk is read: their row
    numbers and, per column key, their codes into the values of the whole parse (which grow as
    later chunks bring new cells). ``clean``: no cell of these rows has a problem (the kind's row
    check and the duplicate-key test come once every chunk is parsed, in ``Parsing.result``);
    ``last``: no chunk follows."""

    numbers: list[int]
    columns: dict[str, Coded]
    clean: bool
    last: bool


class Parsing:
    """A file being parsed column by column, a chunk at a time: iterate to parse the chunks
    (each yielded as a ``ParsedChunk``), ``result()`` to parse what is left and check the rows.

    ``keep``: columns whose cells as written are kept too (``ipfin valuate`` names a row it cannot
    value by its application number as given). ``declared``: the part of ``read.header`` that is the
    file's header, where Chinese names are read and required columns looked for (default: all)."""

    def __init__(
        self,
        kind: Kind,
        read: Chunks,
        progress: Progress | None = None,
        *,
        keep: Iterable[str] = (),
        declared: list[str] | None = None,
    ):
        self.kind = kind
        self._progress = progress
        self._result: ParsedColumns | None = None
        declared = read.header if declared is None else declared  # a prefix of read.header
        self._read = read
        try:
            present = column_names(kind.name, declared)
        except HeaderProblem as exc:
            self._result = ParsedColumns(np.zeros(0, dtype=np.intp), {}, [RowError(1, exc.column, str(exc))], {})
            return
        missing = [
            RowError(1, name, "表头缺少必填列 / required column is missing from the header")
            for name in kind.required
            if name not in present
        ]
        if missing:
            self._result = ParsedColumns(np.zeros(0, dtype=np.intp), {}, missing, {})
            return
        header = present + read.header[len(declared) :]
        self._position = {name: i for i, name in enumerate(header)}  # a name given twice: its last column
        self._parsers = {column.key: _parser(column) for column in kind.columns}
        self._keep = list(keep)
        self._codes: dict[str, list[np.ndarray]] = {key: [] for key in self._parsers}
        self._raw: dict[str, list[str]] = {name: [] for name in self._keep}
        self._numbers: list[int] = []
        self._cell_errors: list[RowError] = []
        self._chunks = self._parse()

    def __iter__(self) -> Iterator[ParsedChunk]:
        return iter(()) if self._result is not None else self._chunks

    def _parse(self) -> Iterator[ParsedChunk]:
        chunks = (chunk for chunk in self._read.chunks if chunk.rows)
        chunk = next(chunks, None)
        while chunk is not None:
            errors = _parse_chunk(chunk, self._parsers, self._position, self._codes)
            self._cell_errors += errors
            for name in self._keep:
                i = self._position.get(name)
                cells = [row[i] for row in chunk.rows] if i is not None else [""] * len(chunk.rows)
                self._raw[name] += cells if chunk.stripped else [cell.strip() for cell in cells]
            self._numbers += chunk.numbers
            if self._progress:
                self._progress(len(chunk.numbers))
            parsed = {key: Coded(parser.values, self._codes[key][-1]) for key, parser in self._parsers.items()}
            following = next(chunks, None)  # read ahead: a writer may start on this chunk if more follow
            yield ParsedChunk(chunk.numbers, parsed, clean=not errors, last=following is None)
            chunk = following

    @property
    def refused(self) -> bool:
        """The header is wrong (``result()`` says how): no row is parsed."""
        return self._result is not None

    def cells(self) -> ParsedCells:
        """Every row parsed cell by cell (the chunks not iterated yet are parsed now), not yet
        checked; the header must be right (not ``refused``)."""
        assert self._result is None, "the header was refused"
        for _ in self._chunks:
            pass
        columns = {
            key: Coded(parser.values, np.concatenate(self._codes[key]) if self._codes[key] else _NO_CODES)
            for key, parser in self._parsers.items()
        }
        return ParsedCells(self._numbers, columns, self._cell_errors, self._raw)

    def result(self) -> ParsedColumns:
        """Every row parsed and checked (the chunks not iterated yet are parsed now)."""
        if self._result is None:
            self._result = joined(self.kind, [self.cells()])
        return self._result


_NO_CODES = np.zeros(0, dtype=np.int32)


def joined(kind: Kind, parts: Sequence[ParsedCells]) -> ParsedColumns:
    """Consecutive parts of one file, parsed apart, as the file parsed whole: each column's parts
    joined (``_joined``), then the row checks over every row."""
    columns = {key: _joined([part.columns[key] for part in parts]) for key in parts[0].columns}
    numbers = np.array([number for part in parts for number in part.numbers], dtype=np.intp)
    cell_errors = [error for part in parts for error in part.errors]
    errors = cell_errors + _row_errors(kind, numbers, columns, {e.row for e in cell_errors})
    errors.sort(key=lambda e: e.row)  # stable: a row's problems keep their order
    raw = {name: [cell for part in parts for cell in part.raw[name]] for name in parts[0].raw}
    return ParsedColumns(numbers, columns, errors, raw)


def _joined(parts: list[Coded]) -> Coded:
    """One column's parts as one: each part's values after the earlier parts' (FAILED and
    EMPTY_REQUIRED keep their codes, the others are shifted past the values before them). A value
    met in two parts is held twice; each row's value is the same."""
    if len(parts) == 1:
        return parts[0]
    first = EMPTY_REQUIRED + 1
    values = list(parts[0].values)
    codes = [parts[0].codes]
    for part in parts[1:]:
        shift = np.arange(len(part.values), dtype=np.int32)
        shift[first:] += len(values) - first
        codes.append(shift[part.codes])
        values += part.values[first:]
    return Coded(values, np.concatenate(codes))


def parse_columns(
    kind: Kind,
    read: Chunks,
    progress: Progress | None = None,
    *,
    keep: Iterable[str] = (),
    declared: list[str] | None = None,
) -> ParsedColumns:
    """Parse and check every row of ``read`` as ``kind`` (see ``Parsing`` for ``keep`` and
    ``declared``)."""
    return Parsing(kind, read, progress, keep=keep, declared=declared).result()


def _parse_chunk(
    chunk: Chunk, parsers: Mapping[str, _ColumnParser], position: Mapping[str, int], codes: dict[str, list]
) -> list[RowError]:
    cells_by_column = chunk.columns()
    n = len(chunk.rows)
    failed: list[tuple[int, int, RowError]] = []  # (row position, column order, problem)
    for order, (key, parser) in enumerate(parsers.items()):
        i = position.get(parser.column.name)
        if i is None:
            column_codes = parser.constant(n)
            cells: Sequence[str] = ("",) * n
        else:
            cells = cells_by_column[i]
            column_codes = parser.codes(cells, chunk.stripped)
        codes[key].append(column_codes)
        for p in np.nonzero(column_codes <= EMPTY_REQUIRED)[0].tolist():
            message = parser.messages[cells[p]]
            failed.append((p, order, RowError(chunk.numbers[p], parser.column.name, message)))
    failed.sort(key=lambda item: item[:2])
    return [error for _, _, error in failed]


def _row_errors(kind: Kind, numbers: np.ndarray, columns: Mapping[str, Coded], bad: set[int]) -> list[RowError]:
    """The kind's check on each row whose cells all parsed, then the duplicate-key test."""
    clean = ~np.isin(numbers, np.fromiter(bad, dtype=np.intp, count=len(bad)))
    screen = _SUSPECTS.get(kind.name)
    checked = clean & screen(columns) if screen else clean
    errors: list[RowError] = []
    keys = list(columns)
    for p in np.nonzero(checked)[0].tolist():
        row = {key: columns[key].values[columns[key].codes[p]] for key in keys}
        errors += [RowError(int(numbers[p]), column, message) for column, message in kind.check(row)]
    rows = np.nonzero(clean)[0]
    key_values = list(zip(*(columns[name].take(rows).tolist() for name in kind.key), strict=True))
    if len(set(key_values)) == len(key_values):  # no key repeated, as in most files
        return errors
    row_numbers = numbers[rows].tolist()
    first = dict(zip(reversed(key_values), reversed(row_numbers), strict=True))  # key → its first row
    key_names = "/".join(kind.key)
    for key, number in zip(key_values, row_numbers, strict=True):
        if first[key] != number:
            errors.append(
                RowError(
                    number,
                    kind.key[-1],
                    f"{key_names} 与第 {first[key]} 行重复 / same {key_names} as row {first[key]}",
                )
            )
    return errors


def _patent_suspects(columns: Mapping[str, Coded]) -> np.ndarray:
    """The rows ``kinds._check_patent`` finds a problem in, by numpy over the parsed columns (it
    then says what the problem is). tests/test_imports_columns.py holds the two to the same rows."""

    def dates(key: str) -> np.ndarray:
        return day_array(columns[key].values)[columns[key].codes]

    def later_not_after(earlier: np.ndarray, later: np.ndarray) -> np.ndarray:
        return ~np.isnat(earlier) & ~np.isnat(later) & ~(later > earlier)

    implied = _implied_types(columns["application_no"])
    patent_type = columns["patent_type"].array(lambda value: value, object)
    filing, grant, lapse = dates("filing_date"), dates("grant_date"), dates("lapse_date")
    status = columns["legal_status"].array(lambda value: value, object)
    granted_status = np.isin(status, ["valid", "lapsed", "expired"])

    def counts(key: str) -> np.ndarray:
        return columns[key].array(lambda value: np.nan if value is None else value, np.float64)

    return (
        ((implied != None) & (implied != patent_type))  # noqa: E711 — elementwise over an object array
        | later_not_after(filing, grant)
        | later_not_after(grant, lapse)
        | (granted_status & np.isnat(grant))
        | ((status == "pending") & ~np.isnat(grant))
        | (counts("independent_claims") > counts("claims"))
    )


_TYPE_OF_DIGIT = np.array([PATENT_TYPE_DIGITS.get(str(d)) for d in range(10)], dtype=object)


def _implied_types(numbers: Coded) -> np.ndarray:
    """Per row, ``application_type`` of its application number (None where there is none): the
    number is canonical once parsed, and a 12-digit one, ``YYYYTNNNNNNN.C``, names its type by
    the digit T (numpy, for the 100,000 distinct numbers of a file); others by the function.
    ``application_type`` reads the part before the first dot: when that dot is the 13th character,
    the first 14 characters say all it reads."""
    values = numbers.values
    texts = np.array([value or "" for value in values], dtype="<U14")
    points = texts.view(np.uint32).reshape(len(values), 14)
    twelve = (points[:, 12] == ord(".")) & (points[:, :12] != ord(".")).all(axis=1)
    twelve &= (points[:, 4] >= ord("0")) & (points[:, 4] <= ord("9"))
    implied = np.full(len(values), None, dtype=object)
    implied[twelve] = _TYPE_OF_DIGIT[points[twelve, 4] - ord("0")]
    for i in np.nonzero(~twelve)[0].tolist():
        implied[i] = application_type(values[i]) if values[i] else None
    return implied[numbers.codes]


_SUSPECTS: dict[str, Callable[[Mapping[str, Coded]], np.ndarray]] = {"patents": _patent_suspects}


def table_chunks(table: Table) -> tuple[Chunks, list[str]]:
    """A Table (rows as dicts, as callers build them) as chunks of cells taken as they are (of
    ``reader.CHUNK_ROWS``, as a file read in chunks, so that its import streams alike), and the
    header its required columns are looked for in (a row may hold a column the header lacks)."""
    header = list(table.header)
    known = set(header)
    extra = {name for _, row in table.rows if not known.issuperset(row) for name in row if name not in known}
    if extra:
        header += sorted(extra)
    cells = itemgetter(*header) if len(header) > 1 else lambda row: tuple(row[name] for name in header)
    try:  # every row has every column: one C call a row
        rows = [cells(row) for _, row in table.rows]
    except KeyError:
        rows = [[row.get(name, "") for name in header] for _, row in table.rows]
    numbers = [number for number, _ in table.rows]
    size = reader.CHUNK_ROWS
    chunks = (
        Chunk(numbers[start : start + size], rows[start : start + size], stripped=True)
        for start in range(0, len(rows), size)
    )
    return Chunks(header, chunks), table.header


def parsing(kind: Kind, table: Table | Chunks, progress: Progress | None = None) -> Parsing:
    """``table`` (or a file read in chunks, as an upload is) to be parsed as ``kind``."""
    if isinstance(table, Chunks):
        return Parsing(kind, table, progress)
    read, declared = table_chunks(table)
    return Parsing(kind, read, progress, declared=declared)


def parse_table(kind: Kind, table: Table | Chunks, progress: Progress | None = None) -> ParsedColumns:
    """Every row of ``table`` (or of a file read in chunks, as an upload is) parsed and checked as
    ``kind``, column by column (the importer writes the columns as they are)."""
    with without_cyclic_gc():
        return parsing(kind, table, progress).result()


def parse_rows(kind: Kind, table: Table, progress: Progress | None = None) -> tuple[Parsed, list[RowError]]:
    """Every row of ``table`` parsed and checked as ``kind``: (row number, column key → value) per
    row (a cell that did not parse has no key) and the problems, in row order."""
    with without_cyclic_gc():
        parsed = parse_table(kind, table, progress)
        if not parsed.columns:  # the header is wrong: nothing parsed
            return [], parsed.errors
        return parsed.rows(), parsed.errors


def parse_record(kind: Kind, number: int, row: Mapping[str, str]) -> tuple[Parsed, list[RowError]]:
    """One row keyed by ``kind``'s own column names (no header to resolve: an estimate's record),
    parsed and checked as ``parse_rows`` parses a table of that one row — each cell by its column's
    parser, the kind's check if every cell parsed — without the column-wise set-up, which costs
    more than the row (tests hold the two equal)."""
    values: dict[str, Any] = {}
    errors = []
    for column in kind.columns:
        text = row.get(column.name, "")
        if text == "":
            if column.required:
                errors.append(RowError(number, column.name, REQUIRED_EMPTY))
            values[column.key] = column.default
            continue
        try:
            values[column.key] = column.parse(text)
        except ValueError as exc:  # the cell's key is left out, as parse_rows leaves it
            errors.append(RowError(number, column.name, str(exc)))
    if not errors:
        errors = [RowError(number, column, message) for column, message in kind.check(values)]
    return [(number, values)], errors


__all__ = [
    "Coded",
    "ParsedCells",
    "ParsedChunk",
    "ParsedColumns",
    "Parsing",
    "RowError",
    "joined",
    "parse_columns",
    "parse_record",
    "parse_rows",
    "parse_table",
    "parsing",
    "table_chunks",
]
