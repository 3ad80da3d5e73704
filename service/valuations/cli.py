"""`ipfin valuate FILE` (no database) and `ipfin revalue` (the stored portfolio).

``valuate`` works column by column, in chunks, from file to file: the file is parsed a chunk of
rows at a time (``service.imports.columns``), the portfolio is built from the parsed columns,
and the CSV is written from the results' columns a slice of patents at a time, so no step holds
a Python object per cell of the whole file (100,000 patents: 16 s and 960 MB that way). The CSV
text is built column by column too: cells formatted a column at a time, quoted where the csv
module would quote them (``csv_cells``), rows joined with commas — the bytes ``csv.writer``
writes (tests/test_cli.py), at a fraction of its time. Both cores work where it pays: a large CSV's
tail is parsed by a forked child while this process loads the valuation (``_parsing``), and the
second half of the rows is written by another (``_write_csv``). ``revalue`` asks the portfolio run
to store the second half of its results from a forked child too (``service.forking`` says why only
the CLI forks).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from service.forking import in_child, two_cores_and_fork
from service.imports.columns import ParsedColumns, Parsing, joined
from service.imports.kinds import KINDS
from service.imports.reader import UnreadableFile, read_chunks, split_csv, without_cyclic_gc
from service.valuations.inputs import valuation_columns
from valuation.portfolio import Portfolio
from valuation.result import SCALAR_FIELDS

if TYPE_CHECKING:
    from valuation import Valuations

# The record's one-value fields (money columns name their unit: yuan, as people read it; the API
# gives integer fen), then its lists flattened to text.
OUTPUT_COLUMNS = [*SCALAR_FIELDS, "high_value_flags", "reasons", "risk_flags"]
_WRITE_ROWS = 10_000  # patents formatted and written at a time


def _text(value) -> str:
    """A value as its CSV cell: "" for None, true/false, a string as it is, else ``str``."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return value if type(value) is str else str(value)


def _findings_text(findings: list) -> str:
    return "; ".join(f"{x['code']}: {x['message']}" for x in findings)


_NONE_CELL = {None: ""}.get  # (value, its str) → "" for None, else the str
_FLAG_CELL = {True: "true", False: "false", None: ""}.__getitem__


def _column_text(name: str, values: list) -> list[str]:
    """A results column as CSV cells: ``_text`` of each value, a column at a time (lists: the
    flags joined by ';', findings as ``code: message``, joined by '; ')."""
    if name == "high_value_flags":
        return list(map(";".join, values))
    if name in ("reasons", "risk_flags"):
        return [_findings_text(findings) if findings else "" for findings in values]
    types = set(map(type, values))
    if types <= {bool, type(None)}:
        return list(map(_FLAG_CELL, values))
    if bool in types:  # bools among other types (1 == True: no lookup table)
        return list(map(_text, values))
    cells = values if types <= {str} else list(map(str, values))  # str of a str, float, int, Decimal or date
    if type(None) in types:  # str(value) is "None" only for None here
        cells = list(map(_NONE_CELL, values, cells))
    return cells


_QUOTED = re.compile('[,"\r\n]').search  # what makes the csv module (excel dialect, QUOTE_MINIMAL) quote a cell


def csv_cells(cells: list[str]) -> list[str]:
    """``cells`` as ``csv.writer`` writes them: quoted, with quotes doubled, where a cell holds a
    comma, a quote or a line break; as they are otherwise (checked on the column at once)."""
    if _QUOTED("".join(cells)) is None:
        return cells
    return [f'"{cell.replace(chr(34), chr(34) * 2)}"' if _QUOTED(cell) else cell for cell in cells]


def _failed_row(application_no: str, problems: list[str]) -> str:
    from valuation import MODEL_VERSION

    cells = dict.fromkeys(OUTPUT_COLUMNS, "")
    cells["application_no"] = application_no
    cells["model_version"] = MODEL_VERSION
    cells["reasons"] = "not valued: " + "; ".join(problems)
    return ",".join(csv_cells(list(cells.values())))


