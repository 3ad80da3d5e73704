"""The bank-facing whitelist: the feed, acknowledgement, outcomes, expiry and the staff pipeline.

Isolation is a property of the query: every statement that reads or changes entries is built by
`visible_entries` / `_own_entry`, which restrict a bank key to its own bank's rows, so another
bank's entry is simply not found (404), never "forbidden".

The feed's order is (bank, feed position). Positions are handed out under the bank's counter-row
lock at publish time (service.whitelist.entries), so a position is visible only after every
smaller one of that bank: a reader that continues after its cursor never skips an entry that
commits late, and never sees one twice.

Expiry is evaluated on read: an open entry (published or acknowledged, no outcome) whose
`expires_at` has passed is shown, filtered and refused as `expired`; the `whitelist-expiry` job
stores it (`expire_entries`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Select, Text, and_, case, cast, func, literal, or_, select, update
from sqlmodel import Session

from service import audit
from service.auth.keys import Principal
from service.db import dialect_insert
from service.errors import ApiError, not_found
from service.identifiers import normalize_application_no
from service.models import (
    Bank,
    Enterprise,
    FeedDelivery,
    MatchProposal,
    Patent,
    PledgedIpItem,
    PledgedPatent,
    PledgeProduct,
    PledgeRegistration,
    WhitelistEntry,
    WhitelistOutcome,
)
from service.models.enums import ApiRole, Cluster, DeclineReason, EntryStatus, IpType, ProposalStatus
from service.notifications import service as notifications
from service.structs import from_row
from service.valuations.service import latest_valuations
from service.whitelist.cursor import Cursor
from service.whitelist.schemas import (
    ClusterPipelineRow,
    DeclinedOutcome,
    EntryRead,
    GrantedOutcome,
    IpItemRead,
    OutcomeCreate,
    OutcomeRead,
    OutcomeResult,
    PipelineRow,
    RegistrationRead,
)

OPEN = (EntryStatus.published, EntryStatus.acknowledged)
_TRADEMARK_NO = r"^[A-Z]{0,2}[0-9]{1,12}$"  # 商标注册号: digits; G… for Madrid registrations


def effective_status(now: datetime):
    """The entry's status as of `now`: an open entry past its expiry is `expired` (SQL expression)."""
    return case(
        (and_(WhitelistEntry.status.in_(OPEN), WhitelistEntry.expires_at <= now), literal(EntryStatus.expired.value)),
        else_=WhitelistEntry.status,
    )


def _scope(statement: Select, principal: Principal) -> Select:
    if principal.role == ApiRole.bank:
        return statement.where(WhitelistEntry.bank_id == principal.bank_id)
    if principal.role in (ApiRole.admin, ApiRole.reviewer):
        return statement
    return statement.where(False)


def visible_entries(principal: Principal, now: datetime) -> Select:
    """Entries this caller may see (a bank: its own), with what a read needs, in feed order.

    Columns, not entities, and the content as its stored JSON text: a feed page is passed through
    to the response as it is stored (msgspec.Raw), never decoded and encoded again."""
    statement = (
        select(
            WhitelistEntry.id,
            WhitelistEntry.bank_id,
            WhitelistEntry.feed_position,
            WhitelistEntry.published_at,
            WhitelistEntry.acknowledged_at,
            WhitelistEntry.expires_at,
            WhitelistEntry.amount_fen,
            cast(WhitelistEntry.content, Text).label("content"),
            Bank.code.label("bank_code"),
            Enterprise.credit_code,
            Enterprise.name,
            PledgeProduct.code.label("product_code"),
            effective_status(now).label("effective_status"),
        )
        .join(Bank, Bank.id == WhitelistEntry.bank_id)
        .join(Enterprise, Enterprise.id == WhitelistEntry.enterprise_id)
        .join(PledgeProduct, PledgeProduct.id == WhitelistEntry.product_id)
        .order_by(WhitelistEntry.bank_id, WhitelistEntry.feed_position)
    )
    return _scope(statement, principal)


def _outcomes(session: Session, entry_ids: list[int]) -> dict[int, OutcomeRead]:
    if not entry_ids:
        return {}
    rows = session.scalars(select(WhitelistOutcome).where(WhitelistOutcome.entry_id.in_(entry_ids))).all()
    return {o.entry_id: from_row(OutcomeRead, o) for o in rows}


