"""What each page shows, read through the domains' services and the tables (no HTTP here)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from service.enterprises.service import credit_code_param, credit_loans
from service.errors import not_found
from service.matching.service import enterprise_eligibility
from service.models import (
    Alert,
    Bank,
    CreditLoan,
    Enterprise,
    MatchProposal,
    Patent,
    PledgeProduct,
    ReviewDecision,
    Target,
    Valuation,
    WhitelistEntry,
    WhitelistOutcome,
)
from service.models.enums import ProposalStatus, TargetMetric
from service.models.types import utcnow, utctoday
from service.patents.service import find_patent
from service.targets.service import target_progress
from service.ui.charts import bar, pledge_chart, survival_chart
from service.valuations.service import latest_valuation, latest_valuations
from service.whitelist.service import effective_status, pipeline, pipeline_by_cluster

PIPELINE_STAGES = ("proposed", "approved", "pushed", "acknowledged", "granted", "declined", "expired")
REVIEW_PAGE_SIZE = 10


# --- 总览 ---------------------------------------------------------------------------------------


def _main_target(progresses: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    """The pledge-amount target whose window holds today, else the latest one."""
    pledge = [p for p in progresses if p["target"]["metric"] == TargetMetric.pledge_amount]
    current = [p for p in pledge if p["target"]["window_start"] <= today <= p["target"]["deadline"]]
    chosen = current or sorted(pledge, key=lambda p: p["target"]["deadline"])[-1:]
    return chosen[0] if chosen else None


def open_alerts(session: Session, *, patent_id: int | None = None, limit: int = 20) -> tuple[list[dict], int]:
    statement = (
        select(Alert, Patent.application_no, Bank.code)
        .join(Patent, Patent.id == Alert.patent_id)
        .join(Bank, Bank.id == Alert.bank_id)
        .where(Alert.closed_at.is_(None))
    )
    if patent_id is not None:
        statement = statement.where(Alert.patent_id == patent_id)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.execute(statement.order_by(Alert.due_date, Alert.id).limit(limit)).all()
    return [{"alert": a, "application_no": no, "bank_code": code} for a, no, code in rows], total


def dashboard(session: Session, today: date) -> dict[str, Any]:
    targets = session.scalars(select(Target).order_by(Target.deadline.desc(), Target.id)).all()
    progresses = [target_progress(session, target, today) for target in targets]
    main = _main_target(progresses, today)
    others = [p for p in progresses if p is not main]
    for p in progresses:
        p["bar"] = bar(p["share"])
    rows = pipeline(session, utcnow())
    totals = {stage: sum(getattr(row, stage) for row in rows) for stage in (*PIPELINE_STAGES, "granted_amount_fen")}
    alerts, alert_total = open_alerts(session)
    names = dict(session.execute(select(Bank.code, Bank.name)).all())
    return {
        "main": main,
        "chart": pledge_chart(main) if main else None,
        "others": others,
        "pipeline": rows,
        "clusters": pipeline_by_cluster(session, utcnow()),
        "bank_names": names,
        "totals": totals,
        "stages": PIPELINE_STAGES,
        "alerts": alerts,
        "alert_total": alert_total,
    }


# --- 匹配审核 -----------------------------------------------------------------------------------


def _proposal_rows(session: Session, statement) -> list[dict[str, Any]]:
    rows = session.execute(statement).all()
    numbers = {
        p["application_no"]
        for proposal, *_ in rows
        for p in proposal.explanation.get("proposal", {}).get("patents", [])
    }
    ids = dict(
        session.execute(select(Patent.application_no, Patent.id).where(Patent.application_no.in_(numbers))).all()
    )
    valuations = latest_valuations(session, list(ids.values())) if ids else {}
    by_number = {number: valuations.get(pid) for number, pid in ids.items()}
    decisions = {
        d.proposal_id: d
        for d in session.scalars(select(ReviewDecision).where(ReviewDecision.proposal_id.in_([p.id for p, *_ in rows])))
    }
    out = []
    for proposal, enterprise, bank_code, bank_name in rows:
        detail = proposal.explanation.get("proposal", {})
        out.append(
            {
                "proposal": proposal,
                "enterprise": enterprise,
                "bank_code": bank_code,
                "bank_name": bank_name,
                "product": proposal.explanation.get("product", {}),
                "detail": detail,
                "patents": [p | {"valuation": by_number.get(p["application_no"])} for p in detail.get("patents", [])],
                "earlier_rejection": proposal.explanation.get("earlier_rejection"),
                "decision": decisions.get(proposal.id),
            }
        )
    return out


def _proposals():
    return (
        select(MatchProposal, Enterprise, Bank.code, Bank.name)
        .join(Enterprise, Enterprise.id == MatchProposal.enterprise_id)
        .join(Bank, Bank.id == MatchProposal.bank_id)
    )


def review_queue(session: Session, page: int) -> dict[str, Any]:
    waiting = _proposals().where(MatchProposal.status == ProposalStatus.proposed)
    total = session.scalar(select(func.count()).select_from(waiting.subquery())) or 0
    pages = max(1, -(-total // REVIEW_PAGE_SIZE))
    page = min(max(page, 1), pages)
    statement = waiting.order_by(MatchProposal.id).offset((page - 1) * REVIEW_PAGE_SIZE).limit(REVIEW_PAGE_SIZE)
    recent = _proposals().where(MatchProposal.status.in_([ProposalStatus.approved, ProposalStatus.rejected]))
    return {
        "proposals": _proposal_rows(session, statement),
        "total": total,
        "page": page,
        "pages": pages,
        "recent": _proposal_rows(session, recent.order_by(MatchProposal.id.desc()).limit(8)),
    }


def proposal_state(session: Session, proposal_id: int) -> dict[str, Any] | None:
    """A proposal's status and, once decided, who decided what — for the message after a decision."""
    rows = _proposal_rows(session, _proposals().where(MatchProposal.id == proposal_id))
    return rows[0] if rows else None


