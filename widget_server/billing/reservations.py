"""Holding money for a completion before it runs, and giving it back if it fails.

A reservation is one conditional ``UPDATE`` of the wallet row: it succeeds only when what
is left (``balance - reserved``) covers the worst case *and* the month's spend plus
everything reserved stays within the monthly limit. Concurrent requests therefore can't
promise the same money twice: PostgreSQL re-checks the condition against the row a
concurrent writer committed, and SQLite runs write transactions one at a time
(``BEGIN IMMEDIATE``). Each reservation also gets a row naming the server process that
holds it, so that money held by a process that died is released by
:func:`release_orphaned` (within a minute: ``storage.heartbeat``) instead of staying held.

The statements are plain functions of a synchronous connection, run through
:meth:`Database.write` (one hop to the SQLite writer per transaction). The hot ones are
built once with bind parameters: building a SQLAlchemy expression costs far more than
SQLite takes to run it.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    case,
    delete,
    insert,
    literal,
    or_,
    select,
    update,
)

from ..clock import month_key, utcnow
from ..storage import Database
from ..storage.heartbeat import forget_dead_processes, is_dead_process
from ..storage.hot import HotStatement
from ..storage.schema import reservations, wallets


@dataclass(frozen=True)
class Reservation:
    id: str | None  # None for a zero amount: nothing is held, nothing to recover
    user_id: int
    amount_micros: int


def new_reservation(user_id: int, amount_micros: int) -> Reservation:
    return Reservation(secrets.token_hex(16), user_id, amount_micros)


class ReservationRefused(Exception):
    """The wallet can't hold the amount; ``reason`` says why."""

    INSUFFICIENT_FUNDS = "insufficient_funds"
    LIMIT_EXCEEDED = "limit_exceeded"
    GUARD_FAILED = "guard_failed"  # the caller's extra condition (a live token) did not hold

    def __init__(self, reason: str, available_micros: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.available_micros = available_micros


def month_spend_expression(month):
    """This month's spend as stored, counting a row last touched in another month as 0.

    ``month`` is a ``YYYY-MM`` string or a bind parameter."""
    return case((wallets.c.spend_month == month, wallets.c.month_spend_micros), else_=literal(0))


def hold_update(guard: ColumnElement[bool] | None):
    """The conditional UPDATE that holds money: parameters ``hold_user``, ``hold_amount``,
    ``hold_month``, ``hold_now`` and the guard's own."""
    amount = bindparam("hold_amount")
    conditions = [
        wallets.c.user_id == bindparam("hold_user"),
        wallets.c.balance_micros - wallets.c.reserved_micros >= amount,
        or_(
            wallets.c.monthly_limit_micros.is_(None),
            month_spend_expression(bindparam("hold_month")) + wallets.c.reserved_micros + amount
            <= wallets.c.monthly_limit_micros,
        ),
    ]
    if guard is not None:
        conditions.append(guard)
    return (
        update(wallets)
        .where(and_(*conditions))
        .values(
            reserved_micros=wallets.c.reserved_micros + amount, updated_at=bindparam("hold_now")
        )
    )


@functools.cache
def _hold_statement(guard: ColumnElement[bool] | None) -> HotStatement:
    """:func:`hold_update`, once per guard (a pre-built expression)."""
    return HotStatement(hold_update(guard))


_INSERT_RESERVATION = HotStatement(insert(reservations))
DELETE_RESERVATION = HotStatement(
    delete(reservations).where(reservations.c.id == bindparam("reservation_id"))
)
_UNHOLD = HotStatement(
    update(wallets)
    .where(wallets.c.user_id == bindparam("release_user"))
    .values(
        reserved_micros=wallets.c.reserved_micros - bindparam("release_amount"),
        updated_at=bindparam("release_now"),
    )
)


def hold_params(user_id: int, amount_micros: int, now: datetime) -> dict:
    return {
        "hold_user": user_id,
        "hold_amount": amount_micros,
        "hold_month": month_key(now),
        "hold_now": now,
    }


def reserve(
    conn: Connection,
    user_id: int,
    amount_micros: int,
    *,
    guard: ColumnElement[bool] | None = None,
    guard_params: dict | None = None,
    now: datetime | None = None,
    process_id: str | None = None,
) -> Reservation:
    """Hold ``amount_micros`` of the user's wallet, inside the caller's write transaction.

    ``guard`` is an extra SQL condition checked in the same statement (the gateway passes
    "this access token is still live", so a revocation takes effect at once). Pass a
    pre-built expression with bind parameters, and their values in ``guard_params``.
    ``process_id`` is the heartbeat of the process that will settle it.

    The reservation row is written first and the wallet's row last, so that on PostgreSQL
    the wallet stays locked only from its UPDATE to the commit: concurrent requests of one
    user queue on that lock. When the hold is refused, the exception raised undoes the
    reservation row with the caller's transaction.
    """
    now = now or utcnow()
    month = month_key(now)
    reservation = Reservation(None, user_id, 0)
    if amount_micros:
        reservation = new_reservation(user_id, amount_micros)
        _INSERT_RESERVATION.execute(
            conn,
            {
                "id": reservation.id,
                "user_id": user_id,
                "amount_micros": amount_micros,
                "created_at": now,
                "process_id": process_id,
            },
        )
    params = {**hold_params(user_id, amount_micros, now), **(guard_params or {})}
    if _hold_statement(guard).execute(conn, params) != 1:
        # A dead token outranks an empty wallet (401/403 before 402, SPEC §5.2).
        if guard is not None and not conn.execute(select(guard), params).scalar():
            raise ReservationRefused(ReservationRefused.GUARD_FAILED)
        raise _why_refused(conn, user_id, amount_micros, month)
    return reservation


@dataclass(frozen=True)
class Room:
    """What a wallet can still promise beyond everything it holds: by its balance, and by
    its monthly limit (None: it has none). The same sums as the hold's own condition."""

    funds: int
    under_limit: int | None

    @property
    def micros(self) -> int:
        """The smaller of the two, never below zero."""
        most = self.funds if self.under_limit is None else min(self.funds, self.under_limit)
        return max(0, most)


def room_beyond_holds(
    conn: Connection, user_id: int, month: str, *, lock: bool = False
) -> Room | None:
    """The wallet's room (None: no wallet). ``lock`` takes the row (PostgreSQL) so that no
    concurrent hold can take the same room before this transaction uses it."""
    query = select(
        wallets.c.balance_micros - wallets.c.reserved_micros,
        wallets.c.monthly_limit_micros - month_spend_expression(month) - wallets.c.reserved_micros,
    ).where(wallets.c.user_id == user_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    return None if row is None else Room(*row)


def shortfall(room: Room | None, amount_micros: int) -> str | None:
    """Why a wallet with ``room`` can't hold ``amount_micros`` (a :class:`ReservationRefused`
    reason), or None when it can."""
    if room is None:
        return ReservationRefused.INSUFFICIENT_FUNDS
    if room.under_limit is not None and room.under_limit < amount_micros:
        return ReservationRefused.LIMIT_EXCEEDED
    if room.funds < amount_micros:
        return ReservationRefused.INSUFFICIENT_FUNDS
    return None


def _why_refused(
    conn: Connection, user_id: int, amount_micros: int, month: str
) -> ReservationRefused:
    room = room_beyond_holds(conn, user_id, month)
    reason = shortfall(room, amount_micros) or ReservationRefused.GUARD_FAILED
    return ReservationRefused(reason, room.funds if room else 0)


async def release(db: Database, reservation: Reservation) -> None:
    """Give the whole reservation back (the upstream call failed or never started)."""
    if reservation.id is None:
        return
    await db.write(lambda conn: release_in(conn, reservation))


def release_in(conn: Connection, reservation: Reservation) -> bool:
    """Delete the reservation and un-hold its amount; False if it was already released."""
    if reservation.id is None:
        return True
    if DELETE_RESERVATION.execute(conn, {"reservation_id": reservation.id}) != 1:
        return False
    _UNHOLD.execute(
        conn,
        {
            "release_user": reservation.user_id,
            "release_amount": reservation.amount_micros,
            "release_now": utcnow(),
        },
    )
    return True


async def release_orphaned(db: Database, alive_since: datetime, legacy_before: datetime) -> int:
    """Release the holds of processes that stopped beating before ``alive_since`` (killed,
    crashed), and forget those processes; how many holds went. A hold that names no process
    (made before processes had heartbeats) goes once it is older than ``legacy_before``."""

    def work(conn: Connection) -> int:
        orphaned = conn.execute(
            select(reservations.c.id, reservations.c.user_id, reservations.c.amount_micros)
            .where(
                or_(
                    and_(
                        reservations.c.process_id.is_not(None),
                        is_dead_process(reservations.c.process_id, alive_since),
                    ),
                    and_(
                        reservations.c.process_id.is_(None),
                        reservations.c.created_at < legacy_before,
                    ),
                )
            )
            .limit(1000)
        ).all()
        for row in orphaned:
            release_in(conn, Reservation(row.id, row.user_id, row.amount_micros))
        forget_dead_processes(conn, alive_since)  # holds left over still count as theirs
        return len(orphaned)

    return await db.write(work)
