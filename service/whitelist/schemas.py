"""What the bank feed sends and accepts (msgspec Structs; never the tables themselves)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from service.models.enums import DeclineReason, EntryStatus, IpType

# Bounds on untrusted numbers and lists before they reach the database (DESIGN.md §10).
MAX_FEN = 10**14  # ¥1 trillion: above any pledge, far below a 64-bit column
MAX_ITEMS = 50


class OutcomeRead(msgspec.Struct):
    outcome: str
    reported_at: datetime
    reported_by: str | None
    amount_fen: int | None = None
    registration_no: str | None = None
    registration_date: date | None = None
    reason_code: str | None = None
    reason: str | None = None


class EntryRead(msgspec.Struct):
    """One whitelist entry. `status` is as of the request: an open entry past `expires_at` is
    `expired` even before any job marks it so."""

    id: int
    bank_code: str
    feed_position: int
    status: EntryStatus
    published_at: datetime
    acknowledged_at: datetime | None
    expires_at: datetime
    amount_fen: int
    product_code: str
    enterprise_credit_code: str
    enterprise_name: str
    # What a loan officer needs (DESIGN.md §7); served as stored (a msgspec.Raw at run time).
    content: dict[str, Any]
    outcome: OutcomeRead | None = None


class FeedPage(msgspec.Struct):
    """A page of the feed. Pass `next_cursor` as `after` to get what comes next; it is returned
    even when the page is empty, so a poller always continues from where it stopped."""

    items: list[EntryRead]
    next_cursor: str
    has_more: bool


class IpItemRead(msgspec.Struct):
    ip_type: IpType
    number: str


class RegistrationRead(msgspec.Struct):
    registration_no: str
    registration_date: date
    ip_type: IpType
    amount_fen: int
    loan_start: date
    loan_end: date
    patents: list[str]
    items: list[IpItemRead]


class OutcomeResult(msgspec.Struct):
    """The answer to an outcome report; a replay with the same Idempotency-Key gets it again."""

    entry: EntryRead
    registration: RegistrationRead | None


Fen = Annotated[int, msgspec.Meta(gt=0, le=MAX_FEN, description="fen (1/100 yuan)")]
Numbers = Annotated[list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(max_length=MAX_ITEMS)]


class GrantedOutcome(msgspec.Struct, tag_field="outcome", tag="granted", forbid_unknown_fields=True):
    """The loan was granted and the pledge registered with CNIPA (质押登记)."""

    amount_fen: Fen
    registration_no: Annotated[
        str, msgspec.Meta(min_length=6, max_length=40, pattern=r"^[A-Za-z0-9\-]+$", examples=["Y2026500000789"])
    ]
    registration_date: date
    loan_start: date
    loan_end: date
    patents: Annotated[Numbers, msgspec.Meta(description="application numbers (申请号) of pledged patents")] = []
    trademarks: Annotated[Numbers, msgspec.Meta(description="registration numbers (注册号) of pledged trademarks")] = []
    other_ip: Annotated[Numbers, msgspec.Meta(description="numbers of other pledged IP (e.g. layout designs)")] = []


class DeclinedOutcome(msgspec.Struct, tag_field="outcome", tag="declined", forbid_unknown_fields=True):
    """The bank will not lend on this entry; `reason` text is required when the code is `other`."""

    reason_code: DeclineReason
    reason: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


OutcomeCreate = GrantedOutcome | DeclinedOutcome


class PipelineRow(msgspec.Struct):
    """One bank's whitelist funnel. proposed: awaiting review; approved: entries published;
    pushed: entries the bank has pulled; acknowledged; then granted / declined / expired (no outcome
    in time); open: published, not expired, no outcome yet."""

    bank_code: str
    proposed: int
    approved: int
    pushed: int
    acknowledged: int
    granted: int
    declined: int
    expired: int
    open: int
    granted_amount_fen: int


class ClusterPipelineRow(msgspec.Struct):
    """The same funnel for the enterprises of one industry cluster (issue 13: by bank and by cluster)."""

    cluster: str
    proposed: int
    approved: int
    pushed: int
    acknowledged: int
    granted: int
    declined: int
    expired: int
    open: int
    granted_amount_fen: int
