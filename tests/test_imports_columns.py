"""The columnar parser (service/imports/columns.py) says what the row-by-row parser says: the same
values and the same `row N, column C: message` for every cell, on random rows mixing good and bad
cells of every kind, through a Table and through a CSV read in small chunks; its numpy shortcuts
(canonical application numbers, the patent check's screen, money to cents) agree with the
per-value code they stand for; `ipfin valuate` names every row it cannot value."""

from __future__ import annotations

import csv
import random
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
import small_county as county
from hypothesis import given, settings
from hypothesis import strategies as st

from service.cli import main
from service.identifiers import (
    CREDIT_ALPHABET,
    application_check_char,
    application_type,
    normalize_application_no,
    normalize_credit_code,
)
from service.imports import columns as columnar
from service.imports import reader
from service.imports.headers import chinese_names, with_column_names
from service.imports.kinds import KINDS, Kind
from service.imports.reader import Table
from service.valuations.inputs import valuation_record
from valuation import Portfolio
from valuation.engine import _money_list

# --- the reference: the row-by-row parser as it was (one cell at a time, in row order) ----------


def reference_parse_rows(kind: Kind, table: Table):
    try:
        table = with_column_names(kind.name, table)
    except Exception as exc:  # HeaderProblem
        return [], [(1, exc.column, str(exc))]
    errors = [
        (1, name, "表头缺少必填列 / required column is missing from the header")
        for name in kind.required
        if name not in table.header
    ]
    if errors:
        return [], errors
    parsed, seen = [], {}
    for number, raw in table.rows:
        row, row_errors = {}, []
        for column in kind.columns:
            text = raw.get(column.name, "")
            if text == "":
                if column.required:
                    row_errors.append((number, column.name, "必填项为空 / required value is empty"))
                row[column.key] = column.default
                continue
            try:
                row[column.key] = column.parse(text)
            except ValueError as exc:
                row_errors.append((number, column.name, str(exc)))
        if not row_errors:
            row_errors = [(number, column, message) for column, message in kind.check(row)]
            key = tuple(row[name] for name in kind.key)
            if key in seen:
                names = "/".join(kind.key)
                message = f"{names} 与第 {seen[key]} 行重复 / same {names} as row {seen[key]}"
                row_errors.append((number, kind.key[-1], message))
            seen.setdefault(key, number)
        errors += row_errors
        parsed.append((number, row))
    return parsed, errors


def columnar_parse_rows(kind: Kind, table: Table):
    parsed, errors = columnar.parse_rows(kind, table)
    return parsed, [(e.row, e.column, e.message) for e in errors]


# --- cells: what files really hold, good and bad, for every parser ------------------------------

TRICKY = [
    *("", " ", "x", "  5 ", "x" * 41, "x" * 301, "一" * 201, "a\x00b", "\x00"),
    *("2019-03-12", "2019/3/12", "2019.03.12", "2019-3-1", "2019-02-30", "2024-02-29", "2023-02-29"),
    *(
        "19-03-12",
        "\uff12\uff10\uff11\uff19-03-12",
        "1980-01-01",
        "1985-04-01",
        "1985-03-31",
        "2099-01-01",
        "2019-03-12x",
    ),
    *("0", "5", "5.0", "5.5", "-1", "-0", "+3", "00012", "1,000", "1e3", "1E+2", "1e-3", "1e400", "0x10"),
    *("NaN", "inf", "\u0663", "1_000", ".5", "5.", "21", "20", "600", "601", "2147483648", "99999999999"),
    *("12.30", "0.001", "1,234.56", "10000000000000", "10000000000000.01", "1e14", "0.3", "1.01", "100"),
    *("true", "FALSE", "Yes", "t", "n", "是", "否", "maybe"),
    *("invention", "发明", "实用新型", "Invention", "design", "valid", "已终止", "pending", "bogus"),
    *("none", "中国专利金奖", "production", "已量产", "A", "e", "F", "IPLOAN", "ab", "a b", "knowledge_value"),
    *("energy_electronics", "green_consumer;装备制造", "energy_electronics；energy_electronics", "high_tech"),
    *(county.P1, county.P2, county.P1.lower(), "CN " + county.P1.replace(".", ""), county.P1[:-1] + "0"),
    *(county.E1, county.E2, county.E1.lower(), county.E1[:-1] + "0", "short"),
    *(f"{county.P1};{county.P2}", f"{county.P1};{county.P1}", "12345678;G123", "12;12", "X-1"),
]


