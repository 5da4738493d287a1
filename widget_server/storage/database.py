"""The engine and the ways to use it: a write transaction, a read, and :meth:`write` for
the hot paths.

SQLite needs care to be correct under concurrency: Python's driver begins transactions
lazily, so two writers that both read first deadlock instead of waiting. We take over
``BEGIN`` ourselves and start every write transaction with ``BEGIN IMMEDIATE`` (it waits on
``busy_timeout`` for the write lock), while reads use a plain deferred ``BEGIN``. With WAL,
readers never block the writer. Within one process, write transactions also queue on an
asyncio lock: SQLite admits one writer anyway, and its busy handler waits by sleeping in
growing steps, which turns a short queue into a long latency tail.

aiosqlite sends every statement to its thread and back (about 0.2–0.4 ms each), so a
five-statement transaction costs five hops. :meth:`Database.write` instead runs a whole
transaction, written as a plain function of a synchronous connection, on one writer
thread with the standard driver: one hop per transaction. Calls that arrive while the
writer is busy share the next transaction (group commit), each inside its own SAVEPOINT,
so that one call's failure undoes only its own work.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, Row, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.expression import Executable

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 15000
SQLITE_READERS = 4


def async_url(database_url: str) -> str:
    """Map the SPEC's URL forms onto SQLAlchemy's async drivers."""
    if database_url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + database_url[len("sqlite:///") :]
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            url = make_url("postgresql+asyncpg://" + database_url[len(prefix) :])
            if "sslmode" in url.query:
                # libpq's spelling, as hosted PostgreSQL services print it; asyncpg takes
                # the same values as ``ssl``.
                url = url.difference_update_query(["sslmode"]).update_query_dict(
                    {"ssl": url.query["sslmode"]}
                )
            return url.render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL: {database_url}")


class Database:
    """Owns the engine. One per process (per app), created at start-up, disposed at exit."""

    def __init__(self, database_url: str, *, pool_size: int = 10, max_overflow: int = 30) -> None:
        self.url = database_url
        self.is_sqlite = database_url.startswith("sqlite")
        self._sqlite_writer = asyncio.Lock()
        self._pending: list[tuple[Callable[[Connection], object], asyncio.Future]] = []
        self._draining = False
        self._drain_task: asyncio.Task | None = None
        if self.is_sqlite:
            path = database_url[len("sqlite:///") :]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: AsyncEngine = create_async_engine(
                async_url(database_url), pool_size=pool_size, max_overflow=max_overflow
            )
            _install_sqlite_hooks(self.engine.sync_engine)
            self._sync_engine: Engine = create_engine(
                f"sqlite:///{path}",
                pool_size=2,  # the writer thread's connection and the loop's
                max_overflow=0,
                connect_args={"check_same_thread": False},
            )
            _install_sqlite_hooks(self._sync_engine)
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
            # The writer thread's connection, and the loop's for write_now (used only while
            # the writer thread is idle: never both at once).
            self._writer_conn: Connection | None = None
            self._inline_conn: Connection | None = None
            self._read_engine: Engine = create_engine(
                f"sqlite:///{path}",
                pool_size=SQLITE_READERS,
                max_overflow=0,
                connect_args={"check_same_thread": False},
            )
            _install_sqlite_hooks(self._read_engine)
            self._readers = ThreadPoolExecutor(
                max_workers=SQLITE_READERS, thread_name_prefix="sqlite-reader"
            )
        else:
            self.engine = create_async_engine(
                async_url(database_url), pool_size=pool_size, max_overflow=max_overflow
            )
            _drop_closed_connections(self.engine.sync_engine)
            self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

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

    async def read_call(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(connection)`` as one read-only unit of work and return what it returns.

        Like :meth:`write`, ``work`` is a plain function of a synchronous connection. On
        SQLite it runs on a reader thread with the standard driver: one hop for the whole
        unit, where aiosqlite takes one per statement (each a turn of a busy event loop).
        WAL lets readers run beside the writer."""
        if not self.is_sqlite:
            async with self.read() as conn:
                return await conn.run_sync(work)
        return await asyncio.get_running_loop().run_in_executor(
            self._readers, _run_read, self, work
        )

    async def write(self, work: Callable[[Connection], T], *, inline: bool = False) -> T:
        """Run ``work(connection)`` as a write transaction and return what it returns.

        ``work`` is a plain (not async) function of a synchronous SQLAlchemy connection: it
        may run on another thread, must not touch the event loop, and should be quick.
        An exception it raises rolls back its own changes and is raised here.

        ``inline``: on SQLite, try :meth:`write_now` first.
        """
        if not self.is_sqlite:
            async with self.engine.begin() as conn:
                return await conn.run_sync(work)
        now = self.write_now(work) if inline else None
        if now is not None:
            return result_of(now)
        future = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        if not self._draining:
            self._draining = True
            # Keep a reference: the loop holds tasks only weakly.
            self._drain_task = asyncio.get_running_loop().create_task(self._drain())
        return await future

    def write_now(self, work: Callable[[Connection], T]) -> tuple[bool, T | Exception] | None:
        """SQLite: run ``work`` as :meth:`write` would, but right here on the event loop's
        thread, when the writer thread is idle and the file's write lock is free at once:
        no hand-off to the writer thread and back, and no task or turn of the loop (most
        of a short transaction's latency when requests come one at a time).

        Its outcome, ``(True, value)`` or ``(False, error)``; None when the write must wait
        its turn through :meth:`write` (a lock held by another worker, the writer busy, a
        broken connection) and always on PostgreSQL. It never raises, and never awaits, so
        nothing can cancel it halfway."""
        if not self.is_sqlite or self._draining or self._sqlite_writer.locked():
            return None
        return _run_inline(self, work)

    async def execute_alone(self, statement: Executable, params: dict) -> Row | None:
        """PostgreSQL only: one statement, atomic on its own, and its first row (if any).

        It runs without BEGIN and COMMIT, each a round trip of their own: one round trip
        in all, for the hot path's statements that do a whole unit of work at once."""
        async with self._autocommit.connect() as conn:
            return (await conn.execute(statement, params)).first()

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                async with self._sqlite_writer:
                    try:
                        outcomes = await loop.run_in_executor(self._writer, _run_batch, self, batch)
                    except BaseException as error:  # the commit itself failed
                        outcomes = [(False, error)] * len(batch)
                for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:
            self._draining = False

    def _close_writer_connection(self) -> None:
        if self._writer_conn is not None:
            self._writer_conn.close()
            self._writer_conn = None

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.is_sqlite:
            self._writer.submit(self._close_writer_connection)
            self._writer.shutdown(wait=True)
            self._readers.shutdown(wait=True)
            if self._inline_conn is not None:
                self._inline_conn.close()
            self._sync_engine.dispose()
            self._read_engine.dispose()


