"""Opaque, signed feed cursors.

A cursor names the last entry a page ended on, as (bank id, feed position) — the feed's order —
and carries an HMAC-SHA256 tag under IPFIN_SECRET_KEY, so a client can neither read meaning into
it nor forge or edit one (an edited cursor is a 400, not a silently different page).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass

from service.errors import ApiError

_VERSION = 1
_LAYOUT = struct.Struct(">BQQ")  # version, bank id, feed position
_TAG_BYTES = 16
_MAX_TEXT = 64  # a cursor is 44 characters; refuse anything much longer before decoding


@dataclass(frozen=True)
class Cursor:
    bank_id: int
    position: int


def _tag(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), b"ipfin-feed-cursor|" + payload, hashlib.sha256).digest()[:_TAG_BYTES]


def encode(cursor: Cursor, secret: str) -> str:
    payload = _LAYOUT.pack(_VERSION, cursor.bank_id, cursor.position)
    return base64.urlsafe_b64encode(payload + _tag(secret, payload)).decode().rstrip("=")


def decode(text: str, secret: str) -> Cursor:
    """The cursor, or a 400 `invalid_cursor` for anything this service did not sign."""
    invalid = ApiError(400, "invalid_cursor", "the cursor is not one this service issued; start again without `after`")
    if len(text) > _MAX_TEXT:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise invalid from None
    if len(raw) != _LAYOUT.size + _TAG_BYTES:
        raise invalid
    payload, tag = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
    if not hmac.compare_digest(tag, _tag(secret, payload)):
        raise invalid
    version, bank_id, position = _LAYOUT.unpack(payload)
    if version != _VERSION or bank_id >= 2**63 or position >= 2**63:
        raise invalid
    return Cursor(bank_id, position)
