"""Storage on both backends: migrations, hashed secrets, the generated secret key."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import bindparam, insert, literal, select, text, update

from tests.support.databases import TestDatabase, run_async
from tests.support.developer_api import Developer, cli_login_tokens, make_token
from tests.support.fixtures import require_backend
from tests.support.oauth import DEFAULT_PASSWORD, new_site, pkce_pair
from tests.support.server import REPO_ROOT, ServerProcess
from widget_server.storage import Database
from widget_server.storage.hot import HotStatement
from widget_server.storage.migrate import head_revision, upgrade
from widget_server.storage.schema import is_search_index_object, metadata, users


async def _schema_differences(url: str) -> list:
    db = Database(url)
    try:
        await upgrade(db)
        async with db.read() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync,
                        opts={
                            "include_name": lambda name, type_, parents: (
                                not (is_search_index_object(name, type_))
                            )
                        },
                    ),
                    metadata,
                )
            )
    finally:
        await db.dispose()


async def _dump_text(url: str) -> str:
    """Every value of every table, as one string, to search for leaked secrets."""
    db = Database(url)
    parts = []
    try:
        async with db.read() as conn:
            for table in metadata.sorted_tables:
                rows = await conn.execute(text(f'SELECT * FROM "{table.name}"'))  # noqa: S608
                parts.extend(repr(tuple(row)) for row in rows)
    finally:
        await db.dispose()
    return "\n".join(parts)


@pytest.fixture
def database(backend):
    db = TestDatabase(backend)
    yield db
    db.close()


def test_migrations_create_exactly_the_declared_schema(database):
    assert run_async(_schema_differences(database.url)) == []


def test_concurrent_migrations_from_several_processes_all_succeed(database):
    env = {**os.environ, "LEGION_DATABASE_URL": database.url}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "widget_server", "migrate"],
            env=env,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    results = [(*p.communicate(timeout=60), p.returncode) for p in processes]
    assert [r[2] for r in results] == [0, 0, 0, 0], results
    assert run_async(_schema_differences(database.url)) == []


def test_head_revision_is_the_newest_migration():
    versions = Path(REPO_ROOT, "widget_server/storage/migrations/versions")
    newest = sorted(p.name for p in versions.glob("[0-9]*.py"))[-1]
    assert newest.startswith(head_revision())


async def _migrate_to(url: str, revision: str) -> None:
    from alembic import command

    from widget_server.storage.migrate import _alembic_config

    db = Database(url)
    try:
        async with db.transaction() as conn:
            step = command.downgrade if revision != "head" else command.upgrade
            await conn.run_sync(lambda sync: step(_alembic_config(sync), revision))
    finally:
        await db.dispose()


def test_upgrading_an_older_database_keeps_its_data(tmp_path, unique_email):
    """A database made before the newest migration, with a live connection in it, is
    upgraded in place: its tokens still work (no table copy cascading deletes)."""
    url = f"sqlite:///{tmp_path / 'legion.db'}"
    with ServerProcess(url) as server:
        site = new_site(server, unique_email(), "http://upgrade.localhost:7502/cb")
        verifier, challenge = pkce_pair()
        tokens = site.exchange(site.code(challenge), verifier).json()
    run_async(_migrate_to(url, "0001"))
    run_async(_migrate_to(url, "head"))
    assert run_async(_schema_differences(url)) == []
    with ServerProcess(url) as server:
        site.server_url = server.url
        renewed = site.refresh(tokens["refresh_token"])
        assert renewed.status_code == 200, renewed.text


def test_codes_tokens_secrets_and_passwords_are_stored_only_as_hashes(server, unique_email):
    site = new_site(server, unique_email(), "http://store.localhost:7501/cb")
    verifier, challenge = pkce_pair()
    code = site.code(challenge)
    tokens = site.exchange(code, verifier).json()
    renewed = site.refresh(tokens["refresh_token"]).json()
    session_cookie = site.person.http.cookies.get("legion_session")
    developer_token = make_token(site.person)  # SPEC §14: made on /account...
    developer = Developer(server.url, site.email, 0, site.person, developer_token)
    cli_tokens = cli_login_tokens(developer)  # ...and got by `legion login`
    dump = run_async(_dump_text(server.env["LEGION_DATABASE_URL"]))
    secrets_in_clear = [
        code,
        tokens["access_token"],
        tokens["refresh_token"],
        renewed["access_token"],
        renewed["refresh_token"],
        site.client_secret,
        DEFAULT_PASSWORD,
        verifier,
        session_cookie,
        developer_token,
        cli_tokens["access_token"],
        cli_tokens["refresh_token"],
    ]
    for secret in secrets_in_clear:
        assert secret not in dump
    assert site.client_id in dump  # the search itself works
    assert "$argon2id$" in dump


def test_secret_key_file_is_private_and_stable(tmp_path):
    url = f"sqlite:///{tmp_path / 'legion.db'}"
    with ServerProcess(url, env={"LEGION_SECRET_KEY": ""}) as first:
        first.create_user("key@example.com")
    key_file = tmp_path / "legion.db.secret"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    assert len(key.strip()) >= 32
    with ServerProcess(url, env={"LEGION_SECRET_KEY": ""}):
        pass
    assert key_file.read_text() == key


def _resolve_key_after(barrier, database_path: str) -> str:
    from widget_server.security.secret_key import _key_beside

    barrier.wait()
    return _key_beside(Path(database_path))


def test_workers_starting_together_agree_on_one_whole_key(tmp_path):
    """Many processes creating the key file at once: each one reads a whole key, the
    same one (an earlier version let a worker read the file before it was written)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    workers = 6
    with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
        for attempt in range(10):
            barrier = manager.Barrier(workers)
            database = tmp_path / f"legion-{attempt}.db"
            keys = list(
                pool.map(_resolve_key_after, [barrier] * workers, [str(database)] * workers)
            )
            assert len(set(keys)) == 1 and len(keys[0]) >= 32
            key_file = database.with_name(database.name + ".secret")
            assert key_file.read_text().strip() == keys[0]
            assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if ".secret." in p.name) == []


