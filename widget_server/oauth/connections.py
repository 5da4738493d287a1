"""Connections: a user's link to an app, with the states of SPEC §4.7.

- ``active``: tokens work.
- ``inactive``: the user paused it; tokens get 403 ``connection_inactive``; a new
  authorization makes it active again.
- ``revoked``: final; its grants are revoked; a new authorization starts a new connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..clock import utcnow
from ..errors import NotFoundError
from ..storage import Database
from ..storage.schema import apps, connections, grants

ACTIVE = "active"
INACTIVE = "inactive"
REVOKED = "revoked"


@dataclass(frozen=True)
class ConnectionView:
    id: int
    app_name: str
    client_id: str
    status: str
    created_at: datetime
    updated_at: datetime


async def activate_connection(conn: AsyncConnection, user_id: int, app_id: int) -> int:
    """The id of the user's live connection to the app, made active (or new)."""
    now = utcnow()
    live = (
        await conn.execute(
            select(connections.c.id, connections.c.status).where(
                connections.c.user_id == user_id,
                connections.c.app_id == app_id,
                connections.c.status != REVOKED,
            )
        )
    ).first()
    if live is not None:
        if live.status != ACTIVE:
            await conn.execute(
                update(connections)
                .where(connections.c.id == live.id)
                .values(status=ACTIVE, updated_at=now)
            )
        return live.id
    result = await conn.execute(
        insert(connections)
        .values(user_id=user_id, app_id=app_id, status=ACTIVE, created_at=now, updated_at=now)
        .returning(connections.c.id)
    )
    return result.scalar_one()


async def list_connections(db: Database, user_id: int) -> list[ConnectionView]:
    """The user's connections that still matter (active or inactive), newest first."""
    async with db.read() as conn:
        rows = await conn.execute(
            select(
                connections.c.id,
                apps.c.name,
                apps.c.client_id,
                connections.c.status,
                connections.c.created_at,
                connections.c.updated_at,
            )
            .join(apps, apps.c.id == connections.c.app_id)
            .where(connections.c.user_id == user_id, connections.c.status != REVOKED)
            .order_by(connections.c.id.desc())
        )
        return [ConnectionView(*row) for row in rows]


async def deactivate_connection(db: Database, user_id: int, connection_id: int) -> None:
    async with db.transaction() as conn:
        await _set_status(conn, user_id, connection_id, INACTIVE)


async def revoke_connection(db: Database, user_id: int, connection_id: int) -> None:
    async with db.transaction() as conn:
        await _set_status(conn, user_id, connection_id, REVOKED)
        await conn.execute(
            update(grants)
            .where(grants.c.connection_id == connection_id, grants.c.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoke_reason="connection_revoked")
        )


async def _set_status(conn: AsyncConnection, user_id: int, connection_id: int, status: str):
    result = await conn.execute(
        update(connections)
        .where(
            connections.c.id == connection_id,
            connections.c.user_id == user_id,
            connections.c.status != REVOKED,
        )
        .values(status=status, updated_at=utcnow())
    )
    if result.rowcount == 0:
        raise NotFoundError("no such connection")
