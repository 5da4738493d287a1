"""PostgreSQL closing the server's connections (a restart of the database, an idle
timeout, an operator's ``pg_terminate_backend``): the next requests get fresh connections
instead of an error. Real server, real PostgreSQL, the backends really terminated."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.fakes.fixtures import new_visitor, serve_gateway
from tests.support.databases import pg_admin_url, run_async
from tests.support.fixtures import require_backend


@pytest.fixture(scope="module")
def pg_server(fake):
    require_backend("postgres")
    yield from serve_gateway("postgres", fake)


def database_name(server) -> str:
    return urlsplit(server.env["LEGION_DATABASE_URL"]).path.lstrip("/")


async def _terminate_connections(database: str) -> int:
    """End every connection to ``database`` and wait until their backends have exited, as
    after a restart or an idle timeout (the signal alone returns before they are gone)."""
    admin = await asyncpg.connect(pg_admin_url(), timeout=5)
    try:
        ended = await admin.fetchval(
            "SELECT coalesce(array_agg(pid), '{}') FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid", ended)
        for _ in range(100):
            if not await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", ended
            ):
                break
            await asyncio.sleep(0.05)
        return len(ended)
    finally:
        await admin.close()


def test_connections_closed_by_postgres_are_replaced(pg_server, fake, unique_email):
    visitor = new_visitor(pg_server, unique_email("pg-closed"))
    fake.set(reply="First answer")
    for _ in range(3):  # enough requests to leave connections in the pool
        assert visitor.chat(model="gpt-4o-mini").status_code == 200
    assert visitor.person.get("/account").status_code == 200

    assert run_async(_terminate_connections(database_name(pg_server))) >= 1

    fake.set(reply="After the cut")
    answer = visitor.chat(model="gpt-4o-mini")
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["message"]["content"] == "After the cut"
    assert visitor.person.get("/account").status_code == 200
    streamed, events = visitor.stream(model="gpt-4o-mini")
    assert streamed.status_code == 200 and events[-1] == "[DONE]"
    # Every answer booked, none lost to the cut.
    assert [row["model"] for row in visitor.transactions()] == ["gpt-4o-mini"] * 5
