"""Server-side login sessions.

The browser holds a random session id inside Quart's signed session cookie; the database
holds only its digest, so logging out (or deleting the row) ends the session everywhere.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, insert, select

from ..clock import utcnow
from ..security.secrets import digest, new_secret
from ..storage import Database
from ..storage.schema import sessions


async def start_session(db: Database, user_id: int, lifetime_s: int) -> str:
    session_id = new_secret("lss_")
    now = utcnow()
    async with db.transaction() as conn:
        await conn.execute(sessions.delete().where(sessions.c.expires_at < now))
        await conn.execute(
            insert(sessions).values(
                id_hash=digest(session_id),
                user_id=user_id,
                created_at=now,
                expires_at=now + timedelta(seconds=lifetime_s),
            )
        )
    return session_id


async def session_user_id(db: Database, session_id: str) -> int | None:
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(sessions.c.user_id, sessions.c.expires_at).where(
                    sessions.c.id_hash == digest(session_id)
                )
            )
        ).first()
    if row is None or row.expires_at <= utcnow():
        return None
    return row.user_id


async def end_session(db: Database, session_id: str) -> None:
    async with db.transaction() as conn:
        await conn.execute(delete(sessions).where(sessions.c.id_hash == digest(session_id)))
