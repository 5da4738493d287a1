"""The key that signs session cookies: ``LEGION_SECRET_KEY``, or one generated once.

With SQLite it is kept in a file beside the database (``legion.db.secret``, mode 0600);
with PostgreSQL in the database itself, so that every worker and host agrees on it.
"""

from __future__ import annotations

import os
import secrets
import tempfile
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
    """Read the key file, or create it whole: the key is written to a private temporary
    file that is then linked into place, so that workers starting together never see a
    half-written file, and the first one to link wins."""
    path = secret_file_for(database_path)
    if not path.exists():
        key = secrets.token_urlsafe(48)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
        try:
            with os.fdopen(fd, "w") as handle:  # mkstemp creates it with mode 0600
                handle.write(key + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another worker was first: use its key
        except OSError:  # a file system without hard links: create it in place
            return _create_in_place(path, key)
        else:
            return key
        finally:
            os.unlink(temporary)
    return path.read_text().strip() or _empty(path)


def _create_in_place(path: Path, key: str) -> str:
    """The fallback: exclusive creation, then the write (a worker starting in between may
    read an empty file and is told so)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip() or _empty(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key


def _empty(path: Path) -> str:
    raise RuntimeError(f"{path} is empty; delete it to generate a new key")


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
