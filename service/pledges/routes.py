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
from litestar.params import FromQuery
from litestar import Controller, get
from sqlalchemy import select
from sqlmodel import Session

from service.dates import as_of_or_today
from service.deps import Authorized, DbSession, require
from service.errors import STAFF_READ
from service.models import Bank, Enterprise, Patent, PledgedIpItem, PledgedPatent, PledgeRegistration
from service.pagination import Limit, Offset, Page, page_of, paginate
from service.encoding import jsonable
from service.valuations.records import load_records
from service.valuations.service import current_reference
from valuation import Portfolio, valuate


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


def at_risk(session: Session, as_of: date) -> list[dict[str, Any]]:
    """Actively pledged patents with at least one risk flag on `as_of`, with their registration."""
    links = session.execute(
        select(Patent.application_no, PledgeRegistration, Enterprise.name, Enterprise.contact_phone, Bank.code)
        .join(PledgedPatent, PledgedPatent.patent_id == Patent.id)
        .join(PledgeRegistration, PledgeRegistration.id == PledgedPatent.registration_id)
        .join(Enterprise, Enterprise.id == PledgeRegistration.enterprise_id)
        .join(Bank, Bank.id == PledgeRegistration.bank_id)
        .where(PledgedPatent.released_date.is_(None))
    ).all()
    if not links:
        return []
    loaded = load_records(session, sorted({number for number, *_ in links}))
    records = [record for _, record in loaded]
    # One vectorised pass for the patent-level flags; the loan-level one (expiry before the loan
    # ends) depends on each registration's loan, so it is checked here per link.
    results = valuate(
        Portfolio.from_records(records),
        as_of,
        reference=current_reference(session),
        loan_term_months=1,
        with_money=False,
    ).records()
    by_number = {record["application_no"]: (record, result) for record, result in zip(records, results, strict=True)}
    alerts = []
    for number, registration, name, phone, bank_code in links:
        record, result = by_number[number]
        flags = [f for f in result["risk_flags"] if f["code"] != "expiring_within_loan_term"]
        expiry = result["expiry_date"]
        if expiry is not None and expiry < registration.loan_end:
            flags.append(
                {
                    "code": "expiring_within_loan_term",
                    "message": f"专利权将于{expiry}届满，早于贷款到期日{registration.loan_end}",
                    "values": {"expiry_date": expiry, "loan_end": registration.loan_end},
                }
            )
        if flags:
            alerts.append(
                {
                    "application_no": number,
                    "registration_no": registration.registration_no,
                    "bank_code": bank_code,
                    "enterprise_name": name,
                    "enterprise_phone": phone,
                    "amount_fen": registration.amount_fen,
                    "loan_end": registration.loan_end,
                    "legal_status": record["legal_status"],
                    "next_fee_due": result["next_fee_due"],
                    "risk_flags": flags,
                }
            )
    return jsonable(sorted(alerts, key=lambda a: (a["next_fee_due"] or date.max, a["application_no"])))


class PledgeController(Controller):
    path = "/api/v1/pledges"
    tags = ["pledges"]
    dependencies = {"staff": require("admin", "reviewer")}

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
        return page_of(at_risk(db_session, as_of_or_today(as_of)), limit, offset)