def result_of(outcome: tuple[bool, T | Exception]) -> T:
    """The value of :meth:`Database.write_now`'s outcome, or its error raised."""
    ok, value = outcome
    if not ok:
        raise value
    return value


def _run_read(db: Database, work: Callable[[Connection], T]) -> T:
    """On a reader thread: a deferred transaction (no write lock), rolled back after."""
    with db._read_engine.connect() as conn:
        conn = conn.execution_options(legion_sqlite_begin="DEFERRED")
        try:
            return work(conn)
        finally:
            conn.rollback()


def _writer_connection(db: Database) -> Connection:
    """The writer thread's own connection, kept open between transactions (a checkout from
    the pool per transaction cost as much as the hold's statements)."""
    conn = db._writer_conn
    if conn is None or conn.closed or conn.invalidated:
        conn = db._writer_conn = db._sync_engine.connect()
    return conn


def _inline_connection(db: Database) -> Connection:
    """The event loop's own write connection, kept open like the writer thread's. Nothing
    on it may wait: no busy timeout for the lock, and no WAL checkpoint on commit (the
    writer thread's commits run them)."""
    conn = db._inline_conn
    if conn is None or conn.closed or conn.invalidated:
        conn = db._inline_conn = db._sync_engine.connect()
        _driver_execute(conn, "PRAGMA busy_timeout = 0")
        _driver_execute(conn, "PRAGMA wal_autocheckpoint = 0")
    return conn


