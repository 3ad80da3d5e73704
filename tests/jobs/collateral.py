"""A hand-made county for the scheduled jobs: two banks, one firm, patents with known fee records,
pledged through CNIPA registrations (rows written directly: the jobs read the register as stored)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from small_county import application_no, credit_code
from sqlalchemy import Engine

from service.db import transaction
from service.models import Bank, Enterprise, Patent, PledgedPatent, PledgeRegistration


def moment(day: date, hour: int = 4) -> datetime:
    """A UTC moment on `day` that is the same calendar day in Asia/Shanghai (04:00Z = 12:00 there)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def add_bank(session, code: str) -> Bank:
    bank = Bank(code=code, name=f"{code} 云阳支行")
    session.add(bank)
    session.flush()
    return bank


def add_patent(session, owner: Enterprise, serial: int, filing: date, paid_through: int | None, **extra) -> Patent:
    patent = Patent(
        application_no=application_no(filing.year, 1, serial),
        patent_type="invention",
        filing_date=filing,
        grant_date=extra.pop("grant_date", date(filing.year + 2, filing.month, 1)),
        legal_status=extra.pop("legal_status", "valid"),
        owner_id=owner.id,
        fees_paid_through_year=paid_through,
        **extra,
    )
    session.add(patent)
    session.flush()
    return patent


def pledge(
    session, bank: Bank, owner: Enterprise, patents: list[Patent], number: str, loan_end: date
) -> PledgeRegistration:
    registration = PledgeRegistration(
        registration_no=number,
        registration_date=date(2025, 1, 10),
        enterprise_id=owner.id,
        bank_id=bank.id,
        amount_fen=100_000_000,
        loan_start=date(2025, 1, 15),
        loan_end=loan_end,
    )
    session.add(registration)
    session.flush()
    for patent in patents:
        session.add(PledgedPatent(registration_id=registration.id, patent_id=patent.id))
    session.flush()
    return registration


def build(engine: Engine) -> dict[str, int]:
    """Bank A holds a pledge on patents `leap` (filed 29 Feb 2016) and `year_end` (filed 31 Dec
    2019); bank B on `later` (filed 10 Jan 2020). Each has paid through fee year 10, 6 and 6."""
    with transaction(engine) as session:
        a, b = add_bank(session, "BANKA"), add_bank(session, "BANKB")
        firm = Enterprise(credit_code=credit_code(77), name="云阳测试科技有限公司", industry_cluster="other")
        session.add(firm)
        session.flush()
        leap = add_patent(session, firm, 1001, date(2016, 2, 29), 10)
        year_end = add_patent(session, firm, 1002, date(2019, 12, 31), 6)
        later = add_patent(session, firm, 1003, date(2020, 1, 10), 6)
        pledge(session, a, firm, [leap, year_end], "Y2025500000001", date(2027, 1, 14))
        pledge(session, b, firm, [later], "Y2025500000002", date(2027, 1, 14))
        return {"A": a.id, "B": b.id, "leap": leap.id, "year_end": year_end.id, "later": later.id, "firm": firm.id}
