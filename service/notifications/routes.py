"""A bank's notification endpoint: register (the signing secret is shown once), read, disable."""

from __future__ import annotations

from litestar import Controller, delete, get, put
from litestar.datastructures import State
from litestar.params import JSONBody

from service.deps import Authorized, DbSession, require
from service.errors import error_responses
from service.models import Bank
from service.notifications import service as notifications
from service.notifications.schemas import EndpointCreate, EndpointCreated, EndpointRead, MessageRead
from service.structs import from_row

_READ = error_responses(400, 401, 403, 404)
_WRITE = error_responses(400, 401, 403, 404, 413, 422)


class NotificationController(Controller):
    path = "/api/v1/bank/webhook"
    tags = ["banks"]
    dependencies = {"bank": require("bank")}

    @put(
        "/",
        sync_to_thread=True,
        responses=_WRITE,
        summary="Register (or replace) the bank's notification URL; answers a new signing secret, once",
        description="Notices follow Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature "
        "`v1,` HMAC-SHA256). Types: `whitelist.entries_available` (pull the feed), "
        "`whitelist.entries_expired`, `alert.raised` (a pledged or whitelisted patent's annual fee). "
        "A notice carries no entry data; the feed stays the source of truth.",
    )
    def register(
        self, state: State, db_session: DbSession, bank: Authorized, data: JSONBody[EndpointCreate]
    ) -> EndpointCreated:
        row = db_session.get(Bank, bank.bank_id)
        secret = notifications.register_endpoint(
            db_session, row, data.url.strip(), allow_loopback=state.settings.webhook_allow_loopback, actor=bank.name
        )
        return EndpointCreated(url=data.url.strip(), active=True, secret=secret)

    @get("/", sync_to_thread=True, responses=_READ, summary="The bank's notification URL and its latest notices")
    def read(self, db_session: DbSession, bank: Authorized) -> EndpointRead:
        endpoint = notifications.get_endpoint(db_session, bank.bank_id)
        recent = [from_row(MessageRead, m) for m in notifications.recent_messages(db_session, bank.bank_id)]
        return from_row(EndpointRead, endpoint, recent=recent)

    @delete(
        "/",
        sync_to_thread=True,
        responses=_READ,
        status_code=200,
        summary="Stop notifications (the feed is unaffected)",
    )
    def disable(self, db_session: DbSession, bank: Authorized) -> EndpointRead:
        endpoint = notifications.disable_endpoint(db_session, db_session.get(Bank, bank.bank_id), actor=bank.name)
        return from_row(EndpointRead, endpoint, recent=[])
