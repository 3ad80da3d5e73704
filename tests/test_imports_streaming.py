"""A file of several chunks streams into PostgreSQL while it is parsed (one COPY into the table, in
a savepoint, service/imports/loader.py): it stores what the set-based import stores, and stays all
or nothing — a bad cell, an unknown owner, a repeated key, a NUL or an unreadable row in a later
chunk writes nothing and leaves the transaction usable; a key stored already (by an earlier import
or a concurrent one) turns the write into the upsert. Every test runs on both databases: on SQLite
the import is the set-based one, and must say the same."""

from __future__ import annotations

import csv
import io
import threading
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
import small_county as county
from sqlalchemy import delete, func, select

from service.db import transaction
from service.imports import ImportRejected, UnreadableFile, import_table, loader, read_path, reader
from service.imports.cells import NUL_REFUSED
from service.imports.reader import read_path_chunks
from service.models import Patent

N = 20  # rows of a file, in chunks of CHUNK below: the problems are put in a later chunk
CHUNK = 3
LATER = 13  # the row (0-based) a problem is put in: chunk 5, spreadsheet row 15


@pytest.fixture
def streams(monkeypatch, engine):
    """Small chunks, and a record of each streamed write: whether its rows were kept."""
    monkeypatch.setattr(reader, "CHUNK_ROWS", CHUNK)
    seen: list[bool] = []
    streamed_insert = loader.streamed_insert

    @contextmanager
    def recorded(*args, **kwargs):
        with streamed_insert(*args, **kwargs) as stream:
            yield stream
        seen.append(stream.written)

    monkeypatch.setattr(loader, "streamed_insert", recorded)
    return seen


@pytest.fixture
def stored_county(engine, tmp_path):
    county.load_county(engine, tmp_path)
    return engine


def patents(start: int = 0, n: int = N, **overrides) -> list[dict]:
    return [
        {
            **county.PATENTS[1],
            "application_no": county.application_no(2016 + i % 8, 1, 700_000 + i),
            "owner_credit_code": (county.E1, county.E2, county.E3)[i % 3],
            "title": f"流式导入的专利 {i}",
            **overrides,
        }
        for i in range(start, start + n)
    ]


