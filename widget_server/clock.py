"""Time is UTC and timezone-aware everywhere; this is the one place that reads the clock."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def month_key(moment: datetime) -> str:
    """The calendar month (UTC) that monthly limits count in, as ``YYYY-MM``."""
    return moment.astimezone(UTC).strftime("%Y-%m")
