"""Time is UTC and timezone-aware everywhere; this is the one place that reads the clock."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def month_key(moment: datetime) -> str:
    """The calendar month (UTC) that monthly limits count in, as ``YYYY-MM``."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return f"{moment.year:04d}-{moment.month:02d}"  # strftime cost more, on every request


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds: ``2026-12-05T10:15:00.700Z`` (the APIs' timestamps)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
