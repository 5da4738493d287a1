"""Reading the ledger: an app's transactions and its totals (``app-stats``, SPEC §1).

Rows are found by the app's client id, which every row keeps, so the accounts of a
deleted app can still be read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select

from ..storage import Database
from ..storage.schema import connections, transactions, users


@dataclass(frozen=True)
class TransactionRow:
    id: int
    created_at: datetime
    user_id: int
    user_email: str | None
    client_id: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    provider_cost_micros: int
    margin_micros: int
    developer_earning_micros: int
    platform_micros: int
    total_micros: int

    def public_dict(self) -> dict:
        fields = asdict(self)
        fields["created_at"] = self.created_at.isoformat()
        return fields


@dataclass(frozen=True)
class AppStats:
    client_id: str
    users: int  # users charged at least once through the app
    connected_users: int  # users whose connection to the app is active now
    requests: int
    prompt_tokens: int
    completion_tokens: int
    spend_micros: int  # what users paid (provider cost + margin)
    provider_cost_micros: int
    margin_micros: int
    developer_earnings_micros: int
    platform_micros: int

    def public_dict(self) -> dict:
        return asdict(self)


async def list_transactions(
    db: Database, client_id: str, limit: int | None = None, before_id: int | None = None
) -> list[TransactionRow]:
    """The app's ledger rows, newest first; ``before_id`` pages on (rows older than it)."""
    query = (
        select(transactions, users.c.email.label("user_email"))
        .select_from(transactions.outerjoin(users, users.c.id == transactions.c.user_id))
        .where(transactions.c.client_id == client_id)
        .order_by(transactions.c.id.desc())
    )
    if before_id is not None:
        query = query.where(transactions.c.id < before_id)
    if limit is not None:
        query = query.limit(limit)
    async with db.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [
        TransactionRow(
            id=row["id"],
            created_at=row["created_at"],
            user_id=row["user_id"],
            user_email=row["user_email"],
            client_id=row["client_id"],
            model=row["model"],
            prompt_tokens=row["prompt_tokens"],
            completion_tokens=row["completion_tokens"],
            provider_cost_micros=row["provider_cost_micros"],
            margin_micros=row["margin_micros"],
            developer_earning_micros=row["developer_earning_micros"],
            platform_micros=row["platform_micros"],
            total_micros=row["total_micros"],
        )
        for row in rows
    ]


async def app_stats(db: Database, client_id: str, app_id: int | None) -> AppStats:
    t = transactions
    totals = select(
        func.count(distinct(t.c.user_id)),
        func.count(),
        func.coalesce(func.sum(t.c.prompt_tokens), 0),
        func.coalesce(func.sum(t.c.completion_tokens), 0),
        func.coalesce(func.sum(t.c.total_micros), 0),
        func.coalesce(func.sum(t.c.provider_cost_micros), 0),
        func.coalesce(func.sum(t.c.margin_micros), 0),
        func.coalesce(func.sum(t.c.developer_earning_micros), 0),
        func.coalesce(func.sum(t.c.platform_micros), 0),
    ).where(t.c.client_id == client_id)
    async with db.read() as conn:
        row = (await conn.execute(totals)).one()
        connected = 0
        if app_id is not None:
            connected = (
                await conn.execute(
                    select(func.count(distinct(connections.c.user_id))).where(
                        connections.c.app_id == app_id, connections.c.status == "active"
                    )
                )
            ).scalar_one()
    values = [int(v) for v in row]
    return AppStats(
        client_id=client_id,
        users=values[0],
        connected_users=connected,
        requests=values[1],
        prompt_tokens=values[2],
        completion_tokens=values[3],
        spend_micros=values[4],
        provider_cost_micros=values[5],
        margin_micros=values[6],
        developer_earnings_micros=values[7],
        platform_micros=values[8],
    )
