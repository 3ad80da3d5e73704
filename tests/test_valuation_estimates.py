"""Estimates through the API equal the full engine (`valuate`) on the same record against the same
stored reference — alone, and when concurrent requests are valued together in one engine call
(service/valuations/batching.py) — for several kinds of patents; and the batching itself."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
import pytest
import small_county as county

from service.db import transaction
from service.encoding import jsonable
from service.imports import KINDS, Table, parse_rows
from service.models import SurvivalFit
from service.valuations.batching import EstimateBatches
from service.valuations.records import valuation_record, with_fen
from valuation import Portfolio, Reference, build_reference, valuate
from valuation.simulation import simulate_portfolio

AS_OF = date(2026, 11, 1)


def _record(serial: int, kind: str = "invention", **overrides) -> dict[str, str]:
    digit = {"invention": 1, "utility_model": 2, "design": 3}[kind]
    return county._patent(county.application_no(2016, digit, serial), kind, county.E1, **overrides)


# Kinds of patents an estimate meets: each reaches a different part of the engine (money or none,
# pending grant probability, lapse, fee grace, expiry, design fees, strategic keywords, pledge rules).
RECORDS = {
    "invention with revenue": _record(1, title="一种锂离子电池正极材料的制备方法", granted_abroad="true"),
    "utility model, fee overdue": _record(
        2,
        "utility_model",
        ipc="A23N 1/00",
        filing_date="2020-08-20",  # fee year 7 due 2026-08-20: in its grace period on AS_OF
        grant_date="2021-05-01",
        fees_paid_through_year="6",
        annual_revenue_yuan="800000",
    ),
    "pending invention": _record(
        3,
        filing_date="2024-02-10",
        grant_date="",
        legal_status="pending",
        fees_paid_through_year="",
        ipc="G06V 10/82",
        title="基于深度学习的图像识别方法",
    ),
    "lapsed invention": _record(
        4, filing_date="2012-05-05", grant_date="2015-01-09", legal_status="lapsed", lapse_date="2022-05-05"
    ),
    "no revenue, frozen": _record(5, ipc="B23Q 5/10", annual_revenue_yuan="", frozen="true", licenses="2"),
    "expired utility model": _record(
        6, "utility_model", filing_date="2012-03-01", grant_date="2012-12-01", fees_paid_through_year="10"
    ),
    "design": _record(
        7, "design", ipc="", filing_date="2020-06-01", grant_date="2021-01-15", fees_paid_through_year="6"
    ),
}


@pytest.fixture(scope="module")
def fitted_reference() -> dict:
    """A reference fitted on a simulated county (enough lapses to fit), as a SurvivalFit stores it."""
    portfolio = Portfolio.from_records(simulate_portfolio(1500, AS_OF, seed=42).records)
    reference = build_reference(portfolio, AS_OF, label="county")
    assert reference.survival.source == "fitted"
    return reference.to_dict()


@pytest.fixture
def stored(engine, tmp_path, fitted_reference) -> dict:
    county.load_county(engine, tmp_path)
    with transaction(engine) as session:
        session.add(
            SurvivalFit(
                model_version="test",
                source="fitted",
                as_of=AS_OF,
                n_patents=1500,
                n_events=0,
                parameters=fitted_reference,
            )
        )
    return fitted_reference


def engine_result(record: dict[str, str], reference: dict) -> dict:
    """`valuate` on the record alone, as the API shows it (JSON, with the fen companions)."""
    parsed, errors = parse_rows(KINDS["patents"], Table(list(record), [(2, record)]))
    assert not errors
    portfolio = Portfolio.from_records([valuation_record(parsed[0][1])])
    result = valuate(portfolio, AS_OF, reference=Reference.from_dict(reference)).records()[0]
    return jsonable(with_fen(result))


def assert_same(got, want, where="result"):
    """Equal, floats to 1e-9 (relative and absolute)."""
    if isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9), where
    elif isinstance(want, dict):
        assert set(got) == set(want), where
        for key in want:
            assert_same(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{where}[{i}]")
    else:
        assert got == want, where


def estimate(http, record: dict[str, str]) -> dict:
    response = http.post("/api/v1/valuations/estimate", json={"patents": [record], "as_of": AS_OF.isoformat()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["results"]) == 1
    return body


@pytest.mark.parametrize("kind", RECORDS)
def test_an_estimate_equals_the_engine_on_the_same_record(client, stored, kind):
    body = estimate(client, RECORDS[kind])
    assert body["reference"] == stored["name"]
    want = engine_result(RECORDS[kind], stored)
    assert_same(body["results"][0], want)


def test_the_kinds_reach_what_they_are_meant_to(stored):
    """The records above are the cases they are named for (so the equality test covers them)."""
    got = {kind: engine_result(record, stored) for kind, record in RECORDS.items()}
    codes = {kind: {r["code"] for r in result["reasons"]} for kind, result in got.items()}
    assert got["invention with revenue"]["value_p50_fen"] > 0 and got["invention with revenue"]["eligible"]
    assert "fee_unpaid" in codes["utility model, fee overdue"]
    pending = got["pending invention"]  # valued in the draws where it is granted, not pledgeable
    assert "not_granted" in codes["pending invention"] and pending["value_p50_fen"] > 0 == pending["max_loan_fen"]
    assert "lapsed" in codes["lapsed invention"] and got["lapsed invention"]["value_p50_fen"] == 0
    assert {"no_revenue", "frozen"} <= codes["no revenue, frozen"]
    assert "expired" in codes["expired utility model"]
    assert got["design"]["value_p50_fen"] > 0


def test_concurrent_estimates_valued_together_equal_the_engine_each(live_server, stored, monkeypatch):
    """Requests sent at once: the first one's engine call is held until three more have reached
    the batching (the server runs sync handlers on a pool of min(32, CPUs + 4) threads), so those
    are valued in one call; each answer still equals `valuate` on its record alone."""
    from service.valuations import service as valuation_service

    batches = valuation_service._ESTIMATES
    requests = [record for record in RECORDS.values() for _ in range(2)]
    entered, sizes = [], []
    queued = threading.Event()
    compute, value = batches.compute, batches.value

    def counting_value(key, records, read_context):
        entered.append(1)
        if len(entered) >= 4:
            queued.set()
        return value(key, records, read_context)

    def held_compute(key, reference, records):
        if not sizes:
            assert queued.wait(timeout=30)
            time.sleep(0.05)  # the fourth request appends itself to the queue
        sizes.append(len(records))
        return compute(key, reference, records)

    monkeypatch.setattr(batches, "value", counting_value)
    monkeypatch.setattr(batches, "compute", held_compute)
    with httpx.Client(base_url=live_server, timeout=60) as http, ThreadPoolExecutor(len(requests)) as pool:
        answers = list(pool.map(lambda record: estimate(http, record), requests))
    assert sum(sizes) == len(requests) and max(sizes) >= 3, sizes
    for record, answer in zip(requests, answers, strict=True):
        assert answer["results"][0]["application_no"] == record["application_no"]
        assert_same(answer["results"][0], engine_result(record, stored))


# The batching on its own (no engine): a record is a number, its result the number doubled;
# a negative number breaks the computation. The context is the name of the request that read it.
def doubled(key, context, records):
    if any(r["n"] < 0 for r in records):
        raise ValueError("negative")
    return [{"key": key, "n": 2 * r["n"]} for r in records]


class HeldFirstCall:
    """A computation whose first call waits until released, with a log of the calls' sizes."""

    def __init__(self):
        self.release, self.started, self.calls = threading.Event(), threading.Event(), []

    def __call__(self, key, context, records):
        first = not self.calls
        self.calls.append((key, len(records)))
        if first:
            self.started.set()
            self.release.wait(timeout=30)
        return doubled(key, context, records)


