"""Enterprises (public registry facts; contacts for staff) and their credit loans (staff only)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy import exists, select

from service.auth.keys import Principal
from service.deps import STAFF_ROLES, Authorized, Caller, DbSession, is_staff, require
from service.enterprises.schemas import CreditLoanRead, EnterpriseRead
from service.enterprises.service import credit_code_param, credit_loans
from service.errors import PUBLIC_READ, STAFF_READ, ApiError, error_responses, not_found
from service.models import Bank, CreditLoan, Enterprise
from service.models.enums import Certification, Cluster, CreditLoanKind
from service.pagination import Limit, Offset, Page, paginate
from service.structs import from_row

_CERTIFICATION_DATE = {
    Certification.high_tech: Enterprise.high_tech_date,
    Certification.specialized: Enterprise.specialized_date,
    Certification.ip_advantage: Enterprise.ip_advantage_date,
    Certification.ip_standard: Enterprise.ip_standard_date,
}


def enterprise_read(enterprise: Enterprise, principal: Principal | None) -> EnterpriseRead:
    staff = is_staff(principal)
    return from_row(
        EnterpriseRead,
        enterprise,
        certifications=enterprise.certifications(),
        contact_person=enterprise.contact_person if staff else None,
        contact_phone=enterprise.contact_phone if staff else None,
        need_amount_fen=enterprise.need_amount_fen if staff else None,
        need_term_months=enterprise.need_term_months if staff else None,
    )


def _credit_loan_read(loan: CreditLoan, credit_code: str, name: str, bank_code: str) -> CreditLoanRead:
    return from_row(CreditLoanRead, loan, enterprise_credit_code=credit_code, enterprise_name=name, bank_code=bank_code)


class EnterpriseController(Controller):
    path = "/api/v1"
    tags = ["enterprises"]

    @get(
        "/enterprises",
        sync_to_thread=True,
        responses=error_responses(400, 401, 403, 404),  # 403: credit_loan_kind without a staff key
        summary="List enterprises",
    )
    def list_enterprises(
        self,
        db_session: DbSession,
        principal: Caller,
        cluster: FromQuery[Cluster | None] = None,
        town: FromQuery[str | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,  # SQLite: LIKE patterns ≤ 50,000 bytes
        certification: FromQuery[Certification | None] = None,
        credit_loan_kind: FromQuery[CreditLoanKind | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[EnterpriseRead]:
        statement = select(Enterprise).order_by(Enterprise.credit_code)
        if cluster:
            statement = statement.where(Enterprise.industry_cluster == cluster)
        if town:
            statement = statement.where(Enterprise.town == town)
        if q:
            statement = statement.where(Enterprise.name.contains(q, autoescape=True))
        if certification:
            statement = statement.where(_CERTIFICATION_DATE[certification].is_not(None))
        if credit_loan_kind:
            if not is_staff(principal):  # who holds a credit loan is as private as the loan itself
                raise ApiError(403, "forbidden", "the credit_loan_kind filter needs a reviewer or admin key")
            statement = statement.where(
                exists().where(CreditLoan.enterprise_id == Enterprise.id, CreditLoan.kind == credit_loan_kind)
            )
        rows, total = paginate(db_session, statement, limit, offset)
        return Page([enterprise_read(e, principal) for (e,) in rows], total, limit, offset)

    @get("/enterprises/{credit_code:str}", sync_to_thread=True, responses=PUBLIC_READ, summary="One enterprise")
    def get_enterprise(self, db_session: DbSession, principal: Caller, credit_code: FromPath[str]) -> EnterpriseRead:
        code = credit_code_param(credit_code)
        enterprise = db_session.scalars(select(Enterprise).where(Enterprise.credit_code == code)).first()
        if enterprise is None:
            raise not_found("enterprise", code)
        return enterprise_read(enterprise, principal)

    @get(
        "/credit-loans",
        sync_to_thread=True,
        responses=STAFF_READ,
        dependencies={"staff": require(*STAFF_ROLES)},
        summary="List credit loans (staff)",
    )
    def list_credit_loans(
        self,
        db_session: DbSession,
        staff: Authorized,
        bank: FromQuery[str | None] = None,
        kind: FromQuery[CreditLoanKind | None] = None,
        grade: FromQuery[str | None] = None,
        enterprise: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[CreditLoanRead]:
        statement = credit_loans().order_by(CreditLoan.id)
        if bank:
            statement = statement.where(Bank.code == bank.upper())
        if kind:
            statement = statement.where(CreditLoan.kind == kind)
        if grade:
            statement = statement.where(CreditLoan.grade == grade.upper())
        if enterprise:
            statement = statement.where(Enterprise.credit_code == credit_code_param(enterprise))
        rows, total = paginate(db_session, statement, limit, offset)
        return Page([_credit_loan_read(*row) for row in rows], total, limit, offset)

    @get(
        "/credit-loans/{loan_id:int}",
        sync_to_thread=True,
        responses=STAFF_READ,
        dependencies={"staff": require(*STAFF_ROLES)},
        summary="One credit loan (staff)",
    )
    def get_credit_loan(self, db_session: DbSession, staff: Authorized, loan_id: FromPath[int]) -> CreditLoanRead:
        row = db_session.execute(credit_loans().where(CreditLoan.id == loan_id)).first()
        if row is None:
            raise not_found("credit loan", loan_id)
        return _credit_loan_read(*row)
