"""`ipfin valuate FILE` (no database) and `ipfin revalue` (the stored portfolio).

``valuate`` works column by column, in chunks, from file to file: the file is parsed a chunk of
rows at a time (``service.imports.columns``), the portfolio is built from the parsed columns,
and the CSV is written from the results' columns a slice of patents at a time, so no step holds
a Python object per cell of the whole file (100,000 patents: 16 s and 960 MB that way). The CSV
text is built column by column too: cells formatted a column at a time, quoted where the csv
module would quote them (``csv_cells``), rows joined with commas — the bytes ``csv.writer``
writes (tests/test_cli.py), at a fraction of its time.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import traceback
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np

from service.imports.columns import parse_columns
from service.imports.kinds import KINDS
from service.imports.reader import UnreadableFile, read_path_chunks, without_cyclic_gc
from service.valuations.inputs import valuation_columns
from valuation import MODEL_VERSION, SCALAR_FIELDS, Portfolio, Valuations, build_reference, shipped_reference, valuate

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
        parsed = parse_columns(KINDS["patents"], read_path_chunks(path), keep=("application_no",))
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
    split = len(numbers) // 2
    parallel = len(numbers) >= PARALLEL_ROWS and hasattr(os, "fork") and (os.cpu_count() or 1) > 1
    if not parallel:
        split = len(numbers)
    second = None
    if parallel:
        valued = split - sum(1 for number in numbers[:split] if number in problems)
        handle, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
        os.close(handle)
        second = Path(name)
        sys.stdout.flush()
        sys.stderr.flush()
        child = os.fork()
        if child == 0:  # the child: the second half, then leave at once (no atexit, no flushing twice)
            code = 1
            try:
                _write_lines(second, _output_lines(numbers[split:], applications[split:], results, problems, valued))
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
    try:
        _write_lines(out, _output_lines(numbers[:split], applications[:split], results, problems), header=True)
        if second is not None:
            _, status = os.waitpid(child, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                raise RuntimeError(f"writing the second half of {out} failed (see above)")
            with out.open("ab") as whole, second.open("rb") as part:
                shutil.copyfileobj(part, whole)
    finally:
        if second is not None:
            second.unlink(missing_ok=True)


def revalue(engine, as_of: date, requested_by: str) -> int:
    from tqdm import tqdm

    from service.db import transaction
    from service.valuations.service import run_portfolio_valuation, start_run

    with transaction(engine) as session:
        run_id = start_run(session, as_of, requested_by).id
    # The run builds millions of objects (records, results and their explanations, rows), hardly
    # any in a reference cycle: the cyclic collector's passes over them freed nothing to speak of
    # (the peak memory is the same without them) and cost 3-4 s of 21 s of CPU for 100,000 patents.
    with (
        tqdm(desc=f"valuation run {run_id}", unit="patent", disable=None, file=sys.stderr) as bar,
        without_cyclic_gc(),
    ):
        counts = run_portfolio_valuation(engine, run_id, progress=bar.update)
    print(f"run {run_id} as of {as_of}: " + ", ".join(f"{key} {value}" for key, value in counts.items()))
    return 0
