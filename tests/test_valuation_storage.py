"""What a portfolio run stores, against an independent valuation of the same records written by
the standard library's JSON: the JSON columns (encoded by msgspec, service/encoding.py) hold the
text `json.dumps` wrote before, the inputs hash is the SHA-256 of its canonical text, and a
non-finite number in a result is stored, or refused, as it was."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from test_encoding import stdlib_text

from service.db import is_sqlite, transaction
from service.demo import build_demo
from service.imports import import_table, read_path
from service.models import SurvivalFit, Valuation, ValuationRun
from service.valuations.records import load_records, set_aside_implausible, valuation_columns
from service.valuations.service import run_portfolio_valuation, start_run, store_valuation_columns
from valuation import Portfolio, Reference, valuate

AS_OF = date(2025, 6, 30)


@pytest.fixture
def county(engine, tmp_path):
    """A demo county of about 300 patents, imported."""
    with transaction(engine) as session:
        for kind, path in build_demo(scale=0.2, seed=7).write_csv(tmp_path).items():
            import_table(session, kind, read_path(path))


def sha256(value) -> str:
    return hashlib.sha256(stdlib_text(value, sort_keys=True).encode("utf-8")).hexdigest()


def test_a_run_stores_the_standard_librarys_json_of_an_independent_valuation(engine, county):
    with transaction(engine) as session:
        run_id = start_run(session, AS_OF, "test").id
    run_portfolio_valuation(engine, run_id)
    with transaction(engine) as session:
        loaded, _ = set_aside_implausible(load_records(session))
        parameters = session.scalar(select(SurvivalFit.parameters))
        stored = session.execute(
            text(
                "SELECT patent_id, inputs_hash, CAST(inputs AS TEXT), CAST(high_value_flags AS TEXT),"
                " CAST(result AS TEXT), score, value_p50_fen FROM valuations ORDER BY patent_id"
            )
        ).all()
    ids = [patent_id for patent_id, _ in loaded]
    records = [record for _, record in loaded]
    expected = valuate(Portfolio.from_records(records), AS_OF, reference=Reference.from_dict(parameters)).records()
    context = sha256(parameters)
    assert len(records) > 250 and [row[0] for row in stored] == ids
    exponents = 0
    for row, record, result in zip(stored, records, expected, strict=True):
        _, digest, inputs, flags, stored_result, score, p50_fen = row
        assert digest == sha256({"record": record, "context": context})
        assert inputs == stdlib_text(record)
        assert flags == stdlib_text(result["high_value_flags"])
        want = stdlib_text(result)
        if stored_result != want:  # a float's exponent only (1e-05 as 0.00001): the same numbers
            exponents += 1
            assert re.search(r"\d[eE][+-]?\d", want) and json.loads(stored_result) == json.loads(want)
        assert score == result["score"]
        assert p50_fen == (None if result["value_p50_yuan"] is None else int(result["value_p50_yuan"] * 100))
    assert exponents < len(stored) / 10


def _one_row(engine, result_change) -> dict[str, list]:
    with transaction(engine) as session:
        (patent_id, record), *_ = load_records(session)
    result = valuate(Portfolio.from_records([record]), AS_OF).records()[0]
    result = copy.deepcopy(result)
    result_change(result)
    return valuation_columns([patent_id], AS_OF, [result], [record], ["0" * 64], None)


def test_a_non_finite_number_in_a_result_is_stored_or_refused_as_before(engine, county):
    """The standard library writes NaN: SQLite keeps it (read back as NaN), PostgreSQL's json
    refuses it. msgspec would write null, a different value: its text is not used then."""

    def nan_value(result):
        result["explanation"][0]["value"] = float("nan")

    columns = _one_row(engine, nan_value)
    if is_sqlite(engine):
        with transaction(engine) as session:
            store_valuation_columns(session, columns)
        with transaction(engine) as session:
            stored = session.scalars(select(Valuation)).one()
        assert math.isnan(stored.result["explanation"][0]["value"])
    else:
        with pytest.raises(DBAPIError), transaction(engine) as session:
            store_valuation_columns(session, columns)
        with pytest.raises(DBAPIError), transaction(engine) as session:  # as through the ORM, as before
            session.add(Valuation(**{name: values[0] for name, values in _plain_row(columns).items()}))


def _plain_row(columns: dict[str, list]) -> dict[str, list]:
    """The columns with the JSON values decoded again: the engine's own serialiser writes them."""
    json_names = ("inputs", "high_value_flags", "result")
    return {name: [json.loads(v) for v in values] if name in json_names else values for name, values in columns.items()}


