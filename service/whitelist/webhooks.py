"""Signed notices that a bank's feed has new entries, per Standard Webhooks (standardwebhooks.com).

A notice is small — `{"type": "whitelist.entries_available", "bank": ..., "feed_position": ...}`
— and carries no entry data: the pull feed stays the source of truth, so a lost or repeated notice
costs nothing but a pull. Headers: `webhook-id` (unique per notice, the receiver's dedup key),
`webhook-timestamp` (Unix seconds) and `webhook-signature`: `v1,` + base64 HMAC-SHA256 over
`{id}.{timestamp}.{body}` with the secret's base64-decoded bytes (after its `whsec_` prefix).

Not built yet (see the report of issue 9): storing each bank's URL and secret, and running the
deliveries from the scheduler with their retries recorded in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

SECRET_PREFIX = "whsec_"
# Retry delays, seconds, after the first attempt (Standard Webhooks suggests an increasing schedule).
BACKOFF = (5, 30, 120, 600, 1800)


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret[len(SECRET_PREFIX) :])


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def verify(
    secret: str, received: dict[str, str], body: bytes, *, tolerance: int = 300, now: float | None = None
) -> bool:
    """What a receiver checks: a matching v1 signature and a timestamp within `tolerance` seconds."""
    try:
        timestamp = int(received["webhook-timestamp"])
        expected = signature(secret, received["webhook-id"], timestamp, body)
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    offered = received.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    attempts: int
    last_status: int | None


def deliver(
    url: str,
    secret: str,
    msg_id: str,
    body: bytes,
    *,
    client: httpx.Client,
    delays: tuple[float, ...] = BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST one notice, retrying on network errors, 429 and 5xx with backoff (±20% jitter).

    The same `msg_id` is sent on every attempt, so the receiver can drop duplicates; each attempt
    is signed afresh with its own timestamp. A 4xx other than 429 is final."""
    if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
        raise ValueError("webhook URLs must be HTTPS")
    status = None
    for attempt in range(len(delays) + 1):
        if attempt:
            sleep(delays[attempt - 1] * random.uniform(0.8, 1.2))
        timestamp = int(time.time())
        try:
            response = client.post(url, content=body, headers=headers(secret, msg_id, timestamp, body), timeout=10)
            status = response.status_code
        except httpx.HTTPError:
            status = None
            continue
        if 200 <= status < 300:
            return Delivery(True, attempt + 1, status)
        if status != 429 and status < 500:
            return Delivery(False, attempt + 1, status)
    return Delivery(False, len(delays) + 1, status)
