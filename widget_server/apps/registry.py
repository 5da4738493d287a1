"""Create, read, update and delete apps, and answer which origins an app owns.

The client secret is returned only by :func:`create_app` and :func:`rotate_secret`; only
its SHA-256 digest is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..clock import utcnow
from ..errors import NotFoundError, ValidationError
from ..security.secrets import CLIENT_SECRET_PREFIX, digest, new_client_id, new_secret
from ..storage import Database
from ..storage.schema import apps
from ..storage.schema import redirect_uris as uri_rows
from .redirect_uris import RedirectUri, is_loopback_callback, normalize_redirect_uris

APP_TYPES = ("web", "wordpress", "drupal", "chat")
# Types whose clients run in a browser and so must use PKCE (SPEC §4.2).
PUBLIC_APP_TYPES = ("wordpress", "drupal", "chat")
# The built-in public client of ``legion login`` (SPEC §14), made by migration 0005 (type
# ``cli``): owned by no one, never chats, and the one client whose redirect URIs are a rule
# (any loopback port, RFC 8252 §7.3) rather than a stored list.
CLI_CLIENT_ID = "legion-cli"
DEFAULT_MARGIN_BP = 5000
MAX_MARGIN_PCT = Decimal(1000)
MAX_DESCRIPTION_CHARS = 500
MAX_SYSTEM_PROMPT_CHARS = 20_000
_CLIENT_ID = re.compile(r"lgn_[0-9a-f]{24}")
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")


@dataclass(frozen=True)
class App:
    id: int
    client_id: str
    name: str
    type: str
    redirect_uris: tuple[str, ...]
    origins: frozenset[str]
    margin_bp: int
    default_model: str | None
    owner_user_id: int | None
    secret_hash: str
    created_at: datetime
    description: str = ""
    system_prompt: str = ""  # the maker's: never shown to the app's users

    @property
    def margin_pct(self) -> float | int:
        pct = Decimal(self.margin_bp) / 100
        return int(pct) if pct == pct.to_integral_value() else float(pct)

    @property
    def requires_pkce(self) -> bool:
        return self.type in PUBLIC_APP_TYPES or self.is_builtin_cli

    @property
    def is_builtin_cli(self) -> bool:
        return self.client_id == CLI_CLIENT_ID

    def accepts_redirect_uri(self, uri: str) -> bool:
        """Character for character one of the stored URIs (SPEC §4.2); for ``legion-cli``
        only, a loopback ``/callback`` on any port (RFC 8252 §7.3)."""
        if self.is_builtin_cli:
            return is_loopback_callback(uri)
        return uri in self.redirect_uris

    def public_dict(self) -> dict:
        return {
            "client_id": self.client_id,
            "name": self.name,
            "type": self.type,
            "redirect_uris": list(self.redirect_uris),
            "margin": self.margin_pct,
            "default_model": self.default_model,
            "description": self.description,
            "system_prompt": self.system_prompt,
            "owner_user_id": self.owner_user_id,
            "created_at": self.created_at.isoformat(),
        }


def looks_like_client_id(value: str) -> bool:
    return isinstance(value, str) and (bool(_CLIENT_ID.fullmatch(value)) or value == CLI_CLIENT_ID)


def parse_margin(value: str | float | int) -> int:
    """A margin in percent (``50``, ``12.5``) as basis points."""
    try:
        pct = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"margin must be a number of percent, not {value!r}") from None
    if not pct.is_finite() or pct < 0 or pct > MAX_MARGIN_PCT:
        raise ValidationError(f"margin must be between 0 and {MAX_MARGIN_PCT} percent")
    bp = pct * 100
    if bp != bp.to_integral_value():
        raise ValidationError("margin may have at most two decimals")
    return int(bp)


def validate_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise ValidationError("an app needs a name")
    if len(cleaned) > 200:
        raise ValidationError("an app name must be at most 200 characters")
    if any(ord(ch) < 32 for ch in cleaned):
        raise ValidationError("an app name must not contain control characters")
    return cleaned


def validate_description(description: str | None) -> str:
    """Plain text (shown escaped wherever it appears), at most 500 characters."""
    text = (description or "").strip()
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise ValidationError(
            f"a description must be at most {MAX_DESCRIPTION_CHARS} characters, not {len(text)}"
        )
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise ValidationError("a description must not contain control characters")
    return text


def validate_system_prompt(prompt: str | None) -> str:
    text = (prompt or "").strip()
    if len(text) > MAX_SYSTEM_PROMPT_CHARS:
        raise ValidationError(
            f"a system prompt must be at most {MAX_SYSTEM_PROMPT_CHARS:,} characters, "
            f"not {len(text):,}"
        )
    if "\x00" in text:
        raise ValidationError("a system prompt must not contain NUL characters")
    return text


def chat_page_uri(public_url: str, client_id: str) -> str:
    """A chat app's own redirect URI: its hosted page (SPEC §12)."""
    return f"{public_url.rstrip('/')}/chat/{client_id}"


