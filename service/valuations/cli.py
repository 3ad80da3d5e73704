"""`ipfin valuate FILE` (no database) and `ipfin revalue` (the stored portfolio)."""

from __future__ import annotations

import csv
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from tqdm import tqdm

from service.imports import KINDS, UnreadableFile, parse_rows, read_path
from service.valuations.records import valuation_record
from valuation import MODEL_VERSION, SCALAR_FIELDS, Portfolio, build_reference, shipped_reference, valuate

# The record's one-value fields (money columns name their unit: yuan, as people read it; the API
# gives integer fen), then its lists flattened to text.
OUTPUT_COLUMNS = [*SCALAR_FIELDS, "high_value_flags", "reasons", "risk_flags"]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_LISTS = {"high_value_flags", "reasons", "risk_flags"}


def _output_rows(rows, results: dict[int, dict], problems: dict[int, list[str]]):
    """The CSV's rows in the file's order (lists of cells in ``OUTPUT_COLUMNS`` order)."""
    flat = {
        "reasons": lambda r: "; ".join(f"{x['code']}: {x['message']}" for x in r["reasons"]),
        "high_value_flags": lambda r: ";".join(r["high_value_flags"]),
        "risk_flags": lambda r: "; ".join(f"{x['code']}: {x['message']}" for x in r["risk_flags"]),
    }
    plain = (str, float, int, date, Decimal)  # str() of these is the cell (bool is handled first)
    for number, raw in rows:
        r = results.get(number)
        if r is None:
            failed = dict.fromkeys(OUTPUT_COLUMNS, "")
            failed["application_no"] = raw.get("application_no", "")
            failed["model_version"] = MODEL_VERSION
            failed["reasons"] = "not valued: " + "; ".join(problems.get(number, ["unreadable row"]))
            yield list(failed.values())
            continue
        cells = []
        for name in OUTPUT_COLUMNS:
            if name in _LISTS:
                cells.append(flat[name](r))
                continue
            value = r.get(name)
            if value is None:
                cells.append("")
            elif value is True or value is False:
                cells.append("true" if value else "false")
            elif isinstance(value, plain):
                cells.append(value if type(value) is str else str(value))
            else:
                cells.append(_text(value))
        yield cells


def valuate_file(
    path: Path, as_of: date, out: Path, loan_term_months: int | None = None, reference: str = "auto"
) -> int:
    """Value a patent import file without a database; rows that cannot be valued say why.

    ``reference``: ``auto`` — the file itself when it is large enough to carry a reference (as a
    county's stored portfolio does), else the shipped one; ``shipped`` — always the shipped one.
    """
    try:
        table = read_path(path)
    except (OSError, UnreadableFile) as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return 2
    steps = tqdm(total=4, desc="valuate", unit="step", disable=None, file=sys.stderr)
    parsed, errors = parse_rows(KINDS["patents"], table)
    steps.update(1)
    if any(e.row == 1 for e in errors):  # a missing column: nothing can be valued
        for error in errors:
            print(error, file=sys.stderr)
        return 1
    problems: dict[int, list[str]] = {}
    for error in errors:
        problems.setdefault(error.row, []).append(f"{error.column}: {error.message}")
    good = [(number, valuation_record(fields)) for number, fields in parsed if number not in problems]
    results: dict[int, dict] = {}
    note = ""
    if good:
        portfolio = Portfolio.from_records([record for _, record in good])
        chosen = build_reference(portfolio, as_of, label="file") if reference == "auto" else shipped_reference()
        steps.update(1)
        model = chosen.survival
        note = f"reference {chosen.name} (survival {model.source}: {model.events} lapses among {model.n} patents)"
        outputs = valuate(portfolio, as_of, reference=chosen, loan_term_months=loan_term_months).records(
            explanation=False  # the CSV has no column for it
        )
        steps.update(1)
        results = {number: output for (number, _), output in zip(good, outputs, strict=True)}
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(OUTPUT_COLUMNS)
        writer.writerows(_output_rows(table.rows, results, problems))
    steps.update(1)
    steps.close()
    print(f"valued {len(results)} of {len(table.rows)} patents as of {as_of}; {note}; wrote {out}")
    if problems:
        print(f"{len(problems)} row(s) could not be valued; see the reasons column", file=sys.stderr)
    return 0


def revalue(engine, as_of: date, requested_by: str) -> int:
    from service.db import transaction
    from service.valuations.service import run_portfolio_valuation, start_run

    with transaction(engine) as session:
        run_id = start_run(session, as_of, requested_by).id
    with tqdm(desc=f"valuation run {run_id}", unit="patent", disable=None, file=sys.stderr) as bar:
        counts = run_portfolio_valuation(engine, run_id, progress=bar.update)
    print(f"run {run_id} as of {as_of}: " + ", ".join(f"{key} {value}" for key, value in counts.items()))
    return 0
