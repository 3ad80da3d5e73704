"""Valuing the portfolio (a job that commits as it goes, so its progress is visible) and
estimating submitted records (read-only unless asked to save)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, func, select, update
from sqlmodel import Session

from service.db import make_engine, transaction
from service.forking import in_child, two_cores_and_fork
from service.imports.reader import without_cyclic_gc
from service.imports.writing import upsert
from service.models import Patent, SurvivalFit, Valuation, ValuationRun
from service.models.types import utcnow
from service.valuations.batching import EstimateBatches, Records, Results
from service.valuations.records import (
    NAMED_SET_ASIDE,
    context_digest,
    inputs_hash,
    load_records,
    set_aside_implausible,
    valuation_columns,
)
from valuation import MODEL_VERSION, Portfolio, Reference, Valuations, build_reference, shipped_reference, valuate

Progress = Callable[[int], None]
_CHUNK = 5000  # valuations per transaction: the run's progress moves in these steps
# Patents from which a run asked to fork does: on SQLite, 5,000 took 0.65 s forked against 0.59-0.63 s
# in one process, 10,000 took 0.94-0.98 s against 1.08-1.15 s.
FORK_ROWS = 10_000


# Built references by survival fit: a fit row is written once and never changed, and reading and
# rebuilding its JSON was a quarter of a one-patent estimate. Keyed by the database, the row's id
# and its creation time (a test or a restored database can reuse an id); the latest few are kept.
_REFERENCES: dict[tuple[str, int, datetime], Reference] = {}
_REFERENCES_KEPT = 4
_references_lock = threading.Lock()


_LATEST_FIT = select(SurvivalFit.id, SurvivalFit.created_at).order_by(SurvivalFit.id.desc()).limit(1)


def current_reference(session: Session | Connection) -> Reference:
    """The reference of the latest portfolio run (the stored portfolio when it was large enough,
    else the shipped one); the shipped reference before any run. Read through a session or a bare
    connection (an estimate's, cheaper)."""
    latest = session.execute(_LATEST_FIT).first()
    if latest is None:
        return shipped_reference()
    bind = session.get_bind() if isinstance(session, Session) else session
    key = (bind.engine.url.render_as_string(hide_password=True), *latest)
    reference = _REFERENCES.get(key)
    if reference is None:
        reference = Reference.from_dict(session.scalar(select(SurvivalFit.parameters).where(SurvivalFit.id == key[1])))
        with _references_lock:
            if len(_REFERENCES) >= _REFERENCES_KEPT:
                _REFERENCES.pop(next(iter(_REFERENCES)))
            _REFERENCES[key] = reference
    return reference


def start_run(session: Session, as_of: date, requested_by: str | None, job_run_id: int | None = None) -> ValuationRun:
    run = ValuationRun(
        as_of=as_of,
        model_version=MODEL_VERSION,
        requested_by=requested_by,
        job_run_id=job_run_id,
        counts={"total": None, "done": 0},
    )
    session.add(run)
    session.flush()
    return run


_VALUATION_KEY = ["patent_id", "as_of", "model_version", "inputs_hash"]


def store_valuations(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert valuations (`valuation_row`s; `store_valuation_columns`)."""
    if rows:
        store_valuation_columns(session, {name: [row[name] for row in rows] for name in rows[0]})


def store_valuation_columns(session: Session, columns: dict[str, list]) -> None:
    """Insert valuations (`valuation_columns`); the same patent, date, model and inputs again only
    re-points the run. The importer's bulk write: binary COPY on PostgreSQL, one executemany on SQLite."""
    if columns["patent_id"]:
        upsert(session, Valuation.__table__, columns, _VALUATION_KEY, update=["run_id"])


@dataclass(frozen=True)
class _RunRows:
    """A portfolio run's valuation rows, built and stored a chunk of patents at a time."""

    run_id: int
    as_of: date
    ids: list[int]
    records: list[dict[str, Any]]
    result: Valuations
    context: str  # the reference's digest, part of each row's inputs hash

    def store(self, engine: Engine, starts: range, progress: Progress | None = None, *, counted: bool = True) -> None:
        """Build and store the chunks starting at ``starts``. A chunk is stored and committed by a
        thread of its own while the next one is built: the database's part (PostgreSQL's COPY,
        SQLite's inserts and fsync) and the building (results and their JSON) do not wait for each
        other. ``counted``: the run's row says how many patents are done (chunks in order, from 0)."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ipfin-valuation-store") as writer:
            storing: tuple[Future, int] | None = None
            for start in starts:
                stop = min(start + _CHUNK, len(self.ids))
                columns = self._columns(start, stop)
                if storing is not None:
                    _stored(*storing, progress)
                storing = writer.submit(self._insert, engine, columns, stop if counted else None), stop - start
            if storing is not None:
                _stored(*storing, progress)

    def store_from_child(self, url: str, starts: range) -> None:
        """``store`` in a forked child: on connections of its own, closed when done; the run's
        row is left to the parent."""
        engine = make_engine(url)
        try:
            self.store(engine, starts, counted=False)
        finally:
            engine.dispose()

    def _columns(self, start: int, stop: int) -> dict[str, list]:
        # Results as records a chunk at a time: all at once (explanations included) were most of
        # the run's peak memory.
        chunk = self.records[start:stop]
        return valuation_columns(
            self.ids[start:stop],
            self.as_of,
            self.result.records(range(start, stop)),
            chunk,
            [inputs_hash(record, self.context) for record in chunk],
            self.run_id,
        )

    def _insert(self, engine: Engine, columns: dict[str, list], done: int | None) -> None:
        with transaction(engine) as session:
            store_valuation_columns(session, columns)
            if done is not None:
                session.execute(
                    update(ValuationRun)
                    .where(ValuationRun.id == self.run_id)
                    .values(counts={"total": len(self.ids), "done": done})
                )


def _stored(future: Future, size: int, progress: Progress | None) -> None:
    """Wait for a chunk's store (raising its error), then report its patents as done."""
    future.result()
    if progress:
        progress(size)


# The run builds millions of objects (records, results and their explanations, rows), hardly any in
# a reference cycle: the cyclic collector's passes over them free nothing to speak of (the peak memory
# is the same without them) and cost 3.8 of 13.9 s of CPU for 100,000 patents (the nightly job, on
# PostgreSQL). Paused for the run, whoever runs it (the scheduler's job, `ipfin revalue`, the demo),
# as the importer pauses it.
@without_cyclic_gc()
def run_portfolio_valuation(
    engine: Engine, run_id: int, progress: Progress | None = None, *, fork: bool = False
) -> dict[str, Any]:
    """Value every patent as of the run's date; the run row records progress, counts and status.
    ``fork``: the second half of the results may be stored by a forked child (`ipfin revalue`)."""
    try:
        with transaction(engine) as session:
            run = session.get(ValuationRun, run_id)
            as_of = run.as_of
            loaded, set_aside = set_aside_implausible(load_records(session))
        ids = [patent_id for patent_id, _ in loaded]
        records = [record for _, record in loaded]
        portfolio = Portfolio.from_records(records)
        reference = build_reference(portfolio, as_of, label="county")
        model = reference.survival
        result = valuate(portfolio, as_of, reference=reference)
        with transaction(engine) as session:
            fit = SurvivalFit(
                model_version=model.version,
                source=model.source,
                as_of=as_of,
                n_patents=model.n,
                n_events=model.events,
                parameters=reference.to_dict(),
            )
            session.add(fit)
            session.flush()
            session.execute(
                update(ValuationRun)
                .where(ValuationRun.id == run_id)
                .values(survival_fit_id=fit.id, counts={"total": len(ids), "done": 0})
            )
        rows = _RunRows(run_id, as_of, ids, records, result, context_digest(reference.to_dict()))
        if fork and len(ids) >= FORK_ROWS and two_cores_and_fork():
            # Building the rows is most of the run, on one core: a forked child builds and stores
            # the second half (the results are shared copy-on-write) while this process does the
            # first. Only where asked (`ipfin revalue`): see `service.forking`.
            starts = range(0, len(ids), _CHUNK)
            first, rest = starts[: len(starts) // 2], starts[len(starts) // 2 :]
            url = engine.url.render_as_string(hide_password=False)
            # No connection open across the fork: SQLite's own bookkeeping of an open file goes
            # into the child with it, and may not be carried over even unused (its FAQ).
            engine.dispose()
            with in_child(lambda: rows.store_from_child(url, rest)) as other:
                rows.store(engine, first, progress)
                other()
            if progress:
                progress(len(ids) - rest.start)
        else:
            rows.store(engine, range(0, len(ids), _CHUNK), progress)
        counts = {
            "total": len(ids),
            "done": len(ids),
            "eligible": int(result.eligible.sum()),
            "high_value": int(result.high_value.sum()),
            "with_income_value": int(np.isfinite(result.value_p50).sum()),  # as records() gives it
            "reference": reference.name,
            "survival_source": model.source,
            "survival_events": model.events,
            # Stored rows with dates the importer refuses: not valued, named with the reason.
            "set_aside": len(set_aside),
            "set_aside_patents": set_aside[:NAMED_SET_ASIDE],
        }
        with transaction(engine) as session:
            session.execute(
                update(ValuationRun)
                .where(ValuationRun.id == run_id)
                .values(status="done", counts=counts, finished_at=utcnow())
            )
        return counts
    except Exception as exc:
        with transaction(engine) as session:
            session.execute(
                update(ValuationRun)
                .where(ValuationRun.id == run_id)
                .values(status="failed", finished_at=utcnow(), counts={"error": f"{type(exc).__name__}: {exc}"})
            )
        raise


def _value_records(key: tuple[str, date, int | None], reference: Reference, records: Records) -> Results:
    _, as_of, loan_term_months = key
    portfolio = Portfolio.from_records(records)
    return valuate(portfolio, as_of, reference=reference, loan_term_months=loan_term_months).records()


_ESTIMATES = EstimateBatches(_value_records)


def estimate(
    session: Session,
    records: list[dict[str, Any]],
    as_of: date,
    loan_term_months: int | None,
) -> tuple[Reference, list[dict[str, Any]]]:
    """Value submitted records against the current reference (``current_reference``): only the
    submitted records are valued, and each one's result does not depend on the others — so
    concurrent requests are valued together in one engine call, the reference read once for it
    (``batching``)."""
    # Keyed by the database too: the reference is read by whichever request runs the call, and a
    # process serving (or testing) two databases must not value one's records with the other's.
    bind = session.get_bind()
    database = bind.engine.url.render_as_string(hide_password=True)
    return _ESTIMATES.value((database, as_of, loan_term_months), records, lambda: _read_reference(bind))


def _read_reference(bind: Engine | Connection) -> Reference:
    """``current_reference`` read on a connection of its own, ended here in the thread that read it
    (a bare connection: a session's set-up cost more than the query): the request's session holds
    no transaction then, and the server ends it without a commit (a hop to another thread)."""
    if isinstance(bind, Connection):  # a session bound to a connection (its transaction): read there
        return current_reference(bind)
    with bind.connect() as own:
        return current_reference(own)


def latest_valuation_ids(as_of: date | None = None, patent_ids: list[int] | None = None):
    """Subquery of each patent's latest valuation id: the latest valuation date (≤ as_of when
    given), and the newest row for that date. A revaluation back-dated later never hides a
    valuation of a later date."""
    ranked = select(
        Valuation.id,
        func.row_number()
        .over(partition_by=Valuation.patent_id, order_by=(Valuation.as_of.desc(), Valuation.id.desc()))
        .label("rank"),
    )
    if as_of is not None:
        ranked = ranked.where(Valuation.as_of <= as_of)
    if patent_ids is not None:
        ranked = ranked.where(Valuation.patent_id.in_(patent_ids))
    ranked = ranked.subquery()
    return select(ranked.c.id).where(ranked.c.rank == 1)


def latest_valuations(session: Session, patent_ids: list[int] | None = None) -> dict[int, Valuation]:
    """Each patent's latest valuation, by patent id."""
    latest = latest_valuation_ids(patent_ids=patent_ids)
    return {v.patent_id: v for v in session.scalars(select(Valuation).where(Valuation.id.in_(latest)))}


def latest_valuation(session: Session, patent: Patent) -> Valuation | None:
    return session.scalars(
        select(Valuation).where(Valuation.patent_id == patent.id).order_by(Valuation.as_of.desc(), Valuation.id.desc())
    ).first()
