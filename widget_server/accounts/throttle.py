"""Login throttling: after too many failures, per account and per address, logins wait.

Failures are rows in the database, so the count holds across workers and restarts.
Successful logins are never counted.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, insert, select

from ..clock import utcnow
from ..config import Limits
from ..security.secrets import digest
from ..storage import Database
from ..storage.schema import login_failures


def _keys(email: str, address: str) -> list[str]:
    """Counter keys; the email is hashed, so the table holds no addresses people typed."""
    return [f"email:{digest(email.strip().lower())}", f"addr:{address[:64]}"]


async def seconds_until_allowed(db: Database, limits: Limits, email: str, address: str) -> int:
    """0 when a login may be tried now, else how long to wait."""
    if limits.login_max_failures <= 0:
        return 0
    since = utcnow() - timedelta(seconds=limits.login_failure_window_s)
    wait = 0
    async with db.read() as conn:
        for key in _keys(email, address):
            count, oldest = (
                await conn.execute(
                    select(func.count(), func.min(login_failures.c.created_at)).where(
                        login_failures.c.key == key, login_failures.c.created_at > since
                    )
                )
            ).one()
            if count >= limits.login_max_failures and oldest is not None:
                reopens = oldest - since
                wait = max(wait, int(reopens.total_seconds()) + 1)
    return wait


async def record_failure(db: Database, limits: Limits, email: str, address: str) -> None:
    now = utcnow()
    expired = now - timedelta(seconds=limits.login_failure_window_s)
    async with db.transaction() as conn:
        await conn.execute(delete(login_failures).where(login_failures.c.created_at < expired))
        await conn.execute(
            insert(login_failures), [{"key": k, "created_at": now} for k in _keys(email, address)]
        )


async def clear_account_failures(db: Database, email: str) -> None:
    """A successful login clears its account's count (never the address's)."""
    async with db.transaction() as conn:
        await conn.execute(
            delete(login_failures).where(login_failures.c.key == _keys(email, "")[0])
        )
