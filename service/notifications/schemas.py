"""Shapes of a bank's notification settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec


class EndpointCreate(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=500, description="HTTPS URL that receives notices")]


class MessageRead(msgspec.Struct):
    msg_id: str
    event_type: str
    status: str  # pending | delivered | failed
    attempts: int
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None


class EndpointRead(msgspec.Struct):
    url: str
    active: bool
    created_at: datetime
    updated_at: datetime
    recent: list[MessageRead]  # the latest notices, newest first


class EndpointCreated(msgspec.Struct):
    url: str
    active: bool
    secret: str  # `whsec_…`: shown this once; verify each notice's `webhook-signature` with it
