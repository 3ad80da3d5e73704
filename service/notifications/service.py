"""Notifications to banks: each bank's endpoint, an outbox written in the event's own transaction,
and delivery by the scheduler's `webhook-delivery` job with retries and backoff.

A notice is small — `{"type": "whitelist.entries_available", "timestamp": …, "data": {"bank": …,
"feed_position": …}}` — and carries no entry data: the pull feed stays the source of truth, so a
lost or repeated notice costs nothing but a pull. Every attempt sends the same `webhook-id`.
"""

from __future__ import annotations

import contextlib
import json
import random
import secrets
import socket
import time
from datetime import datetime, timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from service import audit
from service.db import transaction
from service.errors import ApiError
from service.models import Bank, WebhookEndpoint, WebhookMessage
from service.models.enums import WebhookStatus
from service.models.types import utcnow
from service.notifications.signing import headers, new_secret

IPAddress = IPv4Address | IPv6Address

# Seconds to wait after the n-th failed attempt (Standard Webhooks suggests an increasing
# schedule); after the last, the message is given up as failed.
BACKOFF = (5, 30, 120, 600, 1800, 7200)
# A delivery claims its message for this long, so an overlapping run does not send it twice.
LEASE = timedelta(minutes=2)
TIMEOUT_SECONDS = 10


def url_problem(url: str, *, allow_loopback: bool) -> str | None:
    """Why a bank's endpoint URL is refused, or None: HTTPS with a public host; plain HTTP only to
    loopback, and only when the deployment allows it (tests, a bank's local trial). A host name is
    resolved only when a notice is sent (:func:`vetted_address`): the bank's DNS may change."""
    if len(url) > 500:
        return "the URL is longer than 500 characters"
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return "the URL has no host"
    try:
        _ = parts.port  # parsed when read: out of range or not a number raises
    except ValueError:
        return "the URL's port is not a port number"
    loopback = host == "localhost" or host.endswith(".localhost")
    with contextlib.suppress(ValueError):
        address = ip_address(host)
        loopback = address.is_loopback
        if not loopback and not address.is_global:
            return "the URL's host is a private or reserved address"
    if loopback and not allow_loopback:
        return "the URL's host is this machine (loopback)"
    if parts.scheme == "https" or (parts.scheme == "http" and loopback):
        return None
    return "notification URLs must use HTTPS"


def vetted_address(host: str, port: int, *, allow_loopback: bool) -> tuple[IPAddress | None, str | None]:
    """The address a notice to ``host`` is sent to, or why none is: every address the host resolves
    to must be public. A bank's host resolving to a private, link-local (a cloud's metadata
    service), reserved or — unless allowed — loopback address would let its URL reach the county's
    own network. The notice then goes to the address checked here (:func:`_attempt`), not to what
    the name resolves to a moment later (DNS rebinding)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return None, f"the host {host} does not resolve ({exc})"
    addresses = [ip_address(sockaddr[0]) for *_, sockaddr in found]
    for address in addresses:
        if address.is_loopback and allow_loopback:
            continue
        if not address.is_global:
            return None, f"the host {host} resolves to a private or reserved address ({address})"
    if not addresses:
        return None, f"the host {host} does not resolve"
    return addresses[0], None


def register_endpoint(session: Session, bank: Bank, url: str, *, allow_loopback: bool, actor: str) -> str:
    """Set the bank's endpoint and a fresh signing secret; the secret is returned once."""
    problem = url_problem(url, allow_loopback=allow_loopback)
    if problem:
        raise ApiError(422, "invalid_url", problem, [{"field": "url", "message": problem}])
    secret = new_secret()
    endpoint = session.get(WebhookEndpoint, bank.id)
    before = None if endpoint is None else {"url": endpoint.url, "active": endpoint.active}
    if endpoint is None:
        endpoint = WebhookEndpoint(bank_id=bank.id, url=url, secret=secret)
    else:
        endpoint.url, endpoint.secret, endpoint.active, endpoint.updated_at = url, secret, True, utcnow()
    session.add(endpoint)
    audit.record(
        session,
        actor=actor,
        action="webhook.register",
        entity_type="bank",
        entity_id=bank.code,
        before=before,
        after={"url": url, "active": True},
    )
    return secret


def get_endpoint(session: Session, bank_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, bank_id)
    if endpoint is None:
        raise ApiError(404, "not_found", "no notification endpoint is registered")
    return endpoint


def disable_endpoint(session: Session, bank: Bank, *, actor: str) -> WebhookEndpoint:
    endpoint = get_endpoint(session, bank.id)
    endpoint.active, endpoint.updated_at = False, utcnow()
    session.add(endpoint)
    audit.record(session, actor=actor, action="webhook.disable", entity_type="bank", entity_id=bank.code)
    return endpoint