def test_a_lone_request_is_valued_at_once():
    batches = EstimateBatches(doubled)
    context, results = batches.value("k", [{"n": 1}, {"n": 2}], lambda: "mine")
    assert context == "mine" and results == [{"key": "k", "n": 2}, {"key": "k", "n": 4}]


def run_while_held(batches, held, submissions, waiting, read_context=None):
    """Submit ``submissions`` [(key, numbers)] while the first call is held; (context, results) or
    the error, by index. Request i reads the context ``read_context(i)`` (default: its index)."""
    results, contexts = {}, {}
    read_context = read_context or (lambda i: i)

    def submit(i, key, numbers):
        try:
            contexts[i], results[i] = batches.value(key, [{"n": n} for n in numbers], lambda: read_context(i))
        except ValueError as exc:
            results[i] = exc

    first = threading.Thread(target=submit, args=(0, *submissions[0]))
    first.start()
    assert held.started.wait(10)
    others = [threading.Thread(target=submit, args=(i, *s)) for i, s in enumerate(submissions) if i > 0]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10
    while sum(len(queue) for queue in batches._waiting.values()) < waiting:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    held.release.set()
    for thread in [first, *others]:
        thread.join(10)
    return contexts, results


def test_requests_waiting_for_a_running_call_are_valued_together_each_getting_its_own():
    held = HeldFirstCall()
    batches = EstimateBatches(held)
    submissions = [("k", [1]), ("k", [2, 3]), ("k", [4]), ("other", [5])]
    contexts, results = run_while_held(batches, held, submissions, waiting=2)  # "other" does not wait for "k"
    for i, (key, numbers) in enumerate(submissions):
        assert results[i] == [{"key": key, "n": 2 * n} for n in numbers]
    assert held.calls[0] == ("k", 1)
    assert sorted(held.calls[1:]) == [("k", 3), ("other", 1)]  # a key of its own is not mixed in
    # The context is read once per call, by the request that ran it (one of the two waiting).
    assert contexts[0] == 0 and contexts[3] == 3 and contexts[1] == contexts[2] in (1, 2)


