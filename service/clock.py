"""The service's clock: now and today in UTC (no database needed; the tables re-export them)."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def utctoday() -> date:
    """Today's date in UTC: the default valuation, matching and progress date."""
    return datetime.now(UTC).date()