def valid_rows(kind: str) -> list[dict[str, str]]:
    return county.COUNTY[kind]


def random_table(kind: str, rng: random.Random, n: int, missing: float = 0.05) -> Table:
    """n rows: each a valid row of the kind (or a row that repeats another's key) with some cells
    replaced by tricky ones; columns sometimes missing from a row, text sometimes padded."""
    good = valid_rows(kind)
    header = list(good[0])
    rows = []
    for number in range(2, n + 2):
        row = dict(rng.choice(good))
        if rng.random() < 0.15 and rows:  # a key seen before
            row = dict(rng.choice(rows)[1])
        for name in rng.sample(header, rng.randint(0, 3)):
            row[name] = rng.choice(TRICKY)
        if rng.random() < missing:
            row.pop(rng.choice(header))
        rows.append((number, row))
    return Table(header, rows)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("seed", range(4))
def test_columnar_parse_says_what_the_row_by_row_parser_says(kind, seed):
    table = random_table(kind, random.Random(f"{kind}{seed}"), 400, missing=0.05 if seed % 2 else 0.0)
    expected = reference_parse_rows(KINDS[kind], table)
    assert columnar_parse_rows(KINDS[kind], table) == expected
    assert len(expected[1]) > 50  # the rows do carry problems of many kinds


def test_a_file_with_a_bad_cell_of_every_kind_gets_each_reason_in_chinese_headers_and_small_chunks(
    tmp_path, monkeypatch
):
    """Through the CSV reader (cells as read, stripped by the parser, short rows padded), Chinese
    headers, and chunks of 7 rows (a value first met in a later chunk, a key repeated across
    chunks): every row's reasons are the row-by-row parser's."""
    monkeypatch.setattr(reader, "CHUNK_ROWS", 7)
    rng = random.Random(5)
    table = random_table("patents", rng, 300)
    zh = chinese_names("patents")
    path = tmp_path / "patents.csv"
    with path.open("w", newline="", encoding="gb18030") as handle:
        writer = csv.writer(handle)
        writer.writerow([zh[name] for name in table.header])
        for i, (_, row) in enumerate(table.rows):
            cells = [f" {row.get(name, '')}" if i % 5 == 0 else row.get(name, "") for name in table.header]
            writer.writerow(cells[: len(cells) - (i % 11 == 0) * 3])  # some rows short
            if i % 13 == 0:
                writer.writerow(["", "  "])  # a blank row
    kind = KINDS["patents"]
    expected_parsed, expected_errors = reference_parse_rows(kind, reader.read_path(path))
    parsed = columnar.parse_columns(kind, reader.read_path_chunks(path), keep=("application_no",))
    assert [(e.row, e.column, e.message) for e in parsed.errors] == expected_errors
    assert parsed.rows() == expected_parsed
    messages = {message.split(" / ")[0] for _, _, message in expected_errors}
    assert len(messages) > 40


# --- the numpy shortcuts against what they stand for --------------------------------------------