def _entry_read(row, outcome: OutcomeRead | None) -> EntryRead:
    return EntryRead(
        id=row.id,
        bank_code=row.bank_code,
        feed_position=row.feed_position,
        status=EntryStatus(row.effective_status),
        published_at=row.published_at,
        acknowledged_at=row.acknowledged_at,
        expires_at=row.expires_at,
        amount_fen=row.amount_fen,
        product_code=row.product_code,
        enterprise_credit_code=row.credit_code,
        enterprise_name=row.name,
        content=msgspec.Raw(row.content.encode()),  # the stored JSON, passed through
        outcome=outcome,
    )


def feed(
    session: Session,
    principal: Principal,
    *,
    after: Cursor | None,
    limit: int,
    now: datetime,
    status: EntryStatus | None = None,
    bank_code: str | None = None,
) -> tuple[list[EntryRead], Cursor, bool]:
    """One page after `after`: the entries, the cursor to continue from, and whether more are waiting."""
    own_bank = principal.bank_id if principal.role == ApiRole.bank else None
    if after is not None and own_bank is not None and after.bank_id != own_bank:
        raise ApiError(400, "invalid_cursor", "this cursor belongs to another feed; start again without `after`")
    statement = visible_entries(principal, now)
    if bank_code:
        statement = statement.where(Bank.code == bank_code.upper())
    if status is not None:
        statement = statement.where(effective_status(now) == status.value)
    if after is not None:
        statement = statement.where(
            or_(
                WhitelistEntry.bank_id > after.bank_id,
                and_(WhitelistEntry.bank_id == after.bank_id, WhitelistEntry.feed_position > after.position),
            )
        )
    rows = session.execute(statement.limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    cursor = Cursor(rows[-1].bank_id, rows[-1].feed_position) if rows else after or Cursor(own_bank or 0, 0)
    if own_bank is not None and rows:
        _record_delivery(session, own_bank, rows[-1].feed_position, now)
    closed = [row.id for row in rows if row.effective_status in (EntryStatus.granted, EntryStatus.declined)]
    outcomes = _outcomes(session, closed)
    return [_entry_read(row, outcomes.get(row.id)) for row in rows], cursor, has_more


def _record_delivery(session: Session, bank_id: int, position: int, now: datetime) -> None:
    """Advance the bank's delivered position (entries up to it count as pushed); never moves back.

    Read first: a pull that does not advance it (a re-read, a poll at the end) writes nothing, so on
    SQLite it takes no write lock."""
    delivered = session.scalar(select(FeedDelivery.last_position).where(FeedDelivery.bank_id == bank_id))
    if delivered is not None and delivered >= position:
        return
    advanced = session.execute(
        update(FeedDelivery)
        .where(FeedDelivery.bank_id == bank_id, FeedDelivery.last_position < position)
        .values(last_position=position, delivered_at=now)
    ).rowcount
    if advanced == 0:
        session.execute(
            dialect_insert(session, FeedDelivery)
            .values(bank_id=bank_id, last_position=position, delivered_at=now)
            .on_conflict_do_nothing(index_elements=["bank_id"])
        )


def get_entry(session: Session, principal: Principal, entry_id: int, now: datetime) -> EntryRead:
    row = session.execute(visible_entries(principal, now).where(WhitelistEntry.id == entry_id)).first()
    if row is None:
        raise not_found("whitelist entry", entry_id)
    return _entry_read(row, _outcomes(session, [entry_id]).get(entry_id))


def _refuse_closed(session: Session, principal: Principal, entry_id: int, now: datetime) -> EntryRead:
    """After a conditional update changed nothing: 404 if the caller cannot see the entry, else why not."""
    entry = get_entry(session, principal, entry_id, now)
    if entry.status == EntryStatus.expired:
        raise ApiError(409, "entry_expired", f"entry {entry_id} expired at {entry.expires_at.isoformat()}")
    if entry.status in (EntryStatus.granted, EntryStatus.declined):
        raise ApiError(
            409,
            "outcome_exists",
            f"entry {entry_id} already has its outcome ({entry.status})",
            {"outcome": entry.outcome.outcome if entry.outcome else entry.status},
        )
    return entry


def acknowledge(session: Session, principal: Principal, entry_id: int, now: datetime) -> EntryRead:
    """Mark an open entry as seen by the bank; acknowledging again changes nothing."""
    changed = session.execute(
        update(WhitelistEntry)
        .where(
            WhitelistEntry.id == entry_id,
            WhitelistEntry.bank_id == principal.bank_id,
            WhitelistEntry.status == EntryStatus.published,
            WhitelistEntry.expires_at > now,
        )
        .values(status=EntryStatus.acknowledged, acknowledged_at=now, version=WhitelistEntry.version + 1)
    ).rowcount
    if changed == 0:
        return _refuse_closed(session, principal, entry_id, now)
    audit.record(
        session,
        actor=principal.name,
        action="whitelist.acknowledge",
        entity_type="whitelist_entry",
        entity_id=str(entry_id),
        before={"status": "published"},
        after={"status": "acknowledged"},
    )
    return get_entry(session, principal, entry_id, now)


# --- outcomes -------------------------------------------------------------------------------


def _problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def _normalise_numbers(raw: list[str], field: str, normalise, problems: list) -> list[str]:
    numbers: list[str] = []
    for text in raw:
        try:
            number = normalise(text)
        except ValueError as exc:
            problems.append(_problem(field, "invalid_number", str(exc)))
            continue
        if number in numbers:
            problems.append(_problem(field, "listed_twice", f"{number} is listed twice"))
            continue
        numbers.append(number)
    return numbers


def _trademark_no(text: str) -> str:
    number = text.strip().upper().replace(" ", "")
    if not re.match(_TRADEMARK_NO, number):
        raise ValueError(f"商标注册号格式不正确 / malformed trademark registration number {text!r}")
    return number


def _other_ip_no(text: str) -> str:
    number = text.strip().upper()
    if not number or len(number) > 40 or not all(c.isalnum() or c in "-./" for c in number):
        raise ValueError(f"malformed IP number {text!r}")
    return number


def _check_patents(
    session: Session, entry: WhitelistEntry, numbers: list[str], loan_end: date, problems: list
) -> list[int]:
    """Patent ids to pledge; every CNIPA refusal reason found is added to `problems`."""
    patents = {p.application_no: p for p in session.scalars(select(Patent).where(Patent.application_no.in_(numbers)))}
    valuations = latest_valuations(session, [p.id for p in patents.values()])
    pledged = set(
        session.scalars(
            select(PledgedPatent.patent_id).where(
                PledgedPatent.patent_id.in_([p.id for p in patents.values()]), PledgedPatent.released_date.is_(None)
            )
        )
    )
    ids = []
    for number in numbers:
        patent = patents.get(number)
        if patent is None:
            problems.append(_problem("patents", "unknown_patent", f"patent {number} is not in the register"))
            continue
        ids.append(patent.id)
        if patent.owner_id != entry.enterprise_id:
            problems.append(_problem("patents", "ip_not_owned", f"patent {number} is not owned by the pledgor"))
        if patent.id in pledged:
            problems.append(_problem("patents", "already_pledged", f"patent {number} is already in an active pledge"))
        valuation = valuations.get(patent.id)
        if valuation is None:
            problems.append(_problem("patents", "not_valued", f"patent {number} has no valuation"))
            continue
        # The pledge check is current (above) and the loan's expiry check is this loan's (below):
        # the valuation's own versions of those two rules are not used.
        blocking = [
            r
            for r in valuation.result.get("reasons", [])
            if r.get("blocking") and r.get("code") not in ("already_pledged", "loan_beyond_expiry")
        ]
        if blocking or patent.legal_status != "valid" or patent.frozen or patent.invalidation_pending:
            why = "; ".join(r["message"] for r in blocking) or f"legal status {patent.legal_status}, frozen or disputed"
            problems.append(_problem("patents", "patent_not_eligible", f"patent {number}: {why}"))
        expiry = valuation.result.get("expiry_date")
        if expiry is not None and date.fromisoformat(str(expiry)) <= loan_end:
            problems.append(
                _problem(
                    "loan_end", "loan_outlives_patent", f"the loan ends {loan_end}, after {number} expires {expiry}"
                )
            )
    return ids


def _check_items(session: Session, ip_type: IpType, numbers: list[str], field: str, problems: list) -> None:
    if not numbers:
        return
    taken = session.scalars(
        select(PledgedIpItem.number).where(
            PledgedIpItem.ip_type == ip_type, PledgedIpItem.number.in_(numbers), PledgedIpItem.released_date.is_(None)
        )
    ).all()
    for number in taken:
        problems.append(_problem(field, "already_pledged", f"{ip_type} {number} is already in an active pledge"))


def registration_ip_type(patents: list, trademarks: list) -> IpType:
    """patent when any patent is pledged, else trademark when any trademark, else other."""
    return IpType.patent if patents else IpType.trademark if trademarks else IpType.other


def _register(
    session: Session, principal: Principal, entry: WhitelistEntry, data: GrantedOutcome, today: date
) -> PledgeRegistration:
    problems: list[dict[str, str]] = []
    product = session.get(PledgeProduct, entry.product_id)
    if not product.min_amount_fen <= data.amount_fen <= product.max_amount_fen:
        problems.append(
            _problem(
                "amount_fen",
                "amount_out_of_range",
                f"product {product.code} lends {product.min_amount_fen}–{product.max_amount_fen} fen",
            )
        )
    if data.loan_end <= data.loan_start:
        problems.append(_problem("loan_end", "loan_end_before_start", "loan_end must be after loan_start"))
    if data.registration_date > today + timedelta(days=1):  # +1: China's date may be a day ahead of UTC
        problems.append(_problem("registration_date", "registration_in_future", "registration_date is in the future"))
    registration_no = data.registration_no.upper()
    if session.scalar(select(PledgeRegistration.id).where(PledgeRegistration.registration_no == registration_no)):
        problems.append(
            _problem("registration_no", "registration_no_taken", f"registration {registration_no} is already recorded")
        )
    if not (data.patents or data.trademarks or data.other_ip):
        problems.append(_problem("patents", "no_pledged_ip", "name the pledged patents, trademarks or other IP"))
    patents = _normalise_numbers(data.patents, "patents", normalize_application_no, problems)
    trademarks = _normalise_numbers(data.trademarks, "trademarks", _trademark_no, problems)
    others = _normalise_numbers(data.other_ip, "other_ip", _other_ip_no, problems)
    patent_ids = _check_patents(session, entry, patents, data.loan_end, problems)
    _check_items(session, IpType.trademark, trademarks, "trademarks", problems)
    _check_items(session, IpType.other, others, "other_ip", problems)
    if problems:
        raise ApiError(422, "outcome_invalid", "the granted outcome was refused; details name every problem", problems)
    registration = PledgeRegistration(
        registration_no=registration_no,
        registration_date=data.registration_date,
        enterprise_id=entry.enterprise_id,
        bank_id=entry.bank_id,
        product_id=entry.product_id,
        whitelist_entry_id=entry.id,
        amount_fen=data.amount_fen,
        ip_type=registration_ip_type(patents, trademarks),
        loan_start=data.loan_start,
        loan_end=data.loan_end,
    )
    session.add(registration)
    session.flush()
    session.add_all(PledgedPatent(registration_id=registration.id, patent_id=pid) for pid in patent_ids)
    session.add_all(
        PledgedIpItem(registration_id=registration.id, ip_type=ip_type, number=number)
        for ip_type, numbers in ((IpType.trademark, trademarks), (IpType.other, others))
        for number in numbers
    )
    session.flush()  # a concurrent pledge of the same IP fails here, on the partial unique indexes
    return registration


def registration_read(session: Session, registration: PledgeRegistration) -> RegistrationRead:
    patents = session.scalars(
        select(Patent.application_no)
        .join(PledgedPatent, PledgedPatent.patent_id == Patent.id)
        .where(PledgedPatent.registration_id == registration.id)
        .order_by(Patent.application_no)
    ).all()
    items = session.execute(
        select(PledgedIpItem.ip_type, PledgedIpItem.number)
        .where(PledgedIpItem.registration_id == registration.id)
        .order_by(PledgedIpItem.ip_type, PledgedIpItem.number)
    ).all()
    return RegistrationRead(
        registration_no=registration.registration_no,
        registration_date=registration.registration_date,
        ip_type=IpType(registration.ip_type),
        amount_fen=registration.amount_fen,
        loan_start=registration.loan_start,
        loan_end=registration.loan_end,
        patents=list(patents),
        items=[IpItemRead(IpType(t), n) for t, n in items],
    )


def report_outcome(
    session: Session, principal: Principal, entry_id: int, data: OutcomeCreate, now: datetime
) -> OutcomeResult:
    """Close an open entry with its outcome; a granted one registers the pledge in this transaction."""
    granted = isinstance(data, GrantedOutcome)
    declined_without_text = isinstance(data, DeclinedOutcome) and not (data.reason or "").strip()
    if declined_without_text and data.reason_code == DeclineReason.other:
        raise ApiError(422, "reason_required", "give the reason text when reason_code is other")
    new_status = EntryStatus.granted if granted else EntryStatus.declined
    # The conditional UPDATE is the entry's lock: of two reports for one entry, one changes it and
    # the other (after waiting for the first to commit) finds it closed.
    changed = session.execute(
        update(WhitelistEntry)
        .where(
            WhitelistEntry.id == entry_id,
            WhitelistEntry.bank_id == principal.bank_id,
            WhitelistEntry.status.in_(OPEN),
            WhitelistEntry.expires_at > now,
        )
        .values(status=new_status, version=WhitelistEntry.version + 1)
    ).rowcount
    if changed == 0:
        _refuse_closed(session, principal, entry_id, now)
        raise ApiError(409, "conflict", f"entry {entry_id} cannot take an outcome now")
    entry = session.execute(
        select(WhitelistEntry).where(WhitelistEntry.id == entry_id).execution_options(populate_existing=True)
    ).scalar_one()
    registration = _register(session, principal, entry, data, now.date()) if granted else None
    session.add(
        WhitelistOutcome(
            entry_id=entry_id,
            outcome=new_status.value,
            amount_fen=registration.amount_fen if registration else None,
            registration_no=registration.registration_no if registration else None,
            registration_date=registration.registration_date if registration else None,
            reason_code=None if granted else data.reason_code.value,
            reason=None if granted else (data.reason or "").strip() or None,
            reported_by=principal.name,
            reported_at=now,
        )
    )
    audit.record(
        session,
        actor=principal.name,
        action=f"whitelist.{new_status.value}",
        entity_type="whitelist_entry",
        entity_id=str(entry_id),
        after={"status": new_status.value, "amount_fen": registration.amount_fen}
        if registration
        else {"status": new_status.value, "reason_code": data.reason_code.value},
    )
    session.flush()
    return OutcomeResult(
        entry=get_entry(session, principal, entry_id, now),
        registration=registration_read(session, registration) if registration else None,
    )


# --- staff ----------------------------------------------------------------------------------


_STAGE_COUNTS = ("entries", "pushed", "acknowledged", "granted", "declined", "expired", "open")


def _funnel(session: Session, now: datetime, by: str) -> dict[Any, dict[str, int]]:
    """The pipeline's counts per bank id (`by="bank"`) or per the enterprise's industry cluster
    (`by="cluster"`): proposals awaiting review or approved, then the entries' stages."""
    counts: dict[Any, dict[str, int]] = {}

    def add(key: Any, name: str, value: int) -> None:
        counts.setdefault(key, {})[name] = int(value or 0)

    by_cluster = by == "cluster"
    proposal_key = Enterprise.industry_cluster if by_cluster else MatchProposal.bank_id
    entry_key = Enterprise.industry_cluster if by_cluster else WhitelistEntry.bank_id
    proposals = (
        select(proposal_key, MatchProposal.status, func.count())
        .select_from(MatchProposal)
        .where(MatchProposal.status.in_([ProposalStatus.proposed, ProposalStatus.approved]))
    )
    if by_cluster:
        proposals = proposals.join(Enterprise, Enterprise.id == MatchProposal.enterprise_id)
    for key, status, n in session.execute(proposals.group_by(proposal_key, MatchProposal.status)):
        add(key, status, n)
    status = effective_status(now)
    delivered = (
        select(FeedDelivery.last_position)
        .where(FeedDelivery.bank_id == WhitelistEntry.bank_id)
        .correlate(WhitelistEntry)
        .scalar_subquery()
    )
    entries = select(
        entry_key,
        func.count(),
        func.sum(case((WhitelistEntry.feed_position <= func.coalesce(delivered, 0), 1), else_=0)),
        func.sum(case((WhitelistEntry.acknowledged_at.is_not(None), 1), else_=0)),
        func.sum(case((status == EntryStatus.granted.value, 1), else_=0)),
        func.sum(case((status == EntryStatus.declined.value, 1), else_=0)),
        func.sum(case((status == EntryStatus.expired.value, 1), else_=0)),
        func.sum(case((status.in_([s.value for s in OPEN]), 1), else_=0)),
    ).select_from(WhitelistEntry)
    amounts = (
        select(entry_key, func.sum(WhitelistOutcome.amount_fen))
        .select_from(WhitelistEntry)
        .join(WhitelistOutcome, WhitelistOutcome.entry_id == WhitelistEntry.id)
        .where(WhitelistOutcome.outcome == EntryStatus.granted.value)
    )
    if by_cluster:
        entries = entries.join(Enterprise, Enterprise.id == WhitelistEntry.enterprise_id)
        amounts = amounts.join(Enterprise, Enterprise.id == WhitelistEntry.enterprise_id)
    for key, *values in session.execute(entries.group_by(entry_key)):
        for name, value in zip(_STAGE_COUNTS, values, strict=True):
            add(key, name, value)
    for key, amount in session.execute(amounts.group_by(entry_key)):
        add(key, "granted_amount_fen", amount)
    return counts


def _stages(c: dict[str, int]) -> dict[str, int]:
    return {
        "proposed": c.get("proposed", 0),
        "approved": c.get("entries", 0),  # every approval publishes exactly one entry
        "pushed": c.get("pushed", 0),
        "acknowledged": c.get("acknowledged", 0),
        "granted": c.get("granted", 0),
        "declined": c.get("declined", 0),
        "expired": c.get("expired", 0),
        "open": c.get("open", 0),
        "granted_amount_fen": c.get("granted_amount_fen", 0),
    }


def pipeline(session: Session, now: datetime) -> list[PipelineRow]:
    """Each bank's funnel: proposed → approved → pushed → acknowledged → granted / declined / expired."""
    counts = _funnel(session, now, "bank")
    banks = session.execute(select(Bank.id, Bank.code).order_by(Bank.code)).all()
    return [PipelineRow(bank_code=code, **_stages(counts.get(bank_id, {}))) for bank_id, code in banks]


def pipeline_by_cluster(session: Session, now: datetime) -> list[ClusterPipelineRow]:
    """The same funnel per industry cluster of the enterprise (every cluster, in the plan's order)."""
    counts = _funnel(session, now, "cluster")
    return [ClusterPipelineRow(cluster=cluster.value, **_stages(counts.get(cluster.value, {}))) for cluster in Cluster]


# --- scheduled -------------------------------------------------------------------------------


def expire_entries(session: Session, now: datetime) -> dict[int, int]:
    """Close open entries whose time has run out (`whitelist-expiry` job); readers already saw
    them as expired, this makes it stored. Each bank with expired entries gets a notice.
    Returns the count per bank id."""
    expired = session.execute(
        update(WhitelistEntry)
        .where(WhitelistEntry.status.in_(OPEN), WhitelistEntry.expires_at <= now)
        .values(status=EntryStatus.expired, version=WhitelistEntry.version + 1)
        .returning(WhitelistEntry.id, WhitelistEntry.bank_id)
    ).all()
    per_bank: dict[int, list[int]] = {}
    for entry_id, bank_id in expired:
        per_bank.setdefault(bank_id, []).append(entry_id)
    for bank_id, ids in per_bank.items():
        audit.record(
            session,
            actor="scheduler",
            action="whitelist.expired",
            entity_type="bank",
            entity_id=bank_id,
            after={"entries": sorted(ids)},
        )
        notifications.enqueue(session, bank_id, "whitelist.entries_expired", {"entry_ids": sorted(ids)})
    return {bank_id: len(ids) for bank_id, ids in per_bank.items()}
