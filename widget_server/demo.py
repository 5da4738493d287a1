"""The embedded default (``serve --demo``): a demo app and a demo user with credit, made
once and found again on later starts."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .accounts.users import create_user
from .apps.registry import create_app, get_app, update_app
from .config import Config
from .errors import ValidationError
from .storage import Database
from .storage.schema import server_settings

DEMO_EMAIL = "demo@legion.example"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - the documented demo login
DEMO_CREDIT_MICROS = 5_000_000
DEMO_MODEL = "demo"
DEMO_CALLBACK_PATH = "/demo/callback"
_SETTING = "demo_client_id"


@dataclass(frozen=True)
class DemoSetup:
    client_id: str
    redirect_uri: str
    email: str
    password: str


async def demo_client_id(db: Database) -> str | None:
    async with db.read() as conn:
        return (
            await conn.execute(
                select(server_settings.c.value).where(server_settings.c.key == _SETTING)
            )
        ).scalar()


async def ensure_demo(db: Database, config: Config) -> DemoSetup:
    """Create the demo app and user unless they exist; keep the app's URI on this server."""
    redirect_uri = config.public_url + DEMO_CALLBACK_PATH
    client_id = await demo_client_id(db)
    app = await get_app(db, client_id) if client_id else None
    if app is None:
        app, _ = await create_app(
            db,
            name="Legion demo",
            redirect_uris=[redirect_uri],
            app_type="web",
            default_model=DEMO_MODEL,
        )
        await _remember(db, app.client_id)
    elif redirect_uri not in app.redirect_uris:
        app = await update_app(db, app.client_id, redirect_uris=[*app.redirect_uris, redirect_uri])
    with contextlib.suppress(ValidationError):  # made on an earlier start
        await create_user(
            db, email=DEMO_EMAIL, password=DEMO_PASSWORD, credit_micros=DEMO_CREDIT_MICROS
        )
    return DemoSetup(app.client_id, redirect_uri, DEMO_EMAIL, DEMO_PASSWORD)


async def _remember(db: Database, client_id: str) -> None:
    insert = sqlite_insert if db.is_sqlite else pg_insert
    async with db.transaction() as conn:
        statement = insert(server_settings).values(key=_SETTING, value=client_id)
        await conn.execute(
            statement.on_conflict_do_update(index_elements=["key"], set_={"value": client_id})
        )
