"""Turning a reservation into a charge and a ledger row, in one transaction.

The charge is the real usage priced by :mod:`.pricing`. It is normally within what was
reserved; when a provider reports more (it ignored ``max_tokens``, or counts tokens its own
way), the rest comes from what the wallet has free beyond every hold and within the
monthly limit, and only past that is the charge cut down: a wallet never goes below zero,
nor past its limit (unless the user lowered the limit while the call ran: the hold, taken
under the old limit, is still honoured). Settling takes the charge from the balance,
un-holds the whole reservation and writes the ledger row (user, app, model, tokens,
provider cost, margin, developer earning, platform) atomically: a crash leaves either all
of it or none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, exists, func, insert, select, update

from ..clock import month_key, utcnow
from ..storage import Database
from ..storage.hot import HotStatement
from ..storage.schema import reservations, transactions, wallets
from .pricing import Charge, cap
from .reservations import (
    DELETE_RESERVATION,
    Reservation,
    month_spend_expression,
    room_beyond_holds,
)


@dataclass(frozen=True)
class LedgerEntry:
    """Who is charged, for what, and who earns from it."""

    user_id: int
    app_id: int | None
    client_id: str
    model: str


async def settle(
    db: Database, reservation: Reservation, charge: Charge, entry: LedgerEntry
) -> Charge:
    """Charge the wallet and write the ledger row; returns the charge as booked.

    On PostgreSQL a charge within its hold, the usual case, is booked by one statement
    (:data:`_SETTLE_AT_ONCE`): one round trip to the database, where the transaction of
    :func:`settle_in` takes five. When that statement finds the hold gone (released as
    stale meanwhile) it changes nothing, and :func:`settle_in` books the charge as far as
    the wallet's free money goes."""
    held = reservation.amount_micros
    if not db.is_sqlite and reservation.id is not None and charge.total_micros <= held:
        now = utcnow()
        params = {
            "reservation_id": reservation.id,
            **{
                "ledger_" + name: value
                for name, value in _ledger_values(charge, entry, now).items()
            },
            **_wallet_values(entry.user_id, held, charge.total_micros, now),
        }
        booked, _ = await db.execute_alone(_SETTLE_AT_ONCE, params)
        if booked:
            return charge
    return await db.write(lambda conn: settle_in(conn, reservation, charge, entry))


def _wallet_charge() -> dict:
    """Un-hold the reservation, take the charge, count the month."""
    return {
        "reserved_micros": wallets.c.reserved_micros - bindparam("settle_held"),
        "balance_micros": wallets.c.balance_micros - bindparam("settle_total"),
        "month_spend_micros": month_spend_expression(bindparam("settle_month"))
        + bindparam("settle_total"),
        "spend_month": bindparam("settle_month"),
        "updated_at": bindparam("settle_now"),
    }


_CHARGE_WALLET = HotStatement(
    update(wallets).where(wallets.c.user_id == bindparam("settle_user")).values(**_wallet_charge())
)
_INSERT_LEDGER_ROW = HotStatement(insert(transactions))
_LEDGER_COLUMNS = [column for column in transactions.columns if column.name != "id"]


def _settle_at_once_statement():
    """PostgreSQL only: delete the hold, write the ledger row and charge the wallet in one
    statement, whose parts run only if the hold was still there. Its row says whether the
    ledger row was written."""
    gone = (
        delete(reservations)
        .where(reservations.c.id == bindparam("reservation_id"))
        .returning(reservations.c.amount_micros)
        .cte("gone")
    )
    # Prefixed names: a parameter named as a wallets column would become part of its SET.
    row = select(*(bindparam("ledger_" + c.name, type_=c.type) for c in _LEDGER_COLUMNS))
    booked = (
        insert(transactions)
        .from_select([c.name for c in _LEDGER_COLUMNS], row.select_from(gone))
        .returning(transactions.c.id)
        .cte("booked")
    )
    charged = (
        update(wallets)
        .where(wallets.c.user_id == bindparam("settle_user"), exists(select(booked.c.id)))
        .values(**_wallet_charge())
        .returning(wallets.c.user_id)
        .cte("charged")
    )
    # Every part is named in the outer SELECT, so that each is rendered (and run).
    return select(
        select(func.count()).select_from(booked).scalar_subquery(),
        select(func.count()).select_from(charged).scalar_subquery(),
    )


_SETTLE_AT_ONCE = _settle_at_once_statement()


def _ledger_values(charge: Charge, entry: LedgerEntry, now: datetime) -> dict:
    return {
        "created_at": now,
        "user_id": entry.user_id,
        "app_id": entry.app_id,
        "client_id": entry.client_id,
        "model": entry.model,
        "prompt_tokens": charge.prompt_tokens,
        "completion_tokens": charge.completion_tokens,
        "provider_cost_micros": charge.provider_cost_micros,
        "margin_micros": charge.margin_micros,
        "developer_earning_micros": charge.developer_earning_micros,
        "platform_micros": charge.platform_micros,
        "total_micros": charge.total_micros,
    }


def _wallet_values(user_id: int, held: int, total: int, now: datetime) -> dict:
    return {
        "settle_user": user_id,
        "settle_held": held,
        "settle_total": total,
        "settle_month": month_key(now),
        "settle_now": now,
    }


def settle_in(
    conn: Connection, reservation: Reservation, charge: Charge, entry: LedgerEntry
) -> Charge:
    now = utcnow()
    month = month_key(now)
    held = reservation.amount_micros
    deleting = {"reservation_id": reservation.id}
    if reservation.id is not None and DELETE_RESERVATION.execute(conn, deleting) != 1:
        held = 0  # released as stale while the completion ran: nothing is held now
    if charge.total_micros > held:
        # Beyond the hold, only what is free (this transaction holds the row meanwhile).
        room = room_beyond_holds(conn, entry.user_id, month, lock=True)
        charge = cap(charge, held + (room.micros if room else 0))
    # The ledger row before the wallet's UPDATE: on PostgreSQL the wallet stays locked
    # only from that UPDATE to the commit (one user's concurrent requests queue on it).
    _INSERT_LEDGER_ROW.execute(conn, _ledger_values(charge, entry, now))
    if charge.total_micros or held:
        _CHARGE_WALLET.execute(conn, _wallet_values(entry.user_id, held, charge.total_micros, now))
    return charge