def _application_numbers(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        digits = f"{rng.randint(1985, 2030)}{rng.choice('0123456789')}{rng.randint(0, 9_999_999):07d}"
        number = f"{digits}.{application_check_char(digits)}"
        mutation = rng.randint(0, 6)
        if mutation == 1:
            number = number[:-1] + rng.choice("0123456789X")
        elif mutation == 2:
            number = number.replace(".", rng.choice([",", "", " ."]))
        elif mutation == 3:
            number = number[:4] + rng.choice(["\u0663", "a", " ", "\uff13"]) + number[5:]
        elif mutation == 4:
            number = number.lower() + rng.choice(["", "\x00", " "])
        out.append(number)
    return out


def test_canonical_application_numbers_are_those_the_normaliser_returns_unchanged():
    numbers = _application_numbers(random.Random(3), 5000)
    canonical = columnar._canonical_application_nos(numbers).tolist()

    def unchanged(number: str) -> bool:
        try:
            return normalize_application_no(number) == number
        except ValueError:
            return False

    assert canonical == [unchanged(number) for number in numbers]
    assert 1000 < sum(canonical) < 4900


def _credit_codes(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        code = county.credit_code(rng.randint(0, 99_999))
        mutation = rng.randint(0, 7)
        if mutation == 1:
            code = code[:-1] + rng.choice(CREDIT_ALPHABET + "IOSVZ")
        elif mutation == 2:
            i = rng.randrange(18)
            code = code[:i] + rng.choice(["I", "a", "\x00", "\u0663", "\uff11", " ", "\x7f", "\u4e00"]) + code[i + 1 :]
        elif mutation == 3:
            code = code.lower()
        elif mutation == 4:
            code = rng.choice([code[:-1], code + "0", f" {code}", ""])
        out.append(code)
    return out


def test_canonical_credit_codes_are_those_the_normaliser_returns_unchanged():
    codes = _credit_codes(random.Random(4), 5000)
    canonical = columnar._canonical_credit_codes(codes).tolist()

    def unchanged(code: str) -> bool:
        try:
            return normalize_credit_code(code) == code
        except ValueError:
            return False

    assert canonical == [unchanged(code) for code in codes]
    assert 1000 < sum(canonical) < 4900


def test_implied_types_are_application_type_of_each_number():
    numbers = [
        n if rng_ok else n[:8] + n[-2:]
        for n, rng_ok in zip(
            _application_numbers(random.Random(6), 2000), [i % 7 != 0 for i in range(2000)], strict=True
        )
    ]
    odd = ["1234.67890123.4", "201510010001", "", "201510010001.3x", "2015\x0010010001.3", "201512345678.\x00"]
    values = [None, None, *numbers, *odd, *(number + "\x00" for number in numbers[:50])]
    coded = columnar.Coded(values, np.arange(len(values), dtype=np.int32)[::-1].copy())
    implied = columnar._implied_types(coded).tolist()
    expected = [application_type(v) if v else None for v in values][::-1]
    assert implied == expected
    assert {"invention", "utility_model", "design", None} <= set(implied)


def test_the_patent_screen_finds_exactly_the_rows_the_patent_check_objects_to():
    kind = KINDS["patents"]
    rng = random.Random(11)
    rows = []
    for number in range(2, 3002):
        row = dict(rng.choice(valid_rows("patents")))
        row["filing_date"] = rng.choice(["2014-01-01", "2016-05-05", ""])
        row["grant_date"] = rng.choice(["2014-01-01", "2016-05-05", "2019-03-01", "2019-03-01", ""])
        row["lapse_date"] = rng.choice(["", "", "", "2016-05-05", "2024-06-01"])
        row["legal_status"] = rng.choice(["valid", "valid", "valid", "pending", "lapsed", "expired", "invalidated"])
        kind_digit = rng.choice([1, 2, 3])
        row["patent_type"] = ("invention", "utility_model", "design")[kind_digit - 1 if rng.random() < 0.9 else 0]
        row["claims"] = rng.choice(["", "3", "10", "10"])
        row["independent_claims"] = rng.choice(["", "1", "1", "3", "10"])
        row["application_no"] = county.application_no(2015, kind_digit, number)
        rows.append((number, row))
    read, declared = columnar.table_chunks(Table(list(rows[0][1]), rows))
    parsed = columnar.parse_columns(kind, read, declared=declared)
    cells_parsed = np.ones(len(parsed.numbers), dtype=bool)
    for column in parsed.columns.values():
        cells_parsed &= column.codes > columnar.EMPTY_REQUIRED
    rows = parsed.rows()
    objected = np.array([bool(kind.check(rows[i][1])) for i in np.nonzero(cells_parsed)[0].tolist()])
    screen = columnar._patent_suspects(parsed.columns)
    assert np.array_equal(screen[cells_parsed], objected)
    assert 300 < objected.sum() < objected.size - 300


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(-1e15, 1e15) | st.sampled_from([np.nan, np.inf, -np.inf])), st.integers(0, 10**12))
def test_money_to_cents_equals_decimal_half_up_rounding(values, cents):
    """Amounts up to 10^15 yuan (the largest a file may state is 10^13), ties and signed zeros."""
    ties = [cents / 100 + 0.005, cents / 1000, -cents / 100, -0.0, 0.0, 1.005, 2.675, 1e15 + 0.125]
    x = np.array(values + ties, dtype=np.float64)
    expected = [
        None if not np.isfinite(v) else Decimal(repr(v)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for v in x.tolist()
    ]
    got = _money_list(x)
    assert [None if g is None else (str(g), g.as_tuple()) for g in got] == [
        None if e is None else (str(e), e.as_tuple()) for e in expected
    ]


def test_the_portfolio_from_parsed_columns_equals_the_one_from_records():
    table = random_table("patents", random.Random(2), 300)
    kind = KINDS["patents"]
    parsed = columnar.parse_columns(kind, columnar.table_chunks(table)[0])
    good = np.nonzero(~parsed.bad)[0]
    from service.valuations.inputs import valuation_columns

    columns = {key: column.compact(good) for key, column in parsed.columns.items()}
    by_columns = Portfolio.from_columns(valuation_columns(columns), good.size)
    rows = parsed.rows()
    by_records = Portfolio.from_records([valuation_record(rows[i][1]) for i in good.tolist()])
    for name, a in vars(by_records).items():
        if isinstance(a, np.ndarray):
            b = getattr(by_columns, name)
            assert a.dtype == b.dtype and a.shape == b.shape, name
            if a.dtype.kind == "M":
                a, b = a.view("i8"), b.view("i8")
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name


# --- the user's path ----------------------------------------------------------------------------


def test_valuate_names_each_row_it_cannot_value_by_its_application_number_in_chinese_headers_too(tmp_path):
    """A Chinese-header file gives the CSV an English-header file gives (a row that cannot be
    valued named by its application number as written; it was left empty before)."""
    table = random_table("patents", random.Random(8), 60)
    zh = chinese_names("patents")
    outputs = []
    for header in ("en", "zh"):
        path = tmp_path / f"{header}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.header if header == "en" else [zh[name] for name in table.header])
            writer.writerows([row.get(name, "") for name in table.header] for _, row in table.rows)
        out = tmp_path / f"{header}.out.csv"
        assert main(["valuate", str(path), "--as-of", "2025-06-30", "--out", str(out), "--reference", "shipped"]) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    with (tmp_path / "zh.out.csv").open(encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    not_valued = [row for row in written if row["reasons"].startswith("not valued: ")]
    assert len(not_valued) > 10
    assert [row["application_no"] for row in written] == [row.get("application_no", "") for _, row in table.rows]


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_table_without_rows_parses_to_nothing(kind):
    table = Table(list(valid_rows(kind)[0]), [])
    assert columnar_parse_rows(KINDS[kind], table) == reference_parse_rows(KINDS[kind], table) == ([], [])


@settings(max_examples=300, deadline=None)
@given(st.text("0123456789", min_size=1, max_size=16))
def test_whole_yuan_read_directly_equal_the_decimal_reading(digits):
    """yuan_to_fen reads plain whole yuan without Decimal; "N.00" takes the Decimal path."""
    from service.imports.cells import yuan_to_fen

    def read(text):
        try:
            return yuan_to_fen(text)
        except ValueError as exc:
            return str(exc).replace(f"{digits}.00", digits)

    assert read(digits) == read(f"{digits}.00")


def test_valuate_written_by_two_processes_is_byte_identical_to_one(tmp_path, monkeypatch):
    """The second half of a large file's rows is formatted by a forked child (two cores); the
    file is the one a single process writes, bad rows included and on both sides of the split."""
    import service.valuations.cli as valuations_cli

    table = random_table("patents", random.Random(4), 120)
    path = tmp_path / "patents.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.header)
        writer.writerows([row.get(name, "") for name in table.header] for _, row in table.rows)
    written = []
    for parallel_rows in (10**9, 10):
        monkeypatch.setattr(valuations_cli, "PARALLEL_ROWS", parallel_rows)
        monkeypatch.setattr(valuations_cli, "_WRITE_ROWS", 7)
        out = tmp_path / f"out{parallel_rows}.csv"
        assert main(["valuate", str(path), "--as-of", "2025-06-30", "--out", str(out)]) == 0
        written.append(out.read_bytes())
    assert written[0] == written[1]
    assert written[0].count(b"not valued: ") > 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out10.csv", "out1000000000.csv", "patents.csv"]


# --- a large CSV parsed in two parts (`ipfin valuate`: the tail by a forked child) --------------


def _csv_bytes(header, rows, encoding="utf-8", line_end="\r\n") -> bytes:
    lines = [",".join(header), *(",".join(row) for row in rows)]
    return (line_end.join(lines) + line_end).encode(encoding)


def _read_rows(read: reader.Chunks) -> list[tuple[int, list[str]]]:
    return [(n, list(cells)) for chunk in read.chunks for n, cells in zip(chunk.numbers, chunk.rows, strict=True)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("line_end", ["\r\n", "\n"])
def test_a_csv_cut_in_two_reads_the_rows_and_numbers_the_whole_file_reads(encoding, line_end, monkeypatch):
    """Blank rows, short rows, Chinese text; the cut anywhere in the file."""
    monkeypatch.setattr(reader, "CHUNK_ROWS", 4)
    rows = [[f"专利{i}", "" if i % 7 == 0 else str(i), "x"][: 3 - (i % 5 == 0)] for i in range(60)]
    for i in (3, 17, 18, 40):
        rows[i] = ["", "  "]
    data = _csv_bytes(["名称", "b", "c"], rows, encoding, line_end)
    whole = reader.read_chunks(data, "f.csv")
    expected = _read_rows(whole)
    cuts = set()
    for share in (0.05, 0.3, 0.5, 0.77, 0.99):
        head, tail = reader.split_csv(data, share)
        assert head.header == tail.header == whole.header
        head_rows, tail_rows = _read_rows(head), _read_rows(tail)
        assert head_rows and tail_rows
        assert head_rows + tail_rows == expected
        cuts.add(tail_rows[0][0])
    assert len(cuts) == 5


def test_a_csv_is_cut_only_before_its_first_quote_and_never_after_a_lone_cr():
    rows = [[str(i), "a"] for i in range(40)]
    rows[20] = ["20", '"a, quoted\r\ncell"']  # a line end inside quotes: not a row's end
    data = _csv_bytes(["n", "t"], rows)
    head, tail = reader.split_csv(data, 0.9)
    tail_rows = _read_rows(tail)
    assert tail_rows[0][0] <= 22  # the row with the quote (row 22) is read by the tail
    assert _read_rows(head) + tail_rows == _read_rows(reader.read_chunks(data, "f.csv"))
    assert [cells for n, cells in tail_rows if n == 22] == [["20", "a, quoted\r\ncell"]]
    assert reader.split_csv(_csv_bytes(['"n"', "t"], rows), 0.5) is None  # a quote in the header
    assert reader.split_csv(b"n,t\r\n1,a\r2,b\r\n3,c\r\n4,d\r\n", 0.9) is None  # a lone CR: a row's end
    assert reader.split_csv(b"n,t\r\n1,a\r\n", 0.5) is None  # nothing before the cut but the header


def test_a_malformed_row_in_the_tail_is_named_by_its_line_in_the_whole_file(monkeypatch):
    monkeypatch.setattr(reader, "MAX_CELL_LENGTH", 10)
    rows = [[str(i), "a"] for i in range(50)]
    rows[40] = ["40", "x" * 11]
    data = _csv_bytes(["n", "t"], rows)
    with pytest.raises(reader.UnreadableFile) as whole:
        _read_rows(reader.read_chunks(data, "f.csv"))
    _, tail = reader.split_csv(data, 0.5)
    with pytest.raises(reader.UnreadableFile) as part:
        _read_rows(tail)
    assert str(part.value) == str(whole.value)
    assert "row 42" in str(whole.value)


def _unquoted_patents_csv(path, seed: int, n: int):
    """A random patents file (bad cells and repeated keys among good rows) without a quote in it,
    so that it can be cut anywhere."""
    table = random_table("patents", random.Random(seed), n)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.header)
        for _, row in table.rows:
            writer.writerow([row.get(name, "").replace(",", "，").replace("\x00", "") for name in table.header])
    assert b'"' not in path.read_bytes()


@pytest.mark.parametrize("share", [0.1, 0.5, 0.8])
def test_parts_parsed_apart_and_joined_are_the_file_parsed_whole(tmp_path, monkeypatch, share):
    """Values, problems (a key repeated across the parts among them), the raw cells kept."""
    monkeypatch.setattr(reader, "CHUNK_ROWS", 7)
    path = tmp_path / "patents.csv"
    _unquoted_patents_csv(path, 9, 300)
    kind, keep = KINDS["patents"], ("application_no",)
    whole = columnar.parse_columns(kind, reader.read_path_chunks(path), keep=keep)
    head, tail = reader.split_csv(path.read_bytes(), share)
    parts = [columnar.Parsing(kind, part, keep=keep).cells() for part in (head, tail)]
    assert all(part.numbers for part in parts)
    parsed = columnar.joined(kind, parts)
    assert parsed.rows() == whole.rows()
    assert parsed.errors == whole.errors
    assert parsed.raw == whole.raw
    assert np.array_equal(parsed.numbers, whole.numbers)
    assert sum("same application_no as row" in e.message for e in whole.errors) > 5
    assert len({e.column for e in whole.errors}) > 10


def test_valuate_parsing_a_file_in_two_processes_writes_what_one_process_writes(tmp_path, monkeypatch, capsys):
    """`ipfin valuate` with the file's tail parsed by a forked child: the same CSV, bad rows on both
    sides of the cut; a tail it cannot read is said as the whole file's reading says it."""
    import service.valuations.cli as valuations_cli

    path = tmp_path / "patents.csv"
    _unquoted_patents_csv(path, 4, 150)
    cut = []
    monkeypatch.setattr(valuations_cli, "two_cores_and_fork", lambda: True)
    monkeypatch.setattr(valuations_cli, "split_csv", lambda *a: cut.append(reader.split_csv(*a)) or cut[-1])
    written = []
    for parallel_bytes in (10**12, 0):
        monkeypatch.setattr(valuations_cli, "PARALLEL_BYTES", parallel_bytes)
        out = tmp_path / f"out{parallel_bytes}.csv"
        assert main(["valuate", str(path), "--as-of", "2025-06-30", "--out", str(out)]) == 0
        written.append(out.read_bytes())
    assert len(cut) == 1 and cut[0] is not None  # the second run did parse in two processes
    assert written[0] == written[1]
    assert written[0].count(b"not valued: ") > 10
    monkeypatch.setattr(reader, "MAX_CELL_LENGTH", 400)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("x" * 401 + "\r\n")
    said = []
    for parallel_bytes in (10**12, 0):
        monkeypatch.setattr(valuations_cli, "PARALLEL_BYTES", parallel_bytes)
        capsys.readouterr()
        assert main(["valuate", str(path), "--as-of", "2025-06-30", "--out", str(tmp_path / "none.csv")]) == 2
        said.append(capsys.readouterr().err)
    assert said[0] == said[1]
    assert "row 152" in said[0]
    assert not (tmp_path / "none.csv").exists()