def test_secret_key_lives_in_the_database_with_postgres():
    require_backend("postgres")
    database = TestDatabase("postgres")
    try:
        with ServerProcess(database.url, env={"LEGION_SECRET_KEY": ""}):
            pass
        dump = run_async(_dump_text(database.url))
    finally:
        database.close()
    assert "'secret_key'" in dump


async def _age_grant_and_purge(url: str, refresh_token: str) -> tuple[int, int]:
    """Push one grant's end two days into the past, purge, and count what is left."""
    from datetime import timedelta

    from sqlalchemy import func, select, update

    from widget_server.clock import utcnow
    from widget_server.security.secrets import digest
    from widget_server.storage.maintenance import purge_expired
    from widget_server.storage.schema import grants, refresh_tokens

    db = Database(url)
    try:
        async with db.transaction() as conn:
            grant_id = (
                await conn.execute(
                    select(refresh_tokens.c.grant_id).where(
                        refresh_tokens.c.token_hash == digest(refresh_token)
                    )
                )
            ).scalar_one()
            await conn.execute(
                update(grants)
                .where(grants.c.id == grant_id)
                .values(expires_at=utcnow() - timedelta(days=2))
            )
        await purge_expired(db)
        async with db.read() as conn:
            gone = await conn.execute(
                select(func.count())
                .select_from(refresh_tokens)
                .where(refresh_tokens.c.grant_id == grant_id)
            )
            left = await conn.execute(select(func.count()).select_from(grants))
            return gone.scalar_one(), left.scalar_one()
    finally:
        await db.dispose()


def test_purge_removes_long_dead_grants_with_their_tokens_and_keeps_live_ones(
    make_server, unique_email
):
    server = make_server()
    site = new_site(server, unique_email(), "http://purge.localhost:7502/cb")
    dead, alive = site.tokens(), site.tokens()
    remaining_tokens, remaining_grants = run_async(
        _age_grant_and_purge(server.env["LEGION_DATABASE_URL"], dead["refresh_token"])
    )
    assert remaining_tokens == 0
    assert remaining_grants == 1
    assert site.refresh(alive["refresh_token"]).status_code == 200
    assert site.refresh(dead["refresh_token"]).json()["error"] == "invalid_grant"


async def _writes_queued_together(url: str) -> tuple[list, list[str]]:
    """Five writes queued at once (on SQLite, one batch on the writer thread): the third
    inserts a row and then fails."""
    db = Database(url)
    try:
        await upgrade(db)

        def insert_note(name: str, fail: bool = False):
            def work(conn):
                conn.execute(
                    text("INSERT INTO server_settings (key, value) VALUES (:key, 'x')"),
                    {"key": name},
                )
                if fail:
                    raise ValueError(f"{name} failed after writing")
                return name

            return work

        outcomes = await asyncio.gather(
            *(db.write(insert_note(f"batch-{i}", fail=i == 2)) for i in range(5)),
            return_exceptions=True,
        )
        async with db.read() as conn:
            rows = await conn.execute(
                text("SELECT key FROM server_settings WHERE key LIKE 'batch-%'")
            )
            kept = sorted(row.key for row in rows)
        return outcomes, kept
    finally:
        await db.dispose()


def test_writes_queued_together_succeed_or_fail_each_on_its_own(database):
    outcomes, kept = run_async(_writes_queued_together(database.url))
    assert outcomes[:2] == ["batch-0", "batch-1"] and outcomes[3:] == ["batch-3", "batch-4"]
    assert isinstance(outcomes[2], ValueError)
    assert kept == ["batch-0", "batch-1", "batch-3", "batch-4"]  # the failed one left nothing