def enqueue(session: Session, bank_id: int, event_type: str, data: dict[str, Any], *, coalesce: bool = False) -> None:
    """Queue a notice for the bank, in the caller's transaction, when it has an active endpoint.

    `coalesce`: a notice of the same type still waiting for its first attempt is updated instead
    (ten entries published in a minute make one "entries available" notice, not ten)."""
    active = session.scalar(
        select(WebhookEndpoint.bank_id).where(WebhookEndpoint.bank_id == bank_id, WebhookEndpoint.active)
    )
    if active is None:
        return
    if coalesce:
        updated = session.execute(
            update(WebhookMessage)
            .where(
                WebhookMessage.bank_id == bank_id,
                WebhookMessage.event_type == event_type,
                WebhookMessage.status == WebhookStatus.pending,
                WebhookMessage.attempts == 0,
            )
            .values(payload=data)
        ).rowcount
        if updated:
            return
    session.add(
        WebhookMessage(msg_id=f"msg_{secrets.token_urlsafe(18)}", bank_id=bank_id, event_type=event_type, payload=data)
    )


def body(message: WebhookMessage) -> bytes:
    envelope = {"type": message.event_type, "timestamp": message.created_at.isoformat(), "data": message.payload}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _claim(engine: Engine, message_id: int, now: datetime) -> tuple[WebhookMessage, WebhookEndpoint | None] | None:
    """Lease one due message (a conditional UPDATE: an overlapping delivery run gets nothing)."""
    with transaction(engine) as session:
        leased = session.execute(
            update(WebhookMessage)
            .where(
                WebhookMessage.id == message_id,
                WebhookMessage.status == WebhookStatus.pending,
                WebhookMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + LEASE)
        ).rowcount
        if not leased:
            return None
        message = session.get(WebhookMessage, message_id)
        return message, session.get(WebhookEndpoint, message.bank_id)


def _attempt(
    client: httpx.Client, endpoint: WebhookEndpoint, message: WebhookMessage, *, allow_loopback: bool
) -> tuple[int | None, str | None]:
    address, port, problem = None, 0, url_problem(endpoint.url, allow_loopback=allow_loopback)
    parts = urlsplit(endpoint.url)
    if problem is None:  # the port is read only now: an impossible one raises when read
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address, problem = vetted_address(parts.hostname or "", port, allow_loopback=allow_loopback)
    if address is None:  # not sent; retried on the schedule (the bank may correct its DNS or URL)
        return None, (problem or "")[:500]
    payload = body(message)
    # Sent to the address just vetted; the request still names the bank's host (Host header, and
    # TLS's server name, against which the certificate is checked).
    userinfo, at, host = parts.netloc.rpartition("@")
    literal = f"[{address}]" if address.version == 6 else str(address)
    try:
        response = client.post(
            parts._replace(netloc=f"{userinfo}{at}{literal}:{port}").geturl(),
            content=payload,
            headers={**headers(endpoint.secret, message.msg_id, int(time.time()), payload), "Host": host},
            extensions={"sni_hostname": parts.hostname},
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    return response.status_code, None if response.is_success else f"HTTP {response.status_code}"


def _outcome(status: int | None, attempts: int, now: datetime) -> dict[str, Any]:
    """The message's next state after its `attempts`-th attempt answered `status`."""
    if status is not None and 200 <= status < 300:
        return {"status": WebhookStatus.delivered, "delivered_at": now}
    final = status is not None and status < 500 and status not in (408, 429)  # the bank refuses it
    if final or attempts > len(BACKOFF):
        return {"status": WebhookStatus.failed}
    delay = BACKOFF[attempts - 1] * random.uniform(0.8, 1.2)  # jitter spreads a bank's retries
    return {"next_attempt_at": now + timedelta(seconds=delay)}


def deliver_due(
    engine: Engine, now: datetime, *, client: httpx.Client, allow_loopback: bool = False, limit: int = 200
) -> dict[str, int]:
    """One attempt for each message due at `now`; the result and the next attempt are recorded.
    No transaction is open while a bank's server is being called."""
    with transaction(engine) as session:
        due = session.scalars(
            select(WebhookMessage.id)
            .where(WebhookMessage.status == WebhookStatus.pending, WebhookMessage.next_attempt_at <= now)
            .order_by(WebhookMessage.id)
            .limit(limit)
        ).all()
    counts = {"due": len(due), "delivered": 0, "retrying": 0, "failed": 0}
    for message_id in due:
        claimed = _claim(engine, message_id, now)
        if claimed is None:
            continue
        message, endpoint = claimed
        if endpoint is None or not endpoint.active:
            status, error, values = None, "the bank's endpoint is disabled", {"status": WebhookStatus.failed}
        else:
            status, error = _attempt(client, endpoint, message, allow_loopback=allow_loopback)
            values = _outcome(status, message.attempts + 1, now)
        with transaction(engine) as session:
            session.execute(
                update(WebhookMessage)
                .where(WebhookMessage.id == message_id)
                .values(attempts=WebhookMessage.attempts + 1, last_status_code=status, last_error=error, **values)
            )
        counts[str(values.get("status", "retrying"))] += 1
    return counts


def recent_messages(session: Session, bank_id: int, limit: int = 20) -> list[WebhookMessage]:
    return list(
        session.scalars(
            select(WebhookMessage)
            .where(WebhookMessage.bank_id == bank_id)
            .order_by(WebhookMessage.id.desc())
            .limit(limit)
        ).all()
    )