# --- 专利、企业、银行 ----------------------------------------------------------------------------


def fee_schedule(patent: Patent, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The annual fees from the year after the last one paid, by the valuation library's fee table."""
    import numpy as np

    from valuation import load_params
    from valuation.fees import PATENT_TYPES, add_years, annual_fee, expiry_dates

    if patent.grant_date is None or patent.legal_status != "valid":
        return []
    params = load_params().at(utctoday())  # the fee schedule and term rules in force today
    kind = np.array([PATENT_TYPES.index(patent.patent_type)])
    filing = np.array([patent.filing_date], dtype="datetime64[D]")
    grant = np.array([patent.grant_date], dtype="datetime64[D]")
    compensation = np.array([patent.term_compensation_days or 0.0])
    expiry = expiry_dates(kind, filing, compensation, params, grant=grant)[0]
    first = (patent.fees_paid_through_year or 0) + 1
    rows = []
    for year in range(max(first, 1), first + 6):
        due = add_years(filing, year - 1)[0]
        fee = float(annual_fee(kind, np.array([year]), params)[0])
        if due > expiry or fee <= 0:
            break
        rows.append({"year": year, "due": due.astype(object), "fee_yuan": fee})
    return rows


def patent_page(session: Session, application_no: str, *, staff: bool) -> dict[str, Any]:
    patent, owner_code = find_patent(session, application_no)
    owner = session.get(Enterprise, patent.owner_id) if patent.owner_id else None
    valuation: Valuation | None = latest_valuation(session, patent)
    result = valuation.result if valuation else {}
    dimensions = []
    if valuation:
        from valuation import load_params

        weights = load_params().scoring["dimension_weights"]
        dimensions = [
            {
                "code": code,
                "score": score,
                "weight": weights[code],
                "bar": bar(score / 100),
                "items": [item for item in result.get("explanation", []) if item["dimension"] == code],
            }
            for code, score in (
                ("legal", valuation.legal_score),
                ("technical", valuation.technical_score),
                ("economic", valuation.economic_score),
            )
        ]
    alerts, _ = open_alerts(session, patent_id=patent.id, limit=50) if staff else ([], 0)
    return {
        "patent": patent,
        "owner": owner,
        "owner_code": owner_code,
        "valuation": valuation,
        "result": result,
        "dimensions": dimensions,
        "fees": fee_schedule(patent, result),
        "survival": survival_chart(valuation.p_alive_1y, valuation.p_alive_3y, valuation.p_alive_5y)
        if valuation
        else None,
        "alerts": alerts,
    }


def enterprise_page(session: Session, raw_code: str, today: date) -> dict[str, Any]:
    code = credit_code_param(raw_code)
    enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == code)).first()
    if enterprise is None:
        raise not_found("enterprise", code)
    loans = session.execute(
        credit_loans().where(CreditLoan.enterprise_id == enterprise.id).order_by(CreditLoan.id)
    ).all()
    patents = session.scalars(
        select(Patent).where(Patent.owner_id == enterprise.id).order_by(Patent.application_no)
    ).all()
    valuations = latest_valuations(session, [p.id for p in patents]) if patents else {}
    eligibility = sorted(
        enterprise_eligibility(session, code, today), key=lambda r: (not r["eligible"], r["bank_code"])
    )
    return {
        "enterprise": enterprise,
        "loans": [{"loan": loan, "bank_code": bank_code} for loan, _, _, bank_code in loans],
        "patents": [{"patent": p, "valuation": valuations.get(p.id)} for p in patents],
        "eligibility": eligibility,
    }


def bank_page(session: Session, code: str) -> dict[str, Any]:
    bank = session.scalars(select(Bank).where(Bank.code == code.upper())).first()
    if bank is None:
        raise not_found("bank", code)
    products = session.scalars(
        select(PledgeProduct).where(PledgeProduct.bank_id == bank.id).order_by(PledgeProduct.code)
    ).all()
    status = effective_status(utcnow())
    entries = session.execute(
        select(WhitelistEntry, Enterprise.name, Enterprise.credit_code, status.label("effective"), WhitelistOutcome)
        .join(Enterprise, Enterprise.id == WhitelistEntry.enterprise_id)
        .outerjoin(WhitelistOutcome, WhitelistOutcome.entry_id == WhitelistEntry.id)
        .where(WhitelistEntry.bank_id == bank.id)
        .order_by(WhitelistEntry.id.desc())
        .limit(100)
    ).all()
    funnel = next((row for row in pipeline(session, utcnow()) if row.bank_code == bank.code), None)
    return {
        "bank": bank,
        "products": products,
        "entries": [
            {"entry": e, "enterprise_name": name, "credit_code": cc, "status": st, "outcome": outcome}
            for e, name, cc, st, outcome in entries
        ],
        "funnel": funnel,
        "stages": PIPELINE_STAGES,
    }