def validate_type(app_type: str) -> str:
    if app_type not in APP_TYPES:
        raise ValidationError(f"app type must be one of {', '.join(APP_TYPES)}")
    return app_type


def validate_model_name(model: str | None) -> str | None:
    if model is None or model == "":
        return None
    if not _MODEL_NAME.fullmatch(model):
        raise ValidationError(f"{model!r} is not a valid model name")
    from ..gateway.catalog import is_known_model, load_catalog

    if not is_known_model(model):
        known = ", ".join(load_catalog().models)
        raise ValidationError(f"unknown model {model!r}; the catalog has: {known}")
    return model


async def create_app(
    db: Database,
    *,
    name: str,
    redirect_uris: list[str],
    app_type: str = "web",
    margin: str | float | int | None = None,
    default_model: str | None = None,
    owner_user_id: int | None = None,
    description: str | None = None,
    system_prompt: str | None = None,
    public_url: str | None = None,
) -> tuple[App, str]:
    """Register an app; returns it with its client secret (shown this once).

    A ``chat`` app's first redirect URI is its hosted page on ``public_url``, set here, so
    it needs no other."""
    name = validate_name(name)
    app_type = validate_type(app_type)
    client_id = new_client_id()
    if app_type == "chat":
        if not public_url:
            raise ValidationError("a chat app needs the server's public URL")
        own = chat_page_uri(public_url, client_id)
        redirect_uris = [own, *(uri for uri in redirect_uris if uri != own)]
    uris = normalize_redirect_uris(redirect_uris)
    margin_bp = DEFAULT_MARGIN_BP if margin is None else parse_margin(margin)
    default_model = validate_model_name(default_model)
    description = validate_description(description)
    system_prompt = validate_system_prompt(system_prompt)
    secret = new_secret(CLIENT_SECRET_PREFIX)
    now = utcnow()
    async with db.transaction() as conn:
        result = await conn.execute(
            insert(apps)
            .values(
                client_id=client_id,
                description=description,
                system_prompt=system_prompt,
                name=name,
                type=app_type,
                secret_hash=digest(secret),
                margin_bp=margin_bp,
                default_model=default_model,
                owner_user_id=owner_user_id,
                created_at=now,
                updated_at=now,
            )
            .returning(apps.c.id)
        )
        app_id = result.scalar_one()
        await _store_redirect_uris(conn, app_id, uris)
        app = await conn.run_sync(_load_app, apps.c.id == app_id)
    assert app is not None
    return app, secret


async def get_app(db: Database, client_id: str) -> App | None:
    if not looks_like_client_id(client_id):
        return None  # also keeps NUL bytes and megabyte strings away from the database
    async with db.read() as conn:
        return await conn.run_sync(_load_app, apps.c.client_id == client_id)


async def list_apps(db: Database, owner_user_id: int | None = None) -> list[App]:
    async with db.read() as conn:
        query = select(apps).order_by(apps.c.id)
        if owner_user_id is not None:
            query = query.where(apps.c.owner_user_id == owner_user_id)
        rows = (await conn.execute(query)).mappings().all()
        uris = await conn.run_sync(_redirect_uris_by_app, [row["id"] for row in rows])
    return [_app_from_row(row, uris.get(row["id"], [])) for row in rows]


async def update_app(
    db: Database,
    client_id: str,
    *,
    name: str | None = None,
    redirect_uris: list[str] | None = None,
    margin: str | float | int | None = None,
    default_model: str | None = None,
    description: str | None = None,
    system_prompt: str | None = None,
) -> App:
    """Change the given fields; an empty ``default_model`` clears it, as an empty
    description or system prompt does. A chat app keeps its hosted page's redirect URI."""
    _refuse_builtin(client_id)
    values: dict = {}
    if name is not None:
        values["name"] = validate_name(name)
    if description is not None:
        values["description"] = validate_description(description)
    if system_prompt is not None:
        values["system_prompt"] = validate_system_prompt(system_prompt)
    if margin is not None:
        values["margin_bp"] = parse_margin(margin)
    if default_model is not None:
        values["default_model"] = validate_model_name(default_model)
    async with db.transaction() as conn:
        app = await conn.run_sync(_load_app, apps.c.client_id == client_id)
        if app is None:
            raise NotFoundError(f"no app with client id {client_id!r}")
        uris = None
        if redirect_uris is not None:
            if app.type == "chat":
                own = app.redirect_uris[0]
                redirect_uris = [own, *(uri for uri in redirect_uris if uri != own)]
            uris = normalize_redirect_uris(redirect_uris)
        values["updated_at"] = utcnow()
        await conn.execute(update(apps).where(apps.c.id == app.id).values(**values))
        if uris is not None:
            await conn.execute(delete(uri_rows).where(uri_rows.c.app_id == app.id))
            await _store_redirect_uris(conn, app.id, uris)
        updated = await conn.run_sync(_load_app, apps.c.id == app.id)
    assert updated is not None
    return updated


