"""Pledge registrations (staff) and the alert list of pledged patents at risk.

A pledged patent whose annual fee is overdue loses the bank's collateral when its grace period
ends; one with an invalidation request pending or a court freeze, or that expires before the
loan ends, is at risk too. The rules are the valuation library's risk flags, evaluated afresh
for the requested date (not read from an older valuation).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery
from sqlalchemy import select

from service.dates import as_of_or_today
from service.deps import STAFF_ROLES, Authorized, DbSession, require
from service.errors import STAFF_READ
from service.models import Bank, Enterprise, Patent, PledgedIpItem, PledgedPatent, PledgeRegistration
from service.pagination import Limit, Offset, Page, page_of, paginate
from service.pledges import service as pledges


class RegistrationRead(msgspec.Struct):
    registration_no: str
    registration_date: date
    enterprise_credit_code: str
    enterprise_name: str
    bank_code: str
    amount_fen: int
    loan_start: date
    loan_end: date
    released_date: date | None
    patents: list[str]
    ip_type: str = "patent"  # patent when any patent is pledged, else trademark, else other
    trademarks: list[str] = []
    other_ip: list[str] = []


class PledgeController(Controller):
    path = "/api/v1/pledges"
    tags = ["pledges"]
    dependencies = {"staff": require(*STAFF_ROLES)}

    @get(
        "/",
        sync_to_thread=True,
        responses=STAFF_READ,
        summary="Pledge registrations (staff) with their patents, trademarks and other IP",
    )
    def registrations(
        self,
        db_session: DbSession,
        staff: Authorized,
        bank: FromQuery[str | None] = None,
        active: FromQuery[bool | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[RegistrationRead]:
        statement = (
            select(PledgeRegistration, Enterprise.credit_code, Enterprise.name, Bank.code)
            .join(Enterprise, Enterprise.id == PledgeRegistration.enterprise_id)
            .join(Bank, Bank.id == PledgeRegistration.bank_id)
            .order_by(PledgeRegistration.registration_date.desc(), PledgeRegistration.registration_no)
        )
        if bank:
            statement = statement.where(Bank.code == bank.upper())
        if active is not None:
            statement = statement.where(
                PledgeRegistration.released_date.is_(None) if active else PledgeRegistration.released_date.is_not(None)
            )
        rows, total = paginate(db_session, statement, limit, offset)
        ids = [registration.id for registration, *_ in rows]
        numbers: dict[int, list[str]] = {}
        for registration_id, number in db_session.execute(
            select(PledgedPatent.registration_id, Patent.application_no)
            .join(Patent, Patent.id == PledgedPatent.patent_id)
            .where(PledgedPatent.registration_id.in_(ids))
            .order_by(Patent.application_no)
        ):
            numbers.setdefault(registration_id, []).append(number)
        ip_items: dict[tuple[int, str], list[str]] = {}
        for registration_id, ip_type, number in db_session.execute(
            select(PledgedIpItem.registration_id, PledgedIpItem.ip_type, PledgedIpItem.number)
            .where(PledgedIpItem.registration_id.in_(ids))
            .order_by(PledgedIpItem.number)
        ):
            ip_items.setdefault((registration_id, ip_type), []).append(number)
        items = [
            RegistrationRead(
                r.registration_no,
                r.registration_date,
                code,
                name,
                bank_code,
                r.amount_fen,
                r.loan_start,
                r.loan_end,
                r.released_date,
                numbers.get(r.id, []),
                r.ip_type,
                ip_items.get((r.id, "trademark"), []),
                ip_items.get((r.id, "other"), []),
            )
            for r, code, name, bank_code in rows
        ]
        return Page(items, total, limit, offset)

    @get(
        "/at-risk",
        sync_to_thread=True,
        responses=STAFF_READ,
        summary="Pledged patents at risk: fee overdue or in grace, invalidation pending, frozen, expiring",
    )
    def at_risk(
        self,
        db_session: DbSession,
        staff: Authorized,
        as_of: FromQuery[date | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[dict[str, Any]]:
        return page_of(pledges.at_risk(db_session, as_of_or_today(as_of)), limit, offset)
