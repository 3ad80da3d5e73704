"""Request and response shapes of the valuation API; results are the library's typed record with
integer-fen companions (the API's money unit), not hand-kept field lists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from valuation import ValuationRecord


class ValuationResult(ValuationRecord):
    """The library's result plus each amount in integer fen (``value_p10_fen`` … ``max_loan_fen``)."""

    value_p10_fen: int | None
    value_p50_fen: int | None
    value_p90_fen: int | None
    max_loan_fen: int | None


class ValuationRead(ValuationResult):
    """A stored valuation: the result with the date it is as of, when and by which run it was made."""

    as_of: str
    inputs_hash: str
    valued_at: str
    run_id: int | None


class EstimateRequest(msgspec.Struct, forbid_unknown_fields=True):
    patents: Annotated[
        list[dict[str, Any]],
        msgspec.Meta(
            min_length=1,
            max_length=1000,
            description="patent records with the patent import file's fields (docs/import-formats.md), or "
            '{"application_no": ...} alone for a patent already known',
        ),
    ]
    as_of: date | None = None
    loan_term_months: (
        Annotated[
            int,
            msgspec.Meta(ge=1, le=360, description="months; default: the valuation parameters' loan term (12)"),
        ]
        | None
    ) = None
    save: Annotated[bool, msgspec.Meta(description="store the records and their valuations (admin key)")] = False


class EstimateResponse(msgspec.Struct):
    as_of: date
    model_version: str
    reference: Annotated[
        str, msgspec.Meta(description="what the patents were compared with (stored county or shipped)")
    ]
    results: list[ValuationResult]
    saved: bool


class RunRequest(msgspec.Struct, forbid_unknown_fields=True):
    as_of: date | None = None


class RunRead(msgspec.Struct):
    id: int
    as_of: date
    model_version: str
    status: str
    requested_by: str | None
    counts: dict[str, Any]
    survival_fit_id: int | None
    job_run_id: int | None  # the job run computing it (GET /jobs/runs/{id}: progress, error)
    started_at: datetime
    finished_at: datetime | None
