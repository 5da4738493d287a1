"""Booking a charge against its hold, on both backends, at the level of the database.

On PostgreSQL a charge within its hold is booked by one statement instead of a
transaction of four (``billing.settlement.settle``); these tests hold both ways to the
same rows, and check the way back to the transaction when the hold has gone meanwhile.
The end-to-end billing tests (``test_billing_*``) run through the real server."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import insert, select

from tests.support.databases import TestDatabase, run_async
from widget_server.billing.pricing import Charge
from widget_server.billing.reservations import release_in, reserve
from widget_server.billing.settlement import LedgerEntry, settle, settle_in
from widget_server.billing.wallet import add_credit, create_wallet, get_wallet
from widget_server.clock import utcnow
from widget_server.storage import Database
from widget_server.storage.migrate import upgrade
from widget_server.storage.schema import transactions, users

# What a ledger row says, without its id and time.
LEDGER_FIELDS = [c.name for c in transactions.columns if c.name not in ("id", "created_at")]


@pytest.fixture
def database(backend):
    db = TestDatabase(backend)
    yield db
    db.close()


def charge_of(total: int) -> Charge:
    """A charge of ``total`` micro-dollars: 80% provider cost, the rest margin."""
    cost = total * 4 // 5
    margin = total - cost
    return Charge(3, 5, cost, margin, margin * 3 // 4, margin - margin * 3 // 4)


async def _user_with_credit(db: Database, credit: int) -> int:
    async with db.transaction() as conn:
        result = await conn.execute(
            insert(users).values(email="payer@example.com", password_hash="x", created_at=utcnow())
        )
        user_id = result.inserted_primary_key[0]
        await create_wallet(conn, user_id)
    await add_credit(db, user_id, credit)
    return user_id


async def _hold(db: Database, user_id: int, amount: int):
    return await db.write(lambda conn: reserve(conn, user_id, amount))


async def _ledger(db: Database) -> list[dict]:
    async with db.read() as conn:
        rows = await conn.execute(select(transactions).order_by(transactions.c.id))
        return [{name: row._mapping[name] for name in LEDGER_FIELDS} for row in rows]


@contextlib.asynccontextmanager
async def _payer(url: str, credit: int):
    """A fresh database with one user holding ``credit``: the database, and the ledger
    entry of that user's requests."""
    db = Database(url)
    try:
        await upgrade(db)
        user_id = await _user_with_credit(db, credit)
        yield db, LedgerEntry(user_id, None, "lgn_client", "gpt-4o")
    finally:
        await db.dispose()


async def _both_ways(url: str):
    async with _payer(url, 10_000) as (db, entry):
        first, second = await _hold(db, entry.user_id, 3_000), await _hold(db, entry.user_id, 2_000)
        held_both = await get_wallet(db, entry.user_id)
        booked = await settle(db, first, charge_of(1_000), entry)  # one statement on PostgreSQL
        await db.write(lambda conn: settle_in(conn, second, charge_of(1_000), entry))
        return held_both, booked, await get_wallet(db, entry.user_id), await _ledger(db)


def test_a_booking_within_its_hold_writes_what_the_transaction_writes(database):
    held_both, booked, wallet, ledger = run_async(_both_ways(database.url))
    assert held_both.reserved_micros == 5_000
    assert booked == charge_of(1_000)
    assert wallet.reserved_micros == 0  # both holds given back
    assert wallet.balance_micros == 8_000
    assert wallet.month_spend_micros == 2_000
    assert len(ledger) == 2 and ledger[0] == ledger[1]
    assert ledger[0]["total_micros"] == 1_000 and ledger[0]["model"] == "gpt-4o"


async def _hold_gone_meanwhile(url: str):
    async with _payer(url, 1_300) as (db, entry):
        hold = await _hold(db, entry.user_id, 1_000)
        # Released as stale (its process looked dead) while the answer was written...
        assert await db.write(lambda conn: release_in(conn, hold))
        other = await _hold(db, entry.user_id, 400)  # ...and another request holds money now.
        booked = await settle(db, hold, charge_of(1_000), entry)
        wallet = await get_wallet(db, entry.user_id)
        await db.write(lambda conn: release_in(conn, other))
        return booked, wallet, await _ledger(db)


def test_a_booking_whose_hold_was_released_meanwhile_takes_only_free_money(database):
    booked, wallet, ledger = run_async(_hold_gone_meanwhile(database.url))
    # 1,300 of credit, 400 held by the other request: 900 of the 1,000 can be paid.
    assert booked.total_micros == 900
    assert wallet.balance_micros == 400
    assert wallet.reserved_micros == 400  # the other hold untouched, nothing given twice
    assert [row["total_micros"] for row in ledger] == [900]  # booked exactly once
