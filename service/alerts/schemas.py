"""Shapes of the alerts API."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class AlertRead(msgspec.Struct):
    id: int
    kind: str
    application_no: str
    bank_code: str
    registration_id: int | None
    entry_id: int | None
    fee_year: int
    due_date: date
    grace_end: date
    stage: str  # due | grace | lapsed
    fee_fen: int
    late_fee_fen: int
    message: str  # zh-CN
    raised_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    close_reason: str | None
