"""The command line itself: a light parser, keys listed without their secret, import kinds checked."""

from __future__ import annotations

import subprocess
import sys

from service.cli import main

HEAVY = ("numpy", "scipy", "sqlalchemy", "sqlmodel", "litestar", "valuation", "matching", "tqdm")


def test_building_the_parser_imports_nothing_heavy():
    code = (
        "import sys; from service.cli import build_parser; build_parser(); "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_the_file_parser_loads_neither_scipy_nor_the_engines():
    """`ipfin valuate` forks the child that parses a large file's tail before it loads the
    valuation: the parser's own imports stay light (valuation and matching load their modules
    on first use), so the child starts at once."""
    code = (
        "import sys; import service.imports.columns, service.valuations.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy' or m in "
        "('valuation.engine', 'matching.api', 'matching.solver')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_work_in_a_forked_child_gives_its_result_or_raises_its_error():
    """What `ipfin valuate` and `ipfin revalue` hand a forked child (the tail's parse, the second
    half's writing or storing)."""
    import time

    import pytest

    from service.forking import in_child

    with in_child(lambda: {"rows": list(range(100_000))}) as result:  # more than a pipe holds
        assert result() == {"rows": list(range(100_000))}
    with in_child(lambda: int("x")) as result, pytest.raises(ValueError, match="invalid literal"):
        result()

    def unpicklable():
        raise ValueError(lambda: None)

    with in_child(unpicklable) as result, pytest.raises(RuntimeError, match="ValueError"):
        result()
    started = time.monotonic()
    with pytest.raises(KeyError), in_child(lambda: time.sleep(30)):
        raise KeyError  # the block fails before waiting: the child is killed, not waited for
    assert time.monotonic() - started < 10


def test_keys_list_shows_every_key_but_never_its_secret(engine, database_url, monkeypatch, capsys):
    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    assert main(["keys", "create", "reviewer", "审核员 张三"]) == 0
    issued = capsys.readouterr().out.strip()
    prefix = issued.removeprefix("ipf_").split("_")[0]
    assert main(["keys", "create", "admin", "运维"]) == 0
    capsys.readouterr()
    assert main(["keys", "revoke", prefix]) == 0
    capsys.readouterr()
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    lines = {line.split()[0]: line for line in listing.splitlines()}
    assert prefix in lines and "reviewer" in lines[prefix] and "revoked" in lines[prefix]
    assert "审核员 张三" in lines[prefix]
    assert any("admin" in line and "active" in line for line in lines.values())
    assert issued not in listing


def test_an_unknown_import_kind_is_refused_before_touching_the_database(tmp_path, capsys):
    assert main(["import", "trademarks", str(tmp_path / "none.csv")]) == 2
    assert "unknown kind 'trademarks'" in capsys.readouterr().err


def test_a_taken_port_is_said_before_anything_else(tmp_path):
    import os
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        database = tmp_path / "never.sqlite3"
        env = os.environ | {
            "IPFIN_DATABASE_URL": f"sqlite:///{database}",
            "IPFIN_HOST": "127.0.0.1",
            "IPFIN_PORT": str(port),
        }
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", "serve"], env=env, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 4
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and done.stdout == ""
    assert not database.exists()  # nothing was migrated or loaded


# Cells the csv module quotes (a comma, a quote, CR, LF) or not (spaces, semicolons, tabs, Chinese).
TRICKY_CELLS = [
    "",
    " ",
    "a,b",
    'say "hi"',
    '"',
    '""',
    "line\nbreak",
    "cr\rhere",
    "\r\n",
    "tab\there",
    "；，。",
    "a;b",
    "-0.0",
]


def test_csv_cells_quote_as_the_csv_module_does():
    """``csv_cells`` + ',' + CRLF is what ``csv.writer`` writes, cell by cell and for whole rows
    (random rows of tricky cells, each column clean or not)."""
    import csv
    import io
    import random

    from service.valuations.cli import csv_cells

    rng = random.Random(3)
    rows = [[rng.choice(TRICKY_CELLS) + rng.choice(["", "x", "值"]) for _ in range(6)] for _ in range(400)]
    rows += [["plain", "1.5", "2025-06-30", "", "true", "yuan"]] * 3
    expected = io.StringIO(newline="")
    csv.writer(expected).writerows(rows)
    columns = [csv_cells([row[j] for row in rows]) for j in range(6)]
    assert "".join(",".join(line) + "\r\n" for line in zip(*columns, strict=True)) == expected.getvalue()
    assert csv_cells(["a", "b"]) == ["a", "b"]


def test_valuate_writes_what_csv_writer_writes_of_each_value(tmp_path, monkeypatch):
    """The column-at-a-time writer (in one process and split with a forked child, bad rows
    among the valued ones) writes the bytes ``csv.writer`` writes of each value's ``_text``, one
    row at a time from ``Valuations.records``."""
    import csv
    from datetime import date

    import numpy as np

    import service.valuations.cli as valuations_cli
    from valuation import MODEL_VERSION, Portfolio, valuate
    from valuation.simulation import simulate_portfolio

    as_of = date(2025, 6, 30)
    portfolio = Portfolio.from_records(simulate_portfolio(90, as_of, seed=5).records)
    results = valuate(portfolio, as_of)
    numbers = list(range(2, 2 + 100))
    bad = {
        numbers[i]: [f"filing_date: bad, row {i}", 'a "quoted", comma'] for i in (0, 13, 14, 50, 99, 60, 70, 80, 90, 95)
    }
    applications = [f"CN{i}" for i in range(100)]
    records = iter(results.records(explanation=False))

    def cells(record):
        return [
            ";".join(record[name])
            if name == "high_value_flags"
            else valuations_cli._findings_text(record[name])
            if name in ("reasons", "risk_flags")
            else valuations_cli._text(record[name])
            for name in valuations_cli.OUTPUT_COLUMNS
        ]

    expected_path = tmp_path / "expected.csv"
    with expected_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(valuations_cli.OUTPUT_COLUMNS)
        for i, number in enumerate(numbers):
            if number in bad:
                row = dict.fromkeys(valuations_cli.OUTPUT_COLUMNS, "")
                row |= {"application_no": applications[i], "model_version": MODEL_VERSION}
                row["reasons"] = "not valued: " + "; ".join(bad[number])
                writer.writerow(row.values())
            else:
                writer.writerow(cells(next(records)))
    assert next(records, None) is None
    expected = expected_path.read_bytes()
    assert expected.count(b'""quoted""') == len(bad)
    monkeypatch.setattr(valuations_cli, "_WRITE_ROWS", 7)
    for parallel_rows in (10**9, 10):
        monkeypatch.setattr(valuations_cli, "PARALLEL_ROWS", parallel_rows)
        out = tmp_path / f"out{parallel_rows}.csv"
        valuations_cli._write_csv(out, numbers, applications, results, bad)
        assert out.read_bytes() == expected, parallel_rows
    assert np.isfinite(results.value_p50).any()  # money columns were written, not only blanks
