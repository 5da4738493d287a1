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

from sqlalchemy import Connection, bindparam, insert, update

from ..clock import month_key, utcnow
from ..storage import Database
from ..storage.hot import HotStatement
from ..storage.schema import transactions, wallets
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
    """Charge the wallet and write the ledger row; returns the charge as booked."""
    return await db.write(lambda conn: settle_in(conn, reservation, charge, entry))


_CHARGE_WALLET = HotStatement(
    # One statement: un-hold the reservation, take the charge, count the month.
    update(wallets)
    .where(wallets.c.user_id == bindparam("settle_user"))
    .values(
        reserved_micros=wallets.c.reserved_micros - bindparam("settle_held"),
        balance_micros=wallets.c.balance_micros - bindparam("settle_total"),
        month_spend_micros=month_spend_expression(bindparam("settle_month"))
        + bindparam("settle_total"),
        spend_month=bindparam("settle_month"),
        updated_at=bindparam("settle_now"),
    )
)
_INSERT_LEDGER_ROW = HotStatement(insert(transactions))


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
    _INSERT_LEDGER_ROW.execute(
        conn,
        {
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
        },
    )
    total = charge.total_micros
    if total or held:
        _CHARGE_WALLET.execute(
            conn,
            {
                "settle_user": entry.user_id,
                "settle_held": held,
                "settle_total": total,
                "settle_month": month,
                "settle_now": now,
            },
        )
    return charge
