"""Pledge registrations: the actively pledged patents at risk, judged by the valuation library's
risk flags against each pledge's own loan end."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlmodel import Session

from service import audit
from service.encoding import jsonable
from service.imports.stored import IMPLAUSIBLE_DATES, describe, implausible_dates
from service.models import Bank, Enterprise, Patent, PledgedIpItem, PledgedPatent, PledgeRegistration
from service.models.types import utcnow
from service.valuations.records import load_records
from service.valuations.service import current_reference
from valuation import Portfolio, valuate


def at_risk(session: Session, as_of: date) -> list[dict[str, Any]]:
    """Actively pledged patents with at least one risk flag on ``as_of``, with their registration.

    One vectorised valuation pass (no money) in which each patent is judged for the loan it
    actually secures (a patent is in at most one active pledge, which the database enforces).
    """
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
    records = dict(
        (record["application_no"], record)
        for _, record in load_records(session, sorted({number for number, *_ in links}))
    )
    # A pledged patent whose stored dates the importer would refuse cannot be judged: it is listed
    # with that as its risk, not valued (its derived dates would leave the calendar).
    problems = {number: implausible_dates("patents", record) for number, record in records.items()}
    judged = [link for link in links if not problems[link[0]]]
    results = (
        valuate(
            Portfolio.from_records([records[number] for number, *_ in judged]),
            as_of,
            reference=current_reference(session),
            loan_ends=np.array([registration.loan_end for _, registration, *_ in judged], dtype="datetime64[D]"),
            with_money=False,
        ).records()
        if judged
        else []
    )
    flags = {
        link[0]: (result["next_fee_due"], result["risk_flags"]) for link, result in zip(judged, results, strict=True)
    }
    for number, found in problems.items():
        if found:
            flags[number] = (None, [_implausible_flag(found)])
    alerts = [
        {
            "application_no": number,
            "registration_no": registration.registration_no,
            "bank_code": bank_code,
            "enterprise_name": name,
            "enterprise_phone": phone,
            "amount_fen": registration.amount_fen,
            "loan_end": registration.loan_end,
            "legal_status": records[number]["legal_status"],
            "next_fee_due": flags[number][0],
            "risk_flags": flags[number][1],
        }
        for number, registration, name, phone, bank_code in links
        if flags[number][1]
    ]
    return jsonable(sorted(alerts, key=lambda a: (a["next_fee_due"] or date.max, a["application_no"])))


def _implausible_flag(problems: dict[str, str]) -> dict[str, Any]:
    return {
        "code": IMPLAUSIBLE_DATES,
        "message": f"专利存储的日期不合理，无法判断风险，请更正后重新估值（{describe(problems)}）",
        "values": problems,
    }


def release_matured(session: Session, today: date) -> list[str]:
    """Registrations whose loan ended before `today` are released as of their loan end, with their
    patents and other IP (the `pledge-maturity` job); returns their registration numbers."""
    ended = session.execute(
        update(PledgeRegistration)
        .where(PledgeRegistration.released_date.is_(None), PledgeRegistration.loan_end < today)
        .values(released_date=PledgeRegistration.loan_end, updated_at=utcnow())
        .returning(PledgeRegistration.id, PledgeRegistration.registration_no, PledgeRegistration.loan_end)
    ).all()
    for registration_id, number, loan_end in ended:
        for table in (PledgedPatent, PledgedIpItem):
            session.execute(
                update(table)
                .where(table.registration_id == registration_id, table.released_date.is_(None))
                .values(released_date=loan_end)
            )
        audit.record(
            session,
            actor="scheduler",
            action="pledge.matured",
            entity_type="pledge_registration",
            entity_id=number,
            after={"released_date": loan_end.isoformat()},
        )
    return sorted(number for _, number, _ in ended)
