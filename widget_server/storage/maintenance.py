"""Purging what can never be used again: expired codes, tokens, grants and sessions, old
idempotency keys and the stream logs of answers that ended a day ago.

Rows are kept a day past their end, so that a late replay of a code or a refresh token
still finds its record (and its grant gets revoked, not silently ignored).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete, or_, select

from ..clock import utcnow
from .database import Database
from .schema import (
    access_tokens,
    authorization_codes,
    grants,
    idempotency_keys,
    message_chunks,
    messages,
    sessions,
)

GRACE = timedelta(days=1)
INTERVAL_S = 3600
log = logging.getLogger("widget_server")


async def purge_expired(db: Database) -> int:
    """Delete dead rows; returns how many went. Deleting a grant takes its tokens along."""
    cutoff = utcnow() - GRACE
    statements = [
        delete(authorization_codes).where(authorization_codes.c.expires_at < cutoff),
        delete(access_tokens).where(access_tokens.c.expires_at < cutoff),
        delete(grants).where(or_(grants.c.expires_at < cutoff, grants.c.revoked_at < cutoff)),
        delete(sessions).where(sessions.c.expires_at < utcnow()),
        # Retries are answered once for a day; then the key is free again.
        delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff),
        # An answer's stream log serves resumes for a day after it ended; then the saved
        # text alone is replayed.
        delete(message_chunks).where(
            message_chunks.c.message_pk.in_(
                select(messages.c.pk).where(
                    messages.c.status != "in_progress", messages.c.updated_at < cutoff
                )
            )
        ),
    ]
    removed = 0
    async with db.transaction() as conn:
        for statement in statements:
            removed += (await conn.execute(statement)).rowcount or 0
    return removed


async def purge_periodically(db: Database, interval_s: float = INTERVAL_S) -> None:
    """Run :func:`purge_expired` now and then every ``interval_s``, until cancelled."""
    while True:
        try:
            removed = await purge_expired(db)
            if removed:
                log.info("purged %d expired rows", removed)
        except Exception:  # a failed purge must never take the server down
            log.exception("purging expired rows failed")
        await asyncio.sleep(interval_s)
