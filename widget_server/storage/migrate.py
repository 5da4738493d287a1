"""Runs the Alembic migrations in ``migrations/`` from code, on the app's own engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from .database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _alembic_config(sync_connection=None) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = sync_connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


async def current_revision(db: Database) -> str | None:
    async with db.read() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision; a no-op when it is there already.

    Safe to run from several processes at once: SQLite serializes on BEGIN IMMEDIATE and
    PostgreSQL on an advisory lock held for the transaction.
    """
    if await current_revision(db) == head_revision():
        return
    async with db.transaction() as conn:
        if not db.is_sqlite:
            await conn.execute(text("SELECT pg_advisory_xact_lock(727170001)"))
        await conn.run_sync(lambda sync: command.upgrade(_alembic_config(sync), "head"))