def _output_lines(
    numbers: list[int],
    applications: list[str],
    results: Valuations | None,
    problems: dict[int, list[str]],
    valued: int = 0,
) -> Iterator[list[str]]:
    """The CSV's lines (without their ends) in the file's order (``numbers``: the rows' numbers;
    ``applications``: their application numbers as written; ``valued``: the index in ``results``
    of the first valued one — results are in file order, bad rows left out), a slice at a time: a
    valued patent's results (formatted a column at a time), or why a row was not valued."""
    for start in range(0, len(numbers), _WRITE_ROWS):
        chunk = numbers[start : start + _WRITE_ROWS]
        good = sum(1 for number in chunk if number not in problems) if problems else len(chunk)
        lines: Iterator[str] = iter(())
        if results is not None and good:
            columns = results.columns(np.arange(valued, valued + good), explanation=False)  # not in the CSV
            cells = [csv_cells(_column_text(name, columns.pop(name))) for name in OUTPUT_COLUMNS]
            del columns
            lines = map(",".join, zip(*cells, strict=True))
        valued += good
        if good == len(chunk):
            yield list(lines)
            continue
        yield [
            _failed_row(applications[start + offset], problems[number]) if number in problems else next(lines)
            for offset, number in enumerate(chunk)
        ]


def valuate_file(
    path: Path, as_of: date, out: Path, loan_term_months: int | None = None, reference: str = "auto"
) -> int:
    """Value a patent import file without a database; rows that cannot be valued say why.

    ``reference``: ``auto`` — the file itself when it is large enough to carry a reference (as a
    county's stored portfolio does), else the shipped one; ``shipped`` — always the shipped one.
    """
    with without_cyclic_gc():  # parsing and writing build millions of objects, none in a cycle
        return _valuate_file(path, as_of, out, loan_term_months, reference)


def _valuate_file(path: Path, as_of: date, out: Path, loan_term_months: int | None, reference: str) -> int:
    from tqdm import tqdm

    try:
        with _parsing(path) as parse:
            # The valuation's imports (scipy: about a second) while a child parses the file's tail.
            from valuation import build_reference, shipped_reference, valuate

            parsed = parse()
    except (OSError, UnreadableFile) as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return 2
    steps = tqdm(total=4, desc="valuate", unit="step", disable=None, file=sys.stderr)
    steps.update(1)
    errors = parsed.errors
    if any(e.row == 1 for e in errors):  # a missing column: nothing can be valued
        for error in errors:
            print(error, file=sys.stderr)
        return 1
    problems: dict[int, list[str]] = {}
    for error in errors:
        problems.setdefault(error.row, []).append(f"{error.column}: {error.message}")
    good = np.nonzero(~parsed.bad)[0]
    columns = {key: column.compact(good) for key, column in parsed.columns.items()}
    numbers, applications = parsed.numbers.tolist(), parsed.raw["application_no"]
    del parsed  # the parsed cells: the portfolio holds what is valued
    results = None
    note = ""
    if good.size:
        portfolio = Portfolio.from_columns(valuation_columns(columns), good.size)
        del columns
        chosen = build_reference(portfolio, as_of, label="file") if reference == "auto" else shipped_reference()
        steps.update(1)
        model = chosen.survival
        note = f"reference {chosen.name} (survival {model.source}: {model.events} lapses among {model.n} patents)"
        results = valuate(portfolio, as_of, reference=chosen, loan_term_months=loan_term_months)
        steps.update(1)
    _write_csv(out, numbers, applications, results, problems)
    steps.update(1)
    steps.close()
    print(f"valued {good.size} of {len(numbers)} patents as of {as_of}; {note}; wrote {out}")
    if problems:
        print(f"{len(problems)} row(s) could not be valued; see the reasons column", file=sys.stderr)
    return 0


# Bytes of CSV (about 20,000 patents) from which the rows after HEAD_SHARE of the file are parsed by
# a second process (below, a fork costs more than it saves). This process loads the valuation
# meanwhile, then parses the head.
PARALLEL_BYTES = 3_000_000
HEAD_SHARE = 0.3


