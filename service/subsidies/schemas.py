"""Request and response shapes of the 免申即享 API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec


class Evaluation(msgspec.Struct, forbid_unknown_fields=True):
    start: date
    end: date


class Payment(msgspec.Struct, forbid_unknown_fields=True):
    reference: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class Fact(msgspec.Struct):
    event_key: str
    application_nos: list[str]
    fact: str  # zh-CN
    amount_fen: int


class SubsidyLineRead(msgspec.Struct):
    id: int
    rule_code: str
    rule_name: str
    rules_effective_from: date
    period_start: date
    period_end: date
    enterprise_id: int
    enterprise: str
    credit_code: str
    amount_fen: int
    facts: list[Fact]
    status: str
    evaluated_at: datetime
    paid_at: datetime | None
    payment_reference: str | None


class EvaluationResult(msgspec.Struct):
    start: date
    end: date
    lines_added: int
    amount_fen: int
    items: list[SubsidyLineRead]