def _run_inline(db: Database, work: Callable[[Connection], T]) -> tuple[bool, object] | None:
    """On the event loop's thread, while the writer thread is idle: the outcome of ``work``
    in a transaction of the loop's connection, or None when the write lock is taken.

    The transaction is begun and ended on the driver itself: SQLAlchemy's begin and commit
    cost more than the hold's statements (issue 14). A statement that ``work`` runs through
    SQLAlchemy opens SQLAlchemy's transaction inside it (the "begin" hook sends no second
    BEGIN), and that transaction then ends it."""
    try:
        conn = _inline_connection(db)
    except SQLAlchemyError:
        return None  # the writer thread's turn, which reports what is wrong
    try:
        driver = conn.connection.dbapi_connection
        driver.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:  # locked by another process: not now
        return None
    except (sqlite3.Error, SQLAlchemyError):  # the connection broke: the next one is new
        conn.invalidate()
        return None
    try:
        value = work(conn)
        _end_inline(conn, driver, commit=True)
    except Exception as error:
        try:
            _end_inline(conn, driver, commit=False)
        except Exception:  # the connection broke: the next write_now opens another
            conn.invalidate()
        return False, error
    return True, value


def _end_inline(conn: Connection, driver: sqlite3.Connection, *, commit: bool) -> None:
    if conn.in_transaction():  # SQLAlchemy's, begun inside: it ends the driver's too
        ending = conn.commit if commit else conn.rollback
    else:
        ending = driver.commit if commit else driver.rollback
    ending()


def _run_batch(db: Database, batch) -> list[tuple[bool, object]]:
    """On the writer thread: one transaction, one savepoint per piece of work (none when
    the work is alone: then the transaction itself is its unit)."""
    conn = _writer_connection(db)
    if len(batch) == 1:
        work, _ = batch[0]
        try:
            with conn.begin():
                return [(True, work(conn))]
        except Exception as error:
            return [(False, error)]
    outcomes: list[tuple[bool, object]] = []
    with conn.begin():
        for work, _ in batch:
            # Plain SQL savepoints: SQLAlchemy's begin_nested() made a batched unit cost
            # more than a unit alone. SQLAlchemy's own transaction is left as it was.
            _driver_execute(conn, "SAVEPOINT legion_unit")
            try:
                value = work(conn)
            except Exception as error:
                _driver_execute(conn, "ROLLBACK TO legion_unit")
                _driver_execute(conn, "RELEASE legion_unit")
                outcomes.append((False, error))
            else:
                _driver_execute(conn, "RELEASE legion_unit")
                outcomes.append((True, value))
    return outcomes


def _drop_closed_connections(engine: Engine) -> None:
    """Replace a pooled connection that PostgreSQL has closed (a restart, an idle timeout,
    ``pg_terminate_backend``) when it is checked out.

    asyncpg learns of the close as soon as it happens, so asking the driver is enough:
    ``pool_pre_ping`` sent a query for it instead, one round trip on every checkout, a
    sixth of a chat request's round trips (issue 14). The pool retries the checkout with
    a new connection."""

    @event.listens_for(engine, "checkout")
    def on_checkout(_dbapi_connection, _record, proxy) -> None:
        if proxy.driver_connection.is_closed():
            raise DisconnectionError("the database closed this connection")


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn) -> None:
        # Begun on the driver already (write_now); aiosqlite's adapter has no such flag.
        if getattr(conn.connection.dbapi_connection, "in_transaction", False):
            return
        mode = conn.get_execution_options().get("legion_sqlite_begin", "IMMEDIATE")
        _driver_execute(conn, f"BEGIN {mode}")


def _driver_execute(conn: Connection, sql: str) -> None:
    """A transaction-control statement straight to the driver: through SQLAlchemy's
    execution machinery it cost more than the statements it brackets (issue 14)."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()
