"""Turning a reservation into a charge and a ledger row, in one transaction.

The charge is the real usage priced by :mod:`.pricing`, never more than what was reserved.
Settling takes the charge from the balance, un-holds the whole reservation and writes the
ledger row (user, app, model, tokens, provider cost, margin, developer earning, platform)
atomically: a crash leaves either all of it or none of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from ..clock import month_key, utcnow
from ..storage import Database
from ..storage.schema import reservations, transactions, wallets
from .pricing import Charge, cap
from .reservations import Reservation, month_spend_expression


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


_DELETE_RESERVATION = delete(reservations).where(reservations.c.id == bindparam("settle_id"))
_CHARGE_WALLET = (
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
_INSERT_LEDGER_ROW = insert(transactions)


def settle_in(
    conn: Connection, reservation: Reservation, charge: Charge, entry: LedgerEntry
) -> Charge:
    now = utcnow()
    charge = cap(charge, reservation.amount_micros)
    held = reservation.amount_micros
    if reservation.id is not None:
        deleted = conn.execute(_DELETE_RESERVATION, {"settle_id": reservation.id})
        if deleted.rowcount != 1:
            # Released as stale while the completion ran: charge only what is free now.
            held = 0
            charge = cap(charge, _free_micros(conn, entry.user_id, charge.total_micros))
    total = charge.total_micros
    if total or held:
        conn.execute(
            _CHARGE_WALLET,
            {
                "settle_user": entry.user_id,
                "settle_held": held,
                "settle_total": total,
                "settle_month": month_key(now),
                "settle_now": now,
            },
        )
    conn.execute(
        _INSERT_LEDGER_ROW,
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
    return charge


def _free_micros(conn: Connection, user_id: int, wanted: int) -> int:
    row = (
        conn.execute(
            select(wallets.c.balance_micros - wallets.c.reserved_micros).where(
                wallets.c.user_id == user_id
            )
        )
    ).scalar()
    return max(0, min(wanted, row or 0))
