"""The async engine and the two ways to use it: a write transaction or a read.

SQLite needs care to be correct under concurrency: Python's driver begins transactions
lazily, so two writers that both read first deadlock instead of waiting. We take over
``BEGIN`` ourselves and start every write transaction with ``BEGIN IMMEDIATE`` (it waits on
``busy_timeout`` for the write lock), while reads use a plain deferred ``BEGIN``. With WAL,
readers never block the writer. Within one process, write transactions also queue on an
asyncio lock: SQLite admits one writer anyway, and its busy handler waits by sleeping in
growing steps, which turns a short queue into a long latency tail.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 15000


def async_url(database_url: str) -> str:
    """Map the SPEC's URL forms onto SQLAlchemy's async drivers."""
    if database_url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + database_url[len("sqlite:///") :]
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+asyncpg://" + database_url[len(prefix) :]
    raise ValueError(f"unsupported database URL: {database_url}")


class Database:
    """Owns the engine. One per process (per app), created at start-up, disposed at exit."""

    def __init__(self, database_url: str, *, pool_size: int = 10, max_overflow: int = 30) -> None:
        self.url = database_url
        self.is_sqlite = database_url.startswith("sqlite")
        self._sqlite_writer = asyncio.Lock()
        if self.is_sqlite:
            Path(database_url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
            self.engine: AsyncEngine = create_async_engine(
                async_url(database_url), pool_size=pool_size, max_overflow=max_overflow
            )
            _install_sqlite_hooks(self.engine)
        else:
            self.engine = create_async_engine(
                async_url(database_url),
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_pre_ping=True,
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed when the block ends, rolled back on error."""
        if not self.is_sqlite:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._sqlite_writer, self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only unit of work that takes no write lock."""
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                conn = await conn.execution_options(legion_sqlite_begin="DEFERRED")
            yield conn
            await conn.rollback()

    async def dispose(self) -> None:
        await self.engine.dispose()


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn) -> None:
        mode = conn.get_execution_options().get("legion_sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")
