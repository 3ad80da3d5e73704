"""Signing per Standard Webhooks (standardwebhooks.com).

Headers: `webhook-id` (unique per notice, the receiver's dedup key), `webhook-timestamp` (Unix
seconds) and `webhook-signature`: `v1,` + base64 HMAC-SHA256 over `{id}.{timestamp}.{body}` with the
secret's base64-decoded bytes (after its `whsec_` prefix). `verify` is what a bank's receiver does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


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
