"""Wallets: balance, reservations in flight, and the monthly limit.

The invariants the rest of billing relies on: ``balance_micros >= 0`` and
``reserved_micros >= 0`` (both are CHECK constraints), and spending only ever happens by
settling an earlier reservation, which was granted atomically against what is left.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..clock import month_key, utcnow
from ..storage import Database
from ..storage.schema import wallet_credits, wallets


@dataclass(frozen=True)
class WalletView:
    balance_micros: int
    reserved_micros: int
    month_spend_micros: int
    monthly_limit_micros: int | None

    @property
    def available_micros(self) -> int:
        return self.balance_micros - self.reserved_micros

    def public_dict(self) -> dict:
        return {
            "balance_micros": self.balance_micros,
            "reserved_micros": self.reserved_micros,
            "month_spend_micros": self.month_spend_micros,
            "monthly_limit_micros": self.monthly_limit_micros,
            "available_micros": self.available_micros,
        }


async def create_wallet(conn: AsyncConnection, user_id: int) -> None:
    now = utcnow()
    await conn.execute(
        insert(wallets).values(
            user_id=user_id,
            balance_micros=0,
            reserved_micros=0,
            spend_month=month_key(now),
            month_spend_micros=0,
            updated_at=now,
        )
    )


async def credit_wallet(
    conn: AsyncConnection, user_id: int, amount_micros: int, *, note: str = ""
) -> None:
    now = utcnow()
    await conn.execute(
        update(wallets)
        .where(wallets.c.user_id == user_id)
        .values(balance_micros=wallets.c.balance_micros + amount_micros, updated_at=now)
    )
    await conn.execute(
        insert(wallet_credits).values(
            user_id=user_id, amount_micros=amount_micros, note=note[:255], created_at=now
        )
    )


async def add_credit(db: Database, user_id: int, amount_micros: int, *, note: str = "") -> None:
    async with db.transaction() as conn:
        await credit_wallet(conn, user_id, amount_micros, note=note)


async def get_wallet(db: Database, user_id: int) -> WalletView:
    async with db.read() as conn:
        row = (
            (await conn.execute(select(wallets).where(wallets.c.user_id == user_id)))
            .mappings()
            .one()
        )
    this_month = month_key(utcnow())
    return WalletView(
        balance_micros=row["balance_micros"],
        reserved_micros=row["reserved_micros"],
        month_spend_micros=row["month_spend_micros"] if row["spend_month"] == this_month else 0,
        monthly_limit_micros=row["monthly_limit_micros"],
    )


async def set_monthly_limit(db: Database, user_id: int, limit_micros: int | None) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            update(wallets)
            .where(wallets.c.user_id == user_id)
            .values(monthly_limit_micros=limit_micros, updated_at=utcnow())
        )