def test_money_and_dates_read_back_as_text(engine, county):
    def money(result):
        result["value_p50_yuan"] = Decimal("12345.60")

    columns = _one_row(engine, money)
    with transaction(engine) as session:
        store_valuation_columns(session, columns)
    with transaction(engine) as session:
        stored = session.scalars(select(Valuation)).one()
    assert stored.result["value_p50_yuan"] == "12345.60" and stored.value_p50_fen == 1234560
    record = json.loads(columns["inputs"][0])
    assert stored.inputs == record and re.fullmatch(r"\d{4}-\d\d-\d\d", record["filing_date"])


def test_a_run_in_many_chunks_reports_each_stored_and_stops_at_a_failed_one(engine, county, monkeypatch):
    """Chunks are stored by a thread of their own while the next is built: progress is reported
    once a chunk is committed, and a failed store ends the run as failed with only the chunks
    before it kept."""
    import service.valuations.service as valuations

    monkeypatch.setattr(valuations, "_CHUNK", 40)
    reported: list[int] = []
    with transaction(engine) as session:
        run_id = start_run(session, AS_OF, "test").id
    counts = run_portfolio_valuation(engine, run_id, progress=reported.append)
    assert sum(reported) == counts["total"] > 200 and set(reported[:-1]) == {40}
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Valuation)) == counts["total"]

    real = valuations.store_valuation_columns
    calls = []

    def failing(session, columns):
        calls.append(len(columns["patent_id"]))
        if len(calls) == 3:
            raise RuntimeError("disk full")
        real(session, columns)

    monkeypatch.setattr(valuations, "store_valuation_columns", failing)
    reported.clear()
    with transaction(engine) as session:
        session.execute(Valuation.__table__.delete())
        run_id = start_run(session, date(2025, 7, 1), "test").id
    with pytest.raises(RuntimeError, match="disk full"):
        run_portfolio_valuation(engine, run_id, progress=reported.append)
    with transaction(engine) as session:
        run = session.get(ValuationRun, run_id)
        stored = session.scalar(select(func.count()).select_from(Valuation))
    assert run.status == "failed" and "disk full" in run.counts["error"]
    assert reported == [40, 40] and stored == 80 and len(calls) == 3


def test_a_run_asked_to_fork_stores_what_one_process_stores(engine, county, monkeypatch):
    """`ipfin revalue` has a forked child build and store the second half of the chunks, on
    connections of its own: the rows stored are those a run in one process stores, progress and
    the run's counts cover every patent, and the child's failure is the run's."""
    import service.valuations.service as valuations

    monkeypatch.setattr(valuations, "_CHUNK", 40)
    monkeypatch.setattr(valuations, "FORK_ROWS", 0)
    monkeypatch.setattr(valuations, "two_cores_and_fork", lambda: True)
    real_in_child, open_at_fork = valuations.in_child, []  # open_at_fork: none may go into the child

    def in_child(work):
        open_at_fork.append(engine.pool.checkedin() + engine.pool.checkedout())
        return real_in_child(work)

    monkeypatch.setattr(valuations, "in_child", in_child)

    def run(as_of: date, **kwargs) -> tuple[int, list[int]]:
        reported: list[int] = []
        with transaction(engine) as session:
            session.execute(Valuation.__table__.delete())
            run_id = start_run(session, as_of, "test").id
        run_portfolio_valuation(engine, run_id, progress=reported.append, **kwargs)
        return run_id, reported

    def stored() -> list[tuple]:
        with transaction(engine) as session:
            return session.execute(
                text("SELECT patent_id, inputs_hash, CAST(result AS TEXT), score FROM valuations ORDER BY patent_id")
            ).all()

    run(AS_OF)
    alone = stored()
    run_id, reported = run(AS_OF, fork=True)
    assert stored() == alone and len(alone) > 200 and open_at_fork == [0]
    assert sum(reported) == len(alone) and reported[-1] > 40  # the child's chunks, reported when it ends
    with transaction(engine) as session:
        done = session.get(ValuationRun, run_id)
    assert done.status == "done" and done.counts["done"] == done.counts["total"] == len(alone)

    real, parent = valuations.store_valuation_columns, os.getpid()

    def failing(session, columns):
        if os.getpid() != parent:  # in the child only
            raise RuntimeError("disk full")
        real(session, columns)

    monkeypatch.setattr(valuations, "store_valuation_columns", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        run(date(2025, 7, 1), fork=True)
    with transaction(engine) as session:
        failed = session.scalars(select(ValuationRun).order_by(ValuationRun.id.desc())).first()
    assert failed.status == "failed" and "disk full" in failed.counts["error"]
