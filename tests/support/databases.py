"""Fresh databases for test servers: a SQLite file, or a new PostgreSQL database.

PostgreSQL comes from ``LEGION_TEST_PG_URL`` (the test command starts a server and sets
it); each test server gets its own database, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_admin_url() -> str:
    return os.environ.get("LEGION_TEST_PG_URL", DEFAULT_PG_URL)


def run_async(coro):
    """Run a coroutine to completion, even where an event loop is already running (the
    Playwright sync API keeps one running in the main thread while a browser is open)."""
    result: dict = {}

    def target():
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as error:  # re-raised in the caller's thread
            result["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


async def _execute(sql: str) -> None:
    conn = await asyncpg.connect(pg_admin_url(), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        run_async(_execute("SELECT 1"))
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


def pg_required() -> bool:
    return os.environ.get("LEGION_TEST_REQUIRE_PG") == "1"


def new_pg_database() -> str:
    name = "legion_test_" + secrets.token_hex(6)
    run_async(_execute(f'CREATE DATABASE "{name}"'))
    parts = urlsplit(pg_admin_url())
    return urlunsplit(parts._replace(path="/" + name))


def drop_pg_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    if name.startswith("legion_test_"):
        run_async(_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def new_sqlite_url(directory: Path | None = None) -> str:
    directory = directory or Path(tempfile.mkdtemp(prefix="legion-db-"))
    return f"sqlite:///{directory / 'legion.db'}"


def in_own_loop(test):
    """An ``async def`` test run by :func:`run_async`: pytest-asyncio's runner can't start
    where a browser module of the same worker left Playwright's loop running."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return run_async(test(*args, **kwargs))

    return run


class TestDatabase:
    """A database of one backend for one server; ``close()`` drops PostgreSQL ones."""

    __test__ = False  # not a test class, despite the name

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.url = new_pg_database() if backend == "postgres" else new_sqlite_url()

    def close(self) -> None:
        if self.backend == "postgres":
            drop_pg_database(self.url)
