"""Building the matching library's inputs from the database.

Patents enter with their latest valuation (eligibility, grade, score, P10, expiry) and whether
they are pledged now; products with the quota that is *left*: the period's quota minus what
open or granted whitelist entries and registrations already use.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

import matching
from service.encoding import dumps
from service.imports.stored import IMPLAUSIBLE_DATES, implausible_dates
from service.models import (
    Bank,
    CreditLoan,
    Enterprise,
    Patent,
    PledgedPatent,
    PledgeProduct,
    PledgeRegistration,
    Valuation,
    WhitelistEntry,
)
from service.models.types import utcnow
from service.valuations.service import latest_valuations

OPEN_ENTRY = ("published", "acknowledged")


class Population(StrEnum):
    """Who a run considers. The plan's 并轨 case is the default."""

    credit_loan_holders = "credit_loan_holders"  # a current knowledge-/commercial-value credit loan
    all_enterprises = "all_enterprises"


@dataclass(frozen=True)
class Inputs:
    enterprises: list[matching.Enterprise]
    products: list[matching.Product]
    enterprise_ids: dict[str, int]  # credit code → row id
    product_rows: dict[str, PledgeProduct]  # library product id (row id as text) → row
    bank_ids: dict[str, int]  # bank code → row id

    def digest(self) -> str:
        """Hash of everything the optimiser saw, so a run can be compared with its inputs."""
        data = {"enterprises": [asdict(e) for e in self.enterprises], "products": [asdict(p) for p in self.products]}
        return hashlib.sha256(dumps(data, sort_keys=True).encode()).hexdigest()


def _patent(patent: Patent, valuation: Valuation, pledged: bool) -> matching.Patent:
    result = valuation.result
    expiry = result.get("expiry_date")
    reasons = tuple(r["code"] for r in result.get("reasons", []) if r.get("blocking", True))
    # A row with dates the importer refuses (written around it), or a valuation made from one
    # (its expiry past year 9999 is stored as a day number), is not pledgeable: said, not a 500.
    implausible = bool(implausible_dates("patents", patent)) or (expiry is not None and not isinstance(expiry, str))
    if implausible:
        reasons = (*reasons, IMPLAUSIBLE_DATES)
    return matching.Patent(
        application_no=patent.application_no,
        eligible=valuation.eligible and not implausible,
        expiry_date=date.fromisoformat(expiry) if expiry and not implausible else patent.filing_date,
        remaining_term_years=0.0 if implausible else float(result.get("remaining_term_years") or 0.0),
        value_p10_fen=None if implausible else valuation.value_p10_fen,
        grade=valuation.grade,
        score=valuation.score,
        already_pledged=pledged,
        reasons=reasons,
    )


def _remaining_quota(session: Session, product: PledgeProduct, as_of: date) -> tuple[int | None, int | None]:
    if product.quota_count is None and product.quota_amount_fen is None:
        return None, None
    start, end = product.quota_period_start, product.quota_period_end
    if start is not None and not (start <= as_of <= end):
        return 0, 0  # outside its quota period the product has nothing to give
    # An open entry past its expiry (evaluated on read, DESIGN.md §7) no longer holds quota.
    entries = select(func.count(), func.coalesce(func.sum(WhitelistEntry.amount_fen), 0)).where(
        WhitelistEntry.product_id == product.id,
        or_(
            WhitelistEntry.status == "granted",
            and_(WhitelistEntry.status.in_(OPEN_ENTRY), WhitelistEntry.expires_at > utcnow()),
        ),
    )
    registrations = select(func.count(), func.coalesce(func.sum(PledgeRegistration.amount_fen), 0)).where(
        PledgeRegistration.product_id == product.id, PledgeRegistration.whitelist_entry_id.is_(None)
    )
    if start is not None:
        period_start = datetime.combine(start, time.min, UTC)
        period_end = datetime.combine(end + timedelta(days=1), time.min, UTC)
        entries = entries.where(WhitelistEntry.published_at >= period_start, WhitelistEntry.published_at < period_end)
        registrations = registrations.where(PledgeRegistration.registration_date.between(start, end))
    # int(): PostgreSQL sums a bigint column as numeric (Decimal).
    used_count, used_amount = (
        int(a) + int(b)
        for a, b in zip(session.execute(entries).one(), session.execute(registrations).one(), strict=True)
    )
    count = None if product.quota_count is None else max(product.quota_count - used_count, 0)
    amount = None if product.quota_amount_fen is None else max(product.quota_amount_fen - used_amount, 0)
    return count, amount


