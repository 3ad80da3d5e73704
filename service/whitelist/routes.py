"""The bank-facing whitelist feed (DESIGN.md §7): pull, read, acknowledge, report outcomes;
staff see every bank's entries and the pipeline. Handlers parse, call service.whitelist.service
and map; the transaction is the request's (service.deps)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.openapi.spec import Example
from litestar.params import Body, FromQuery, HeaderParameter, PathParameter, QueryParameter

from service.deps import ANYONE_WITH_A_KEY, BANK, STAFF, Authorized, DbSession
from service.errors import error_responses
from service.models.enums import EntryStatus
from service.models.types import utcnow
from service.pagination import Limit, Offset, Page, page_of
from service.whitelist import cursor, idempotency
from service.whitelist import service as whitelist
from service.whitelist.schemas import (
    ClusterPipelineRow,
    EntryRead,
    FeedPage,
    OutcomeCreate,
    OutcomeResult,
    PipelineRow,
)

EntryId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="whitelist entry id")]
After = Annotated[
    str | None,
    QueryParameter(
        max_length=64, description="the `next_cursor` of the previous page; omit to start from the beginning"
    ),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        max_length=255,
        description="a unique key per report (e.g. a UUID); a retry with the same key and body replays the answer",
        examples=[Example(value="5f0c6a52-8d0e-4bd4-9f0e-1f6b2b8f9a10")],
    ),
]

OutcomeBody = Annotated[
    OutcomeCreate,
    Body(
        description="`granted` with the CNIPA registration, or `declined` with a reason code",
        examples=[
            Example(
                summary="granted: a patent and a trademark pledged",
                value={
                    "outcome": "granted",
                    "amount_fen": 150_000_000,
                    "registration_no": "Y2026500000789",
                    "registration_date": "2026-11-20",
                    "loan_start": "2026-11-22",
                    "loan_end": "2027-11-21",
                    "patents": ["201810200002.3"],
                    "trademarks": ["31234567"],
                },
            ),
            Example(
                summary="declined",
                value={"outcome": "declined", "reason_code": "terms_not_agreed", "reason": "利率未达成一致"},
            ),
        ],
    ),
]
_UNAUTHORIZED = [
    ("unauthorized", "send an API key: Authorization: Bearer <key>"),
    ("invalid_api_key", "the API key is unknown or revoked"),
]
_NOT_FOUND = [("not_found", "whitelist entry 42 not found")]
READ_ERRORS = error_responses(
    400,
    401,
    403,
    404,
    examples={
        400: [("invalid_cursor", "the cursor is not one this service issued; start again without `after`")],
        401: _UNAUTHORIZED,
        404: _NOT_FOUND,
    },
)
ACK_ERRORS = error_responses(
    400,
    401,
    403,
    404,
    409,
    422,
    examples={
        401: _UNAUTHORIZED,
        404: _NOT_FOUND,
        409: [
            ("entry_expired", "entry 42 expired at 2027-02-01T08:00:00+00:00"),
            ("outcome_exists", "entry 42 already has its outcome (granted)"),
        ],
    },
)
OUTCOME_ERRORS = error_responses(
    400,
    401,
    403,
    404,
    409,
    413,
    422,
    examples={
        400: [
            ("idempotency_key_required", "send an Idempotency-Key header (e.g. a UUID) with the report"),
            ("invalid_request", "the request is invalid; see details"),
        ],
        401: _UNAUTHORIZED,
        404: _NOT_FOUND,
        409: [
            ("outcome_exists", "entry 42 already has its outcome (declined)"),
            ("entry_expired", "entry 42 expired at 2027-02-01T08:00:00+00:00"),
            ("request_in_flight", "a report with this Idempotency-Key is in progress; retry"),
        ],
        422: [
            ("outcome_invalid", "the granted outcome was refused; details name every problem"),
            ("idempotency_key_reused", "this Idempotency-Key was used for a different request"),
            ("reason_required", "give the reason text when reason_code is other"),
        ],
    },
)


class WhitelistController(Controller):
    path = "/api/v1/whitelist"
    tags = ["whitelist"]

    @get(
        "/",
        sync_to_thread=True,
        responses=READ_ERRORS,
        dependencies={"caller": ANYONE_WITH_A_KEY},
        summary="Pull whitelist entries after a cursor (a bank: its own; staff: all, filters bank/status)",
        description="Entries in feed order (bank, feed position). Pass the page's `next_cursor` as `after` "
        "to get exactly what came after it — also entries published since — with none skipped or repeated. "
        "`status` is evaluated now: open entries past `expires_at` are `expired`. A staff key without `bank` "
        "pages through all banks in (bank, position) order: to follow one bank's new entries, pass `bank`.",
    )
    def feed(
        self,
        db_session: DbSession,
        caller: Authorized,
        state: State,
        after: After = None,
        limit: Limit = 50,
        status: FromQuery[EntryStatus | None] = None,
        bank: FromQuery[str | None] = None,
    ) -> FeedPage:
        secret = state.settings.secret_key
        start = cursor.decode(after, secret) if after else None
        items, last, has_more = whitelist.feed(
            db_session, caller, after=start, limit=limit, now=utcnow(), status=status, bank_code=bank
        )
        return FeedPage(items=items, next_cursor=cursor.encode(last, secret), has_more=has_more)

    @get(
        "/pipeline",
        sync_to_thread=True,
        responses=READ_ERRORS,
        dependencies={"staff": STAFF},
        summary="Pipeline by bank: proposed → approved → pushed → acknowledged → granted / declined / expired",
    )
    def pipeline(
        self, db_session: DbSession, staff: Authorized, limit: Limit = 50, offset: Offset = 0
    ) -> Page[PipelineRow]:
        return page_of(whitelist.pipeline(db_session, utcnow()), limit, offset)

    @get(
        "/pipeline/clusters",
        sync_to_thread=True,
        responses=READ_ERRORS,
        dependencies={"staff": STAFF},
        summary="Pipeline by industry cluster of the enterprise (the same stages as by bank)",
    )
    def pipeline_by_cluster(
        self, db_session: DbSession, staff: Authorized, limit: Limit = 50, offset: Offset = 0
    ) -> Page[ClusterPipelineRow]:
        return page_of(whitelist.pipeline_by_cluster(db_session, utcnow()), limit, offset)

    @get(
        "/{entry_id:int}",
        sync_to_thread=True,
        responses=READ_ERRORS,
        dependencies={"caller": ANYONE_WITH_A_KEY},
        summary="One whitelist entry with its outcome (another bank's: 404)",
    )
    def entry(self, db_session: DbSession, caller: Authorized, entry_id: EntryId) -> EntryRead:
        return whitelist.get_entry(db_session, caller, entry_id, utcnow())

    @post(
        "/{entry_id:int}/ack",
        sync_to_thread=True,
        status_code=200,
        responses=ACK_ERRORS,
        dependencies={"bank": BANK},
        summary="Acknowledge an entry (bank); again is a no-op",
    )
    def acknowledge(self, db_session: DbSession, bank: Authorized, entry_id: EntryId) -> EntryRead:
        return whitelist.acknowledge(db_session, bank, entry_id, utcnow())

    @post(
        "/{entry_id:int}/outcome",
        sync_to_thread=True,
        status_code=201,
        responses=OUTCOME_ERRORS,
        dependencies={"bank": BANK},
        summary="Report an entry's outcome (bank): granted, registering the pledge, or declined",
        description="Needs an `Idempotency-Key` header. The same key with the same body replays the first "
        "answer (header `Idempotent-Replayed: true`); the same key with another body is 422. A granted outcome "
        "is checked (amount within the product's range, the patents owned by the enterprise, eligible by their "
        "latest valuation, not already pledged and outliving the loan, registration number unused) and creates "
        "the pledge registration that counts toward the target, in the same transaction. Decline reason codes: "
        "insufficient_collateral, credit_risk, ip_defect, no_financing_need, terms_not_agreed, quota_exhausted, "
        "other (text required).",
    )
    def outcome(
        self,
        db_session: DbSession,
        bank: Authorized,
        state: State,
        entry_id: EntryId,
        data: OutcomeBody,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[OutcomeResult]:
        key = idempotency.checked_key(idempotency_key)
        now = utcnow()
        digest = idempotency.request_hash(f"whitelist/{entry_id}/outcome", data)
        keep = timedelta(days=state.settings.idempotency_key_days)
        claim = idempotency.claim(db_session, f"bank:{bank.bank_id}", key, digest, now, keep)
        if claim.row_id is None:
            return Response(claim.body, status_code=claim.status_code, headers={"Idempotent-Replayed": "true"})
        result = whitelist.report_outcome(db_session, bank, entry_id, data, now)
        idempotency.store(db_session, claim.row_id, 201, result)
        return Response(result, status_code=201)