def test_a_record_that_breaks_the_combined_call_fails_its_own_request_only():
    held = HeldFirstCall()
    batches = EstimateBatches(held)
    submissions = [("k", [1]), ("k", [2]), ("k", [-1]), ("k", [3])]
    _, results = run_while_held(batches, held, submissions, waiting=3)
    assert results[1] == [{"key": "k", "n": 4}] and results[3] == [{"key": "k", "n": 6}]
    assert isinstance(results[2], ValueError)
    assert held.calls[1] == ("k", 3)  # tried together first, then one by one


def test_a_large_request_is_not_combined_beyond_the_cap():
    held = HeldFirstCall()
    batches = EstimateBatches(held, max_patents=4)
    submissions = [("k", [0]), ("k", [1, 2, 3]), ("k", [4, 5]), ("k", [6])]
    _, results = run_while_held(batches, held, submissions, waiting=3)
    for i, (_, numbers) in enumerate(submissions):
        assert results[i] == [{"key": "k", "n": 2 * n} for n in numbers]
    assert all(size <= 4 for _, size in held.calls[1:]) and sum(size for _, size in held.calls) == 7


def test_a_failed_context_read_fails_the_request_that_read_it_only():
    held = HeldFirstCall()
    batches = EstimateBatches(held)
    submissions = [("k", [0]), ("k", [1]), ("k", [2]), ("k", [3])]
    read = []

    def read_context(i):
        read.append(i)
        if len(read) == 2:  # the first request to read after the held call: its database fails
            raise ValueError("the database does not answer")
        return i

    contexts, results = run_while_held(batches, held, submissions, waiting=3, read_context=read_context)
    failed = read[1]
    assert isinstance(results[failed], ValueError)
    for i in {1, 2, 3} - {failed}:
        assert results[i] == [{"key": "k", "n": 2 * i}] and contexts[i] == read[2]


class Interrupted(BaseException):
    """Not an Exception (like KeyboardInterrupt): the batching does not retry it."""


def test_an_interrupted_call_fails_its_requests_instead_of_leaving_them_waiting():
    held = HeldFirstCall()

    def interrupted_after_the_first(key, context, records):
        if held.calls:
            held.calls.append((key, len(records)))
            raise Interrupted
        return held(key, context, records)

    batches = EstimateBatches(interrupted_after_the_first)
    outcomes = {}

    def submit(i):
        try:
            outcomes[i] = batches.value("k", [{"n": i}], lambda: i)
        except (RuntimeError, Interrupted) as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(4)]
    threads[0].start()
    assert held.started.wait(10)
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 10
    while len(batches._waiting.get("k", [])) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    held.release.set()
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()
    assert outcomes[0] == (0, [{"key": "k", "n": 0}])
    kinds = sorted(type(outcomes[i]).__name__ for i in (1, 2, 3))
    assert kinds == ["Interrupted", "RuntimeError", "RuntimeError"]  # the runner's own, the others told