def load_products(session: Session, as_of: date) -> tuple[list[matching.Product], dict[str, PledgeProduct]]:
    rows = session.execute(
        select(PledgeProduct, Bank.code).join(Bank).where(PledgeProduct.active.is_(True)).order_by(PledgeProduct.id)
    ).all()
    products, by_id = [], {}
    for product, bank_code in rows:
        quota_count, quota_amount = _remaining_quota(session, product, as_of)
        key = str(product.id)
        by_id[key] = product
        products.append(
            matching.Product(
                id=key,
                bank_code=bank_code,
                code=product.code,
                name=product.name,
                min_amount_fen=product.min_amount_fen,
                max_amount_fen=product.max_amount_fen,
                pledge_rate=float(product.pledge_rate),
                interest_rate_min=float(product.interest_rate_min),
                interest_rate_max=float(product.interest_rate_max),
                term_min_months=product.term_min_months,
                term_max_months=product.term_max_months,
                eligible_clusters=frozenset(product.eligible_clusters),
                required_certifications=frozenset(product.required_certifications),
                min_patent_grade=product.min_patent_grade,
                min_remaining_term_years=None
                if product.min_remaining_term_years is None
                else float(product.min_remaining_term_years),
                quota_count=quota_count,
                quota_amount_fen=quota_amount,
                requires_existing_customer=product.requires_existing_customer,
            )
        )
    return products, by_id


def load_enterprises(
    session: Session,
    as_of: date,
    credit_codes: list[str] | None = None,
) -> tuple[list[matching.Enterprise], dict[str, int]]:
    """Every enterprise (or the given ones) with its credit loans and valued patents."""
    statement = select(Enterprise).order_by(Enterprise.credit_code)
    if credit_codes is not None:
        statement = statement.where(Enterprise.credit_code.in_(credit_codes))
    enterprises = session.scalars(statement).all()
    ids = [e.id for e in enterprises]
    banks = dict(session.execute(select(Bank.id, Bank.code)).all())
    loans: dict[int, list[matching.CreditLoan]] = {}
    for loan in session.scalars(select(CreditLoan).where(CreditLoan.enterprise_id.in_(ids))):
        loans.setdefault(loan.enterprise_id, []).append(
            matching.CreditLoan(
                kind=loan.kind,
                bank_code=banks[loan.bank_id],
                limit_fen=loan.limit_fen,
                start_date=loan.start_date,
                maturity_date=loan.maturity_date,
                grade=loan.grade,
            )
        )
    valuations = latest_valuations(session)
    pledged = set(session.scalars(select(PledgedPatent.patent_id).where(PledgedPatent.released_date.is_(None))))
    patents: dict[int, list[matching.Patent]] = {}
    for patent in session.scalars(select(Patent).where(Patent.owner_id.in_(ids)).order_by(Patent.id)):
        if patent.id in valuations:
            patents.setdefault(patent.owner_id, []).append(_patent(patent, valuations[patent.id], patent.id in pledged))
    out = []
    for e in enterprises:
        held = frozenset(code for code, obtained in e.certifications().items() if obtained <= as_of)
        out.append(
            matching.Enterprise(
                credit_code=e.credit_code,
                name=e.name,
                cluster=e.industry_cluster,
                certifications=held,
                credit_loans=tuple(loans.get(e.id, ())),
                patents=tuple(patents.get(e.id, ())),
                need_amount_fen=e.need_amount_fen or None,
                need_term_months=e.need_term_months,
            )
        )
    return out, {e.credit_code: e.id for e in enterprises}


def load_inputs(session: Session, as_of: date, population: Population) -> Inputs:
    """The run's population: by default credit-loan holders with a pledgeable patent, leaving out
    enterprises whose whitelist entry is still open at a bank."""
    enterprises, enterprise_ids = load_enterprises(session, as_of)
    in_pipeline = set(
        session.scalars(
            select(WhitelistEntry.enterprise_id).where(
                WhitelistEntry.status.in_(OPEN_ENTRY), WhitelistEntry.expires_at > utcnow()
            )
        )
    )
    candidates = matching.select_candidates(
        enterprises, as_of, require_parallel_track_loan=population is Population.credit_loan_holders
    )
    chosen = [e for e in candidates if enterprise_ids[e.credit_code] not in in_pipeline]
    products, product_rows = load_products(session, as_of)
    return Inputs(
        chosen,
        products,
        {e.credit_code: enterprise_ids[e.credit_code] for e in chosen},
        product_rows,
        {code: bank_id for bank_id, code in session.execute(select(Bank.id, Bank.code)).all()},
    )
