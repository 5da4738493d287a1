"""Throttles on the two forms that cost an Argon2 computation: logins and registrations.

Every attempt is a row (a key and a time) in the database, so counts hold across workers
and restarts. The row is written, and the limit checked, in one write transaction
*before* the password is hashed or verified: were the count read first and the attempt
recorded afterwards, parallel requests would all pass the check before any was counted.
SQLite's write transactions run one at a time; on PostgreSQL, where concurrent
transactions don't see each other's rows, each key is locked for its transaction first.

A login's outcome is unknown until its password is checked, so it starts as a *pending*
row, which counts against the limits like a failure. A failure keeps the row (it becomes
a plain failure); a success deletes it, so successful logins are never counted (SPEC §3).
A login held back only by pending attempts waits for them to finish instead of being
refused, so a burst of correct logins from one address still goes through.

The table is ``login_failures``; registrations are counted in it too, under their own keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Connection, and_, case, delete, func, insert, select, update

from ..clock import utcnow
from ..config import Limits
from ..security.secrets import digest
from ..storage import Database
from ..storage.schema import login_failures

PENDING = "pending:"
# A pending login older than this never finished (its worker died): it counts as failed.
IN_FLIGHT_S = 60
# How long a login may wait for pending ones to finish, and how often it looks again.
PATIENCE_S = 10.0
POLL_S = 0.1
# Namespaces our PostgreSQL advisory locks (two-integer form; migrations use the other).
_LOCK_SPACE = 727170002


@dataclass(frozen=True)
class LoginAttempt:
    """A login that may go ahead (``wait_s`` 0, with its pending rows) or must wait."""

    wait_s: int = 0
    rows: tuple[tuple[int, str], ...] = ()  # (id, key the row counts under when failed)
    busy: bool = False  # refused only because others were still pending


# ---------------------------------------------------------------- logins


def _login_keys(email: str, address: str) -> list[str]:
    """Counter keys; the email is hashed, so the table holds no addresses people typed."""
    return [f"email:{digest(email.strip().lower())}", f"addr:{address[:64]}"]


async def start_login(db: Database, limits: Limits, email: str, address: str) -> LoginAttempt:
    """Count a login before its password is checked, or say how long it must wait.

    Settle what this returns with :func:`finish_login` once the check is done."""
    if limits.login_max_failures <= 0:
        return LoginAttempt()
    keys = _login_keys(email, address)
    deadline = time.monotonic() + PATIENCE_S
    while True:
        attempt = await db.write(partial(_start_login, keys=keys, limits=limits))
        if not attempt.busy:
            return attempt
        if time.monotonic() >= deadline:
            return LoginAttempt(wait_s=1)
        await asyncio.sleep(POLL_S)


def _start_login(conn: Connection, *, keys: list[str], limits: Limits) -> LoginAttempt:
    """In one write transaction: refuse when a key is at its limit, else add pending rows."""
    _lock(conn, keys)
    limit, now = limits.login_max_failures, utcnow()
    since = now - timedelta(seconds=limits.login_failure_window_s)
    wait, busy = 0, False
    for key in keys:
        counted, in_flight, oldest = _login_count(conn, key, since, now)
        if counted - in_flight >= limit:
            wait = max(wait, _seconds_until_reopened(oldest, since))
        elif counted >= limit:
            busy = True
    if wait or busy:
        return LoginAttempt(wait_s=wait, busy=busy and not wait)
    return LoginAttempt(rows=tuple((_add(conn, PENDING + key, now), key) for key in keys))


def _login_count(conn: Connection, key: str, since: datetime, now: datetime):
    """Rows under ``key`` in the window (failures and pending logins), how many of those
    are logins still in flight, and when the oldest was made. One statement, so one
    snapshot: a login settling between two queries would seem to be a failure."""
    pending = PENDING + key
    in_flight = and_(
        login_failures.c.key == pending,
        login_failures.c.created_at > now - timedelta(seconds=IN_FLIGHT_S),
    )
    row = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((in_flight, 1), else_=0)), 0),
            func.min(login_failures.c.created_at),
        ).where(login_failures.c.key.in_([key, pending]), login_failures.c.created_at > since)
    ).one()
    return row[0], row[1], row[2]


async def finish_login(
    db: Database, limits: Limits, attempt: LoginAttempt, email: str, *, succeeded: bool
) -> None:
    """Settle a started login: a failure stays counted; a success is taken back, and
    clears its account's failures (never its address's). A login that never finished (an
    error, a dropped connection) counts as a failure: nobody knows its outcome."""
    if not attempt.rows:  # not counted: throttling is off
        return
    if succeeded:
        account_key = _login_keys(email, "")[0]
        await db.write(partial(_forget_login, attempt=attempt, account_key=account_key))
    else:
        await db.write(partial(_keep_as_failure, attempt=attempt, limits=limits))


def _forget_login(conn: Connection, *, attempt: LoginAttempt, account_key: str) -> None:
    ids = [row_id for row_id, _ in attempt.rows]
    conn.execute(delete(login_failures).where(login_failures.c.id.in_(ids)))
    conn.execute(delete(login_failures).where(login_failures.c.key == account_key))


def _keep_as_failure(conn: Connection, *, attempt: LoginAttempt, limits: Limits) -> None:
    for row_id, key in attempt.rows:
        conn.execute(update(login_failures).where(login_failures.c.id == row_id).values(key=key))
    _purge(conn, limits)


# ---------------------------------------------------------------- registrations


def _registration_key(address: str) -> str:
    return f"register:addr:{address[:64]}"


async def start_registration(db: Database, limits: Limits, address: str) -> int:
    """Count a registration from ``address`` before its password is hashed; 0 when it
    may go ahead, else the seconds until it may. Every attempt counts, whatever becomes
    of it: each one costs a hash."""
    if limits.registrations_per_address <= 0:
        return 0
    return await db.write(
        partial(_start_registration, key=_registration_key(address), limits=limits)
    )


def _start_registration(conn: Connection, *, key: str, limits: Limits) -> int:
    _lock(conn, [key])
    now = utcnow()
    since = now - timedelta(seconds=limits.registration_window_s)
    counted, oldest = _count(conn, [key], since)
    if counted >= limits.registrations_per_address:
        return _seconds_until_reopened(oldest, since)
    _add(conn, key, now)
    _purge(conn, limits)
    return 0


# ---------------------------------------------------------------- shared


def _lock(conn: Connection, keys: list[str]) -> None:
    """Make the transactions that count a key take turns (PostgreSQL; SQLite's write
    transactions already do). In sorted order, so that no two wait on each other."""
    if conn.dialect.name != "postgresql":
        return
    for key in sorted(keys):
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big", signed=True)
        conn.execute(select(func.pg_advisory_xact_lock(_LOCK_SPACE, number)))


def _count(conn: Connection, keys: list[str], since: datetime) -> tuple[int, datetime | None]:
    """How many rows under ``keys`` are newer than ``since``, and the oldest one's time."""
    row = conn.execute(
        select(func.count(), func.min(login_failures.c.created_at)).where(
            login_failures.c.key.in_(keys), login_failures.c.created_at > since
        )
    ).one()
    return row[0], row[1]


def _seconds_until_reopened(oldest: datetime | None, since: datetime) -> int:
    """When the oldest counted row leaves the window (at least 1 s)."""
    if oldest is None:
        return 1
    return max(1, int((oldest - since).total_seconds()) + 1)


def _add(conn: Connection, key: str, now: datetime) -> int:
    statement = insert(login_failures).values(key=key, created_at=now)
    return conn.execute(statement.returning(login_failures.c.id)).scalar_one()


def _purge(conn: Connection, limits: Limits) -> None:
    """Drop rows no window counts any more (the longest window decides)."""
    longest = max(limits.login_failure_window_s, limits.registration_window_s, IN_FLIGHT_S)
    expired = utcnow() - timedelta(seconds=longest)
    conn.execute(delete(login_failures).where(login_failures.c.created_at < expired))