async def rotate_secret(db: Database, client_id: str) -> tuple[App, str]:
    _refuse_builtin(client_id)
    secret = new_secret(CLIENT_SECRET_PREFIX)
    async with db.transaction() as conn:
        result = await conn.execute(
            update(apps)
            .where(apps.c.client_id == client_id)
            .values(secret_hash=digest(secret), updated_at=utcnow())
        )
        if result.rowcount == 0:
            raise NotFoundError(f"no app with client id {client_id!r}")
        app = await conn.run_sync(_load_app, apps.c.client_id == client_id)
    assert app is not None
    return app, secret


async def delete_app(db: Database, client_id: str) -> None:
    """Delete an app with everything hanging off it (connections, tokens, ledger rows)."""
    _refuse_builtin(client_id)
    async with db.transaction() as conn:
        result = await conn.execute(delete(apps).where(apps.c.client_id == client_id))
        if result.rowcount == 0:
            raise NotFoundError(f"no app with client id {client_id!r}")


def _refuse_builtin(client_id: str) -> None:
    if client_id == CLI_CLIENT_ID:
        raise ValidationError(
            f"{CLI_CLIENT_ID} is the built-in client of `legion login`: it can't be changed "
            "or deleted (users revoke its access on /account)"
        )


async def load_app_by_id(conn: AsyncConnection, app_id: int) -> App | None:
    """For callers already inside a unit of work (token checks join through here)."""
    return await conn.run_sync(load_app_by_id_sync, app_id)


def load_app_by_id_sync(conn: Connection, app_id: int) -> App | None:
    """The same, inside a synchronous unit of work (``Database.write``)."""
    return _load_app(conn, apps.c.id == app_id)


async def origin_is_registered(db: Database, origin: str) -> bool:
    """Whether some app has a redirect URI on this origin (for preflights)."""
    async with db.read() as conn:
        found = await conn.execute(
            select(func.count()).select_from(uri_rows).where(uri_rows.c.origin == origin)
        )
        return found.scalar_one() > 0


async def _store_redirect_uris(conn: AsyncConnection, app_id: int, uris: list[RedirectUri]):
    await conn.execute(
        insert(uri_rows),
        [
            {"app_id": app_id, "position": i, "uri": u.uri, "origin": u.origin}
            for i, u in enumerate(uris)
        ],
    )


def _load_app(conn: Connection, condition) -> App | None:
    """One app with its redirect URIs (a plain function: async callers use run_sync)."""
    row = conn.execute(select(apps).where(condition)).mappings().first()
    if row is None:
        return None
    uris = _redirect_uris_by_app(conn, [row["id"]])
    return _app_from_row(row, uris.get(row["id"], []))


def _redirect_uris_by_app(conn: Connection, app_ids: list[int]) -> dict:
    if not app_ids:
        return {}
    rows = conn.execute(
        select(uri_rows.c.app_id, uri_rows.c.uri, uri_rows.c.origin)
        .where(uri_rows.c.app_id.in_(app_ids))
        .order_by(uri_rows.c.app_id, uri_rows.c.position)
    )
    by_app: dict[int, list[tuple[str, str]]] = {}
    for app_id, uri, origin in rows:
        by_app.setdefault(app_id, []).append((uri, origin))
    return by_app


def _app_from_row(row, uris: list[tuple[str, str]]) -> App:
    return App(
        id=row["id"],
        client_id=row["client_id"],
        name=row["name"],
        type=row["type"],
        redirect_uris=tuple(uri for uri, _ in uris),
        origins=frozenset(origin for _, origin in uris),
        margin_bp=row["margin_bp"],
        default_model=row["default_model"],
        owner_user_id=row["owner_user_id"],
        secret_hash=row["secret_hash"],
        created_at=row["created_at"],
        description=row["description"],
        system_prompt=row["system_prompt"],
    )
