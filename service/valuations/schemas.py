from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec


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
    loan_term_months: Annotated[int, msgspec.Meta(ge=1, le=360)] = 12
    save: Annotated[bool, msgspec.Meta(description="store the records and their valuations (admin key)")] = False


class EstimateResponse(msgspec.Struct):
    as_of: date
    model_version: str
    reference: Annotated[
        str, msgspec.Meta(description="what the patents were compared with (stored county or shipped)")
    ]
    results: list[dict[str, Any]]
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
    started_at: datetime
    finished_at: datetime | None
