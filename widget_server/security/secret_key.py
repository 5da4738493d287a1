"""The key that signs session cookies: ``LEGION_SECRET_KEY``, or one generated once.

With SQLite it is kept in a file beside the database (``legion.db.secret``, mode 0600);
with PostgreSQL in the database itself, so that every worker and host agrees on it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ..config import Config
from ..storage import Database
from ..storage.schema import server_settings

SETTING_NAME = "secret_key"


async def resolve_secret_key(config: Config, db: Database) -> str:
    if config.secret_key:
        return config.secret_key
    if config.sqlite_path is not None:
        return _key_beside(config.sqlite_path)
    return await _key_in_database(db)


def secret_file_for(database_path: Path) -> Path:
    return database_path.with_name(database_path.name + ".secret")


def _key_beside(database_path: Path) -> str:
    path = secret_file_for(database_path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if key:
            return key
        raise RuntimeError(f"{path} is empty; delete it to generate a new key") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


async def _key_in_database(db: Database) -> str:
    async with db.transaction() as conn:
        await conn.execute(
            pg_insert(server_settings)
            .values(key=SETTING_NAME, value=secrets.token_urlsafe(48))
            .on_conflict_do_nothing(index_elements=["key"])
        )
        return (
            await conn.execute(
                select(server_settings.c.value).where(server_settings.c.key == SETTING_NAME)
            )
        ).scalar_one()
