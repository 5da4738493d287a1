"""What the commands share: opening the database (migrated) and printing results."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import SQLAlchemyError

from ..config import Config
from ..errors import ConfigError
from ..storage import Database
from ..storage.migrate import upgrade


@asynccontextmanager
async def open_database(config: Config | None = None) -> AsyncIterator[Database]:
    db = Database((config or Config.from_env()).database_url, pool_size=2, max_overflow=2)
    try:
        try:
            await upgrade(db)
        except (OSError, SQLAlchemyError, TypeError) as error:
            # Unreachable host, refused connection, wrong password, unknown database, a URL
            # option the driver doesn't take: one line for the operator, no traceback.
            url_option = "connect() got an unexpected keyword" in str(error)
            if isinstance(error, TypeError) and not url_option:
                raise  # a bug, not a mistake in the URL
            raise ConfigError(f"cannot open the database: {_reason(error)}") from error
        yield db
    finally:
        await db.dispose()


def _reason(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__