def set_based(session, kind: str, path) -> None:
    """Import in one chunk: the set-based way, on both databases."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "CHUNK_ROWS", 10_000)
        import_table(session, kind, read_path(path))


def postgresql(engine) -> bool:
    return engine.dialect.name == "postgresql"


def stored(engine, numbers: list[str]) -> list[dict]:
    """The stored rows of these patents, every column but the id and the timestamps."""
    leave_out = {"id", "created_at", "updated_at"}
    columns = [column for column in Patent.__table__.c if column.name not in leave_out]
    with transaction(engine) as session:
        rows = session.execute(
            select(*columns).where(Patent.application_no.in_(numbers)).order_by(Patent.application_no)
        ).all()
    return [dict(row._mapping) for row in rows]


def count(engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(Patent))


@pytest.mark.parametrize("read", [read_path_chunks, read_path], ids=["upload", "table"])
def test_a_streamed_file_stores_what_the_set_based_import_stores(stored_county, tmp_path, streams, read):
    engine = stored_county
    rows = patents()
    rows[4]["annual_revenue_yuan"] = ""
    rows[7].update(grant_date="", legal_status="pending", fees_paid_through_year="")
    rows[11]["owner_credit_code"] = ""
    path = county.write_csv(tmp_path / "p.csv", rows)
    with transaction(engine) as session:
        report = import_table(session, "patents", read(path))
    assert (report.rows, report.inserted, report.updated) == (N, N, 0)
    assert streams == ([True] if postgresql(engine) else [])
    numbers = [row["application_no"] for row in rows]
    streamed = stored(engine, numbers)
    assert len(streamed) == N
    with transaction(engine) as session:
        session.execute(delete(Patent).where(Patent.application_no.in_(numbers)))
        set_based(session, "patents", path)
    assert stored(engine, numbers) == streamed
    assert len(streams) == (1 if postgresql(engine) else 0)  # the second import did not stream


def _unknown_owner(row: dict) -> None:
    row["owner_credit_code"] = county.credit_code(99)


@pytest.mark.parametrize(
    ("spoil", "column", "fragment"),
    [
        (lambda row: row.update(filing_date="2019-02-30"), "filing_date", "not a calendar date"),
        (_unknown_owner, "owner_credit_code", "unknown enterprise"),
        (lambda row: row.update(application_no=county.application_no(2016, 1, 700_000)), "application_no", "same"),
        (lambda row: row.update(title="一种\x00装置"), "title", "NUL"),
        (lambda row: row.update(grant_date="2014-01-01"), "grant_date", "must be after filing_date"),
    ],
    ids=["bad cell", "unknown owner", "repeated key", "NUL", "row check"],
)
def test_a_problem_in_a_later_chunk_writes_nothing(stored_county, tmp_path, streams, spoil, column, fragment):
    engine = stored_county
    before = count(engine)
    rows = patents()
    spoil(rows[LATER])
    path = county.write_csv(tmp_path / "p.csv", rows)
    with transaction(engine) as session:
        with pytest.raises(ImportRejected) as rejected:
            import_table(session, "patents", read_path_chunks(path))
        assert [(e.row, e.column) for e in rejected.value.errors] == [(LATER + 2, column)]
        assert fragment in rejected.value.errors[0].message
        # Nothing of the file is left in the transaction, which goes on: a good file imports.
        assert session.scalar(select(func.count()).select_from(Patent)) == before
        report = import_table(session, "patents", read_path_chunks(county.write_csv(tmp_path / "q.csv", patents(100))))
        assert report.inserted == N
    assert count(engine) == before + N
    assert streams == ([False, True] if postgresql(engine) else [])


def test_an_unreadable_row_in_a_later_chunk_writes_nothing(stored_county, tmp_path, streams):
    engine = stored_county
    before = count(engine)
    rows = patents()
    rows[LATER]["title"] = "长" * (reader.MAX_CELL_LENGTH + 1)
    path = county.write_csv(tmp_path / "p.csv", rows)
    with transaction(engine) as session:
        with pytest.raises(UnreadableFile, match=f"row {LATER + 2}, column title"):
            import_table(session, "patents", read_path_chunks(path))
        assert session.scalar(select(func.count()).select_from(Patent)) == before
        import_table(session, "patents", read_path_chunks(county.write_csv(tmp_path / "q.csv", patents(100))))
    assert count(engine) == before + N


def test_keys_stored_in_a_later_chunk_are_updated(stored_county, tmp_path, streams):
    """The first chunk's keys are new, so the rows stream; a later chunk's key is stored: the COPY
    fails on the unique key, nothing of it is kept, and the file is upserted instead."""
    engine = stored_county
    with transaction(engine) as session:
        set_based(session, "patents", county.write_csv(tmp_path / "old.csv", patents(LATER, 4)))
    rows = patents(title="新标题")
    with transaction(engine) as session:
        report = import_table(session, "patents", read_path_chunks(county.write_csv(tmp_path / "p.csv", rows)))
    assert (report.inserted, report.updated) == (N - 4, 4)
    assert {row["title"] for row in stored(engine, [row["application_no"] for row in rows])} == {"新标题"}
    assert count(engine) == len(county.PATENTS) + N
    assert streams == ([False] if postgresql(engine) else [])


def test_a_file_imported_again_is_upserted_without_streaming(stored_county, tmp_path, streams):
    engine = stored_county
    path = county.write_csv(tmp_path / "p.csv", patents())
    for _ in range(2):
        with transaction(engine) as session:
            report = import_table(session, "patents", read_path_chunks(path))
    assert (report.inserted, report.updated) == (0, N)
    assert streams == ([True] if postgresql(engine) else [])  # the first chunk's keys are stored: no COPY


def test_a_key_stored_by_a_concurrent_import_is_updated_not_refused(stored_county, tmp_path, streams):
    """Another transaction stores one of a later chunk's keys while the file streams (and commits
    it a moment later): the COPY waits for it, fails on the unique key, and the file is upserted."""
    engine = stored_county
    rows = patents(title="新标题")
    concurrent = county.write_csv(tmp_path / "other.csv", [dict(rows[LATER], title="另一个导入")])
    path = county.write_csv(tmp_path / "p.csv", rows)
    answer: dict[str, object] = {}

    def stream() -> None:
        with transaction(engine) as session:
            answer["report"] = import_table(session, "patents", read_path_chunks(path))

    with transaction(engine) as other:
        set_based(other, "patents", concurrent)
        other.flush()
        if postgresql(engine):
            thread = threading.Thread(target=stream)
            thread.start()
            time.sleep(1.0)  # the stream reaches the key and waits for this transaction
        other.commit()
    if not postgresql(engine):  # SQLite's one writer: the import runs after the other
        stream()
    else:
        thread.join(timeout=60)
    report = answer["report"]
    assert (report.inserted, report.updated) == (N - 1, 1)  # type: ignore[attr-defined]
    assert {row["title"] for row in stored(engine, [row["application_no"] for row in rows])} == {"新标题"}
    assert streams == ([False] if postgresql(engine) else [])


def test_a_key_stored_after_the_first_chunks_count_is_updated(stored_county, tmp_path, streams, monkeypatch):
    """Should a key of the first chunk be stored after it was counted, the COPY fails on it, and
    the file is upserted after all."""
    engine = stored_county
    rows = patents(title="新标题")
    with transaction(engine) as session:
        set_based(session, "patents", county.write_csv(tmp_path / "old.csv", rows[:1]))
    monkeypatch.setattr(loader, "count_stored", lambda session, table, keys: 0)  # "none stored yet"
    with transaction(engine) as session:
        import_table(session, "patents", read_path_chunks(county.write_csv(tmp_path / "p.csv", rows)))
    assert {row["title"] for row in stored(engine, [row["application_no"] for row in rows])} == {"新标题"}
    assert streams == ([False] if postgresql(engine) else [])


@pytest.mark.parametrize("chunk_rows", [CHUNK, 10_000])
def test_a_nul_in_a_cell_is_a_row_error_on_both_databases(
    client, admin_headers, stored_county, monkeypatch, chunk_rows
):
    """PostgreSQL cannot store a NUL in text (SQLite could): the parser refuses it, so the answer is
    the same 422 naming the row on both, streamed or not."""
    monkeypatch.setattr(reader, "CHUNK_ROWS", chunk_rows)
    rows = patents()
    rows[LATER]["title"] = "一种\x00装置"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    response = client.post(
        "/api/v1/admin/imports/patents",
        headers=admin_headers,
        files={"file": ("p.csv", buffer.getvalue().encode(), "text/csv")},
    )
    assert response.status_code == 422, response.text[:300]
    details = response.json()["details"]
    assert details == [{"row": LATER + 2, "column": "title", "message": NUL_REFUSED}]
    assert count(stored_county) == len(county.PATENTS)


def test_a_database_error_in_a_later_chunk_is_raised_and_undone(stored_county):
    """A streamed chunk the database refuses for another reason than a stored key (here a check
    constraint, which the parser never lets through) is raised as SQLAlchemy's error once the
    block ends, the chunks before it undone, and the transaction goes on from its savepoint."""
    engine = stored_county
    if not postgresql(engine):
        pytest.skip("rows stream on PostgreSQL only")
    from sqlalchemy.exc import IntegrityError

    from service.imports.writing import streamed_insert

    names = ["application_no", "patent_type", "filing_date", "legal_status", "annual_revenue_fen"]
    names += ["co_owners_consent", "invalidation_pending", "frozen", "dual_filing", "updated_at"]
    now = datetime.now(UTC)

    def chunk(start: int, revenue: int) -> list[tuple]:
        return [
            (
                county.application_no(2016, 1, 800_000 + i),
                "invention",
                date(2016, 1, 1),
                "pending",
                revenue,
                True,
                False,
                False,
                False,
                now,
            )
            for i in range(start, start + 3)
        ]

    before = count(engine)
    with transaction(engine) as session:
        refused = pytest.raises(IntegrityError, match="ck_patents_revenue_non_negative")
        with refused, streamed_insert(session, Patent.__table__, names) as stream:
            stream.write(chunk(0, 1))
            stream.write(chunk(3, -1))
            stream.write(chunk(6, 1))
        assert session.scalar(select(func.count()).select_from(Patent)) == before
        with streamed_insert(session, Patent.__table__, names) as stream:
            stream.write(chunk(0, 1))
        assert stream.written
    assert count(engine) == before + 3
