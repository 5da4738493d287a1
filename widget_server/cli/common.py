"""What the commands share: opening the database (migrated) and printing results."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ..config import Config
from ..storage import Database
from ..storage.migrate import upgrade


@asynccontextmanager
async def open_database(config: Config | None = None) -> AsyncIterator[Database]:
    db = Database((config or Config.from_env()).database_url, pool_size=2, max_overflow=2)
    try:
        await upgrade(db)
        yield db
    finally:
        await db.dispose()


def print_json(value) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_fields(fields: dict) -> None:
    width = max(len(k) for k in fields)
    for key, value in fields.items():
        shown = ", ".join(value) if isinstance(value, list | tuple) else value
        print(f"{key.ljust(width)}  {'' if shown is None else shown}")
