"""Patents (public CNIPA facts plus what the owner reported)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath, FromQuery
from sqlalchemy import select

from service.auth.keys import Principal
from service.deps import Caller, DbSession, is_staff
from service.enterprises.service import credit_code_param
from service.errors import PUBLIC_READ
from service.models import Enterprise, Patent
from service.models.enums import LegalStatus, PatentType
from service.pagination import Limit, Offset, Page, paginate
from service.patents.schemas import PatentRead
from service.patents.service import find_patent
from service.structs import from_row


def patent_read(patent: Patent, owner: str | None, principal: Principal | None) -> PatentRead:
    """The owner's stated revenue is staff-only (README "Who may read what"); the rest is public."""
    revenue = patent.annual_revenue_fen if is_staff(principal) else None
    return from_row(PatentRead, patent, owner_credit_code=owner, annual_revenue_fen=revenue)


class PatentController(Controller):
    path = "/api/v1/patents"
    tags = ["patents"]

    @get("/", sync_to_thread=True, responses=PUBLIC_READ, summary="List patents")
    def list_patents(
        self,
        db_session: DbSession,
        principal: Caller,
        owner: FromQuery[str | None] = None,
        legal_status: FromQuery[LegalStatus | None] = None,
        patent_type: FromQuery[PatentType | None] = None,
        ipc: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[PatentRead]:
        statement = (
            select(Patent, Enterprise.credit_code)
            .outerjoin(Enterprise, Enterprise.id == Patent.owner_id)
            .order_by(Patent.application_no)
        )
        if owner:
            statement = statement.where(Enterprise.credit_code == credit_code_param(owner))
        if legal_status:
            statement = statement.where(Patent.legal_status == legal_status)
        if patent_type:
            statement = statement.where(Patent.patent_type == patent_type)
        if ipc:
            statement = statement.where(Patent.ipc.startswith(ipc.upper(), autoescape=True))
        rows, total = paginate(db_session, statement, limit, offset)
        return Page([patent_read(p, c, principal) for p, c in rows], total, limit, offset)

    @get("/{application_no:str}", sync_to_thread=True, responses=PUBLIC_READ, summary="One patent")
    def get_patent(self, db_session: DbSession, principal: Caller, application_no: FromPath[str]) -> PatentRead:
        patent, owner = find_patent(db_session, application_no)
        return patent_read(patent, owner, principal)