@contextmanager
def _parsing(path: Path) -> Iterator[Callable[[], ParsedColumns]]:
    """The patent file at ``path`` being parsed: the block gets a function that finishes the parse
    and returns it. A large CSV is parsed in two parts at once where the machine has two cores and
    ``fork`` (``split_csv`` says where it can be cut): the tail by a forked child, while the block
    goes on (``ipfin valuate`` loads the valuation) and then this process parses the head; the
    parts are joined as the file parsed whole (tests/test_cli.py holds the two equal)."""
    kind, keep = KINDS["patents"], ("application_no",)
    data = path.read_bytes()
    parts = None
    if len(data) >= PARALLEL_BYTES and path.suffix.lower() == ".csv" and two_cores_and_fork():
        parts = split_csv(data, HEAD_SHARE)
    if parts is None:
        yield Parsing(kind, read_chunks(data, path.name), keep=keep).result
        return
    head = Parsing(kind, parts[0], keep=keep)
    if head.refused:  # the header is wrong: nothing is parsed
        yield head.result
        return
    with in_child(lambda: Parsing(kind, parts[1], keep=keep).cells()) as tail:
        yield lambda: joined(kind, [head.cells(), tail()])


# Rows from which the second half is written by a second process (below, a fork costs more than
# it saves).
PARALLEL_ROWS = 20_000


def _write_lines(path: Path, lines: Iterator[list[str]], mode: str = "w", header: bool = False) -> None:
    """Lines to ``path``, each ended with CRLF as the csv module ends them."""
    with path.open(mode, newline="", encoding="utf-8") as handle:
        if header:
            handle.write(",".join(csv_cells(list(OUTPUT_COLUMNS))) + "\r\n")
        for chunk in lines:
            if chunk:
                handle.write("\r\n".join(chunk))
                handle.write("\r\n")


def _write_csv(
    out: Path,
    numbers: list[int],
    applications: list[str],
    results: Valuations | None,
    problems: dict[int, list[str]],
) -> None:
    """The output CSV: a header, then a line per row of the file (``_output_lines``).

    Formatting the results is most of the writing and Python does it on one core, so on a
    machine with two and ``fork``, a forked child writes the second half of the rows into a file
    of its own (the results are shared copy-on-write), appended to the parent's first half: the
    same bytes as one process writes (tested). The child runs no BLAS and no thread pool (the
    Monte Carlo's is shut down by then); single-process writing of 100,000 patents takes about
    2.7 s of CPU here, of which the results' columns (``Valuations.columns``) are 1.2 s.
    """
    if len(numbers) < PARALLEL_ROWS or not two_cores_and_fork():
        _write_lines(out, _output_lines(numbers, applications, results, problems), header=True)
        return
    split = len(numbers) // 2
    valued = split - sum(1 for number in numbers[:split] if number in problems)
    handle, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    os.close(handle)
    second = Path(name)
    try:
        tail = _output_lines(numbers[split:], applications[split:], results, problems, valued)
        with in_child(lambda: _write_lines(second, tail)) as written:
            _write_lines(out, _output_lines(numbers[:split], applications[:split], results, problems), header=True)
            written()
        with out.open("ab") as whole, second.open("rb") as part:
            shutil.copyfileobj(part, whole)
    finally:
        second.unlink(missing_ok=True)


def revalue(engine, as_of: date, requested_by: str) -> int:
    from tqdm import tqdm

    from service.db import transaction
    from service.valuations.service import run_portfolio_valuation, start_run

    with transaction(engine) as session:
        run_id = start_run(session, as_of, requested_by).id
    with tqdm(desc=f"valuation run {run_id}", unit="patent", disable=None, file=sys.stderr) as bar:
        counts = run_portfolio_valuation(engine, run_id, progress=bar.update, fork=True)
    print(f"run {run_id} as of {as_of}: " + ", ".join(f"{key} {value}" for key, value in counts.items()))
    return 0