# --- one submitted record: parsed a cell at a time, as a table of it would be -------------------


def test_one_submitted_record_is_parsed_and_checked_as_a_table_of_it():
    """``parse_record`` (one record, the usual estimate) against ``parse_rows`` on a table of
    that row: the same values and the same problems, in order, on valid rows with tricky cells."""
    import random

    from test_imports_columns import random_table

    from service.imports.columns import parse_record
    from service.valuations.routes import _FIELDS, _cell

    rows = random_table("patents", random.Random(15), 600, missing=0.1).rows
    problems = 0
    for number, raw in rows:
        row = {name: _cell(value) for name, value in raw.items() if name in _FIELDS}
        want_parsed, want_errors = parse_rows(KINDS["patents"], Table(sorted(_FIELDS), [(number, row)]))
        got_parsed, got_errors = parse_record(KINDS["patents"], number, row)
        assert got_parsed == want_parsed, row
        assert [(e.row, e.column, e.message) for e in got_errors] == [
            (e.row, e.column, e.message) for e in want_errors
        ], row
        problems += bool(want_errors)
    assert 100 < problems < len(rows) - 100  # both kinds of rows were met


def test_a_bad_record_gets_the_same_problems_alone_and_with_others(client, stored):
    bad = RECORDS["invention with revenue"] | {"claims": "x", "filing_date": "2019-02-30", "independent_claims": "9"}
    inverted = RECORDS["design"] | {"grant_date": "2019-01-01"}  # granted before it was filed: the kind's check
    good = RECORDS["lapsed invention"]
    for record in (bad, inverted):
        alone = client.post("/api/v1/valuations/estimate", json={"patents": [record]})
        together = client.post("/api/v1/valuations/estimate", json={"patents": [record, good]})
        assert alone.status_code == together.status_code == 422
        assert alone.json()["details"] == together.json()["details"] and alone.json()["details"]


def test_an_estimate_leaves_the_requests_session_without_a_transaction(engine, stored):
    """The reference is read with a session of its own: the server then ends the request's session
    without a commit on another thread."""
    from sqlmodel import Session

    from service.valuations.service import estimate as estimate_records

    record = engine_result(RECORDS["design"], stored)
    parsed, _ = parse_rows(KINDS["patents"], Table(list(RECORDS["design"]), [(2, RECORDS["design"])]))
    with Session(engine) as session:
        reference, results = estimate_records(session, [valuation_record(parsed[0][1])], AS_OF, None)
        assert not session.in_transaction()
    assert reference.name == stored["name"]
    assert_same(jsonable(with_fen(results[0])), record)


def test_many_concurrent_requests_each_get_their_own_results_and_nobody_is_left_waiting():
    """Threads woken one by one (a finished call wakes its requests and the next runner only): 16
    clients × 25 requests of two keys, a cap that splits queues, a record that breaks its call."""
    calls = []

    def slow_doubled(key, context, records):
        calls.append(len(records))
        time.sleep(0.001)
        return doubled(key, context, records)

    batches = EstimateBatches(slow_doubled, max_patents=5)
    outcomes: dict[tuple[int, int], object] = {}

    def client(c):
        for i in range(25):
            numbers = [-1] if (c, i) == (3, 7) else [c * 100 + i] * (1 + (c + i) % 3)
            try:
                outcomes[c, i] = batches.value(("k", c % 2), [{"n": n} for n in numbers], lambda: c)[1]
            except ValueError as exc:
                outcomes[c, i] = exc

    threads = [threading.Thread(target=client, args=(c,)) for c in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive()
    assert len(outcomes) == 16 * 25 and not batches._waiting and not batches._running
    for (c, i), outcome in outcomes.items():
        if (c, i) == (3, 7):
            assert isinstance(outcome, ValueError)
        else:
            assert outcome == [{"key": ("k", c % 2), "n": 2 * (c * 100 + i)}] * (1 + (c + i) % 3)
    assert max(calls) > 3 and max(calls) <= 5  # combined, within the cap
