"""Patents: identifiers from requests and finding a patent with its owner."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from service.errors import ApiError, not_found
from service.identifiers import normalize_application_no
from service.models import Enterprise, Patent


def application_no_param(raw: str) -> str:
    try:
        return normalize_application_no(raw)
    except ValueError as exc:
        raise ApiError(400, "invalid_application_no", str(exc)) from None


def find_patent(session: Session, raw_application_no: str) -> tuple[Patent, str | None]:
    number = application_no_param(raw_application_no)
    row = session.execute(
        select(Patent, Enterprise.credit_code)
        .outerjoin(Enterprise, Enterprise.id == Patent.owner_id)
        .where(Patent.application_no == number)
    ).first()
    if row is None:
        raise not_found("patent", number)
    return row[0], row[1]