async def _stored_by_hot_and_plain(url: str) -> tuple[list, int, int]:
    """The same INSERT through HotStatement and through SQLAlchemy, then an UPDATE with a
    literal in it: the rows as stored, and the row counts."""
    moment = datetime(2026, 12, 5, 16, 0, 1, 234567, tzinfo=UTC)
    db = Database(url)
    try:
        await upgrade(db)
        hot = HotStatement(insert(users))
        older = HotStatement(
            update(users)
            .where(users.c.created_at < bindparam("before"))
            .values(preferences=literal("old"))
        )

        def work(conn):
            row = {"email": "hot@example.com", "password_hash": "x", "created_at": moment}
            inserted = hot.execute(conn, row)
            conn.execute(insert(users), {**row, "email": "plain@example.com"})
            changed = older.execute(conn, {"before": moment + timedelta(seconds=1)})
            return inserted, changed

        inserted, changed = await db.write(work)
        by_email = select(users.c.email, users.c.created_at, users.c.age).where(
            users.c.email == bindparam("email")
        )
        hot_select = HotStatement(by_email)

        def both(conn):
            params = {"email": "hot@example.com"}
            plain = conn.execute(by_email, params).first()
            return (
                dict(hot_select.first(conn, params)),
                dict(plain._mapping),
                (hot_select.first(conn, {"email": "nobody@example.com"})),
            )

        hot_row, plain_row, nothing = await db.write(both)
        assert (
            hot_row == plain_row == {"email": "hot@example.com", "created_at": moment, "age": None}
        )
        assert nothing is None
        async with db.read() as conn:
            rows = await conn.execute(
                text("SELECT email, CAST(created_at AS TEXT) AS at, preferences FROM users")
            )
            stored = sorted(tuple(row) for row in rows)
        return stored, inserted, changed
    finally:
        await db.dispose()


def test_hot_statements_store_exactly_what_sqlalchemy_stores(database):
    stored, inserted, changed = run_async(_stored_by_hot_and_plain(database.url))
    (hot_email, hot_at, hot_prefs), (plain_email, plain_at, plain_prefs) = stored
    assert (hot_email, plain_email) == ("hot@example.com", "plain@example.com")
    assert hot_at == plain_at  # the same date format (SQLite compares them as text)
    assert hot_prefs == plain_prefs == "old"
    assert (inserted, changed) == (1, 2)


def test_a_hot_statement_refuses_a_missing_parameter(tmp_path):
    """On SQLite it compiles the statement itself, so it must refuse what SQLAlchemy would
    (PostgreSQL's statements go to SQLAlchemy as they are)."""

    async def attempt():
        db = Database(f"sqlite:///{tmp_path / 'hot.db'}")
        try:
            await upgrade(db)
            statement = HotStatement(update(users).values(preferences=bindparam("prefs")))
            return await db.write(lambda conn: statement.execute(conn, {}))
        finally:
            await db.dispose()

    with pytest.raises(TypeError, match="prefs"):
        run_async(attempt())


async def _inline_writes(path: Path) -> dict:
    db = Database(f"sqlite:///{path}")
    seen: dict = {}
    try:
        await upgrade(db)

        def note(name: str, fail: bool = False):
            def work(conn):
                seen[name] = threading.current_thread().name
                conn.execute(
                    text("INSERT INTO server_settings (key, value) VALUES (:key, 'x')"),
                    {"key": name},
                )
                if fail:
                    raise ValueError(name)
                return name

            return work

        seen["idle"] = await db.write(note("idle-writer"), inline=True)
        with pytest.raises(ValueError):
            await db.write(note("failed", fail=True), inline=True)
        # The loop's connection breaks behind SQLAlchemy's back: that write waits for the
        # writer thread, and the next one runs on the loop again, on a new connection.
        db._inline_conn.connection.dbapi_connection.close()
        await db.write(note("broken-inline"), inline=True)
        await db.write(note("inline-again"), inline=True)
        # Another process's writer holds the file's write lock for a while: the inline
        # write must not wait for it on the event loop.
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        ticks = 0

        async def loop_keeps_turning():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(loop_keeps_turning())
        writing = asyncio.create_task(db.write(note("locked-elsewhere"), inline=True))
        await asyncio.sleep(0.3)
        seen["ticks_while_locked"] = ticks
        seen["done_while_locked"] = writing.done()
        other.execute("COMMIT")
        other.close()
        await writing
        ticker.cancel()
        async with db.read() as conn:
            rows = await conn.execute(text("SELECT key FROM server_settings"))
            seen["kept"] = sorted(row.key for row in rows)
        return seen
    finally:
        await db.dispose()


def test_an_inline_write_runs_on_the_loop_only_when_nothing_waits(tmp_path):
    seen = run_async(_inline_writes(tmp_path / "inline.db"))
    assert not seen["idle-writer"].startswith("sqlite-writer")  # ran right there
    assert not seen["failed"].startswith("sqlite-writer")
    assert seen["locked-elsewhere"].startswith("sqlite-writer")  # waited on the writer thread
    assert not seen["done_while_locked"] and seen["ticks_while_locked"] >= 10
    assert seen["broken-inline"].startswith("sqlite-writer")
    assert not seen["inline-again"].startswith("sqlite-writer")
    # The failed one left nothing.
    assert seen["kept"] == ["broken-inline", "idle-writer", "inline-again", "locked-elsewhere"]
