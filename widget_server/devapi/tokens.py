"""Who may manage apps: developer tokens, and the one check for every ``/v1/apps`` call.

Two kinds of bearer token speak for a developer (SPEC §14):

- a **developer token** (``ldt_...``), made on /account, kept here as a SHA-256 digest,
  optionally expiring, revocable there;
- an **OAuth access token** of the built-in ``legion-cli`` client (``legion login``),
  an ordinary grant (``oauth/tokens.py``) whose scope is ``apps:manage``.

:func:`authenticate_developer` accepts either; a chat token (``chat:completions``) gets
403 ``insufficient_scope``, as a developer token does on the chat API (``gateway/auth.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, insert, select, update

from ..clock import utcnow
from ..errors import ApiError, NotFoundError, ValidationError
from ..oauth.scopes import APPS_MANAGE, has_scope, insufficient_scope
from ..oauth.tokens import authenticate_access_token, invalid_token
from ..security.secrets import DEVELOPER_TOKEN_PREFIX, digest, new_secret
from ..storage import Database
from ..storage.schema import developer_tokens

MAX_NAME_CHARS = 100
MAX_LIVE_TOKENS = 50
# What the /account form offers, in days (None: until revoked).
LIFETIME_CHOICES: dict[str, int | None] = {"30": 30, "90": 90, "365": 365, "never": None}
DEFAULT_LIFETIME = "90"
# last_used_at is a hint for the owner, not an audit log: written at most once a minute.
LAST_USED_STEP = timedelta(minutes=1)

# What kind of token a call came with (``/v1/me`` says it).
DEVELOPER_TOKEN = "developer_token"  # noqa: S105 - a kind's name
OAUTH_TOKEN = "oauth"  # noqa: S105


@dataclass(frozen=True)
class DeveloperToken:
    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()


@dataclass(frozen=True)
class Developer:
    """The user a ``/v1/apps`` call speaks for, and through which kind of token."""

    user_id: int
    kind: str  # DEVELOPER_TOKEN or OAUTH_TOKEN
    token_name: str | None = None  # a developer token's name
    expires_at: datetime | None = None


# ---------------------------------------------------------------- /account


def validate_token_name(name: str | None) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise ValidationError("give the token a name (what it is for, e.g. 'laptop')")
    if len(cleaned) > MAX_NAME_CHARS:
        raise ValidationError(f"a token name must be at most {MAX_NAME_CHARS} characters")
    if any(ord(ch) < 32 for ch in cleaned):
        raise ValidationError("a token name must not contain control characters")
    return cleaned


async def create_developer_token(
    db: Database, user_id: int, name: str | None, lifetime: str | None = DEFAULT_LIFETIME
) -> tuple[DeveloperToken, str]:
    """A new token for the user; returns it with the secret itself (shown this once)."""
    name = validate_token_name(name)
    lifetime = lifetime or DEFAULT_LIFETIME
    if lifetime not in LIFETIME_CHOICES:
        raise ValidationError("choose how long the token lives: 30, 90 or 365 days, or never")
    days = LIFETIME_CHOICES[lifetime]
    token, now = new_secret(DEVELOPER_TOKEN_PREFIX), utcnow()
    expires_at = None if days is None else now + timedelta(days=days)

    def work(conn: Connection) -> DeveloperToken:
        live = conn.execute(
            select(func.count())
            .select_from(developer_tokens)
            .where(developer_tokens.c.user_id == user_id, developer_tokens.c.revoked_at.is_(None))
        ).scalar_one()
        if live >= MAX_LIVE_TOKENS:
            raise ValidationError(
                f"you have {MAX_LIVE_TOKENS} developer tokens already: revoke one first"
            )
        token_id = conn.execute(
            insert(developer_tokens)
            .values(
                user_id=user_id,
                name=name,
                token_hash=digest(token),
                created_at=now,
                expires_at=expires_at,
            )
            .returning(developer_tokens.c.id)
        ).scalar_one()
        return DeveloperToken(token_id, name, now, expires_at, None)

    return await db.write(work), token


async def list_developer_tokens(db: Database, user_id: int) -> list[DeveloperToken]:
    """The user's tokens not revoked (expired ones too, marked so), newest first."""
    t = developer_tokens
    async with db.read() as conn:
        rows = await conn.execute(
            select(t.c.id, t.c.name, t.c.created_at, t.c.expires_at, t.c.last_used_at)
            .where(t.c.user_id == user_id, t.c.revoked_at.is_(None))
            .order_by(t.c.id.desc())
        )
        return [DeveloperToken(*row) for row in rows]


async def revoke_developer_token(db: Database, user_id: int, token_id: int) -> None:
    """Revoke one of the user's own tokens; another user's id is unknown (NotFoundError)."""

    def work(conn: Connection) -> int:
        return conn.execute(
            update(developer_tokens)
            .where(
                developer_tokens.c.id == token_id,
                developer_tokens.c.user_id == user_id,
                developer_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        ).rowcount

    if await db.write(work) == 0:
        raise NotFoundError("no such developer token")


# ---------------------------------------------------------------- resource server side


async def authenticate_developer(db: Database, token: str | None) -> Developer:
    """The developer a bearer token speaks for, or the 401 (missing, unknown, expired or
    revoked) or 403 (``insufficient_scope``: a chat token) to answer with."""
    if token and token.startswith(DEVELOPER_TOKEN_PREFIX):
        return await _developer_token(db, token)
    context = await authenticate_access_token(db, token)  # raises the 401s
    if not has_scope(context.scope, APPS_MANAGE):
        raise insufficient_scope(
            APPS_MANAGE,
            f"This token's scope is {context.scope!r}: managing apps needs a developer token "
            f"(made on /account) or `legion login` ({APPS_MANAGE}).",
        )
    # apps:manage is granted to the built-in legion-cli client alone (oauth/authorize.py).
    return Developer(user_id=context.user_id, kind=OAUTH_TOKEN)


async def _developer_token(db: Database, token: str) -> Developer:
    t, now = developer_tokens, utcnow()
    query = select(
        t.c.id, t.c.user_id, t.c.name, t.c.expires_at, t.c.revoked_at, t.c.last_used_at
    ).where(t.c.token_hash == digest(token))
    row = await db.read_call(lambda conn: conn.execute(query).first())
    if row is None:
        raise invalid_token("The developer token is unknown.")
    if row.revoked_at is not None:
        raise invalid_token("The developer token was revoked.")
    if row.expires_at is not None and row.expires_at <= now:
        raise invalid_token("The developer token has expired; make a new one on /account.")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP:
        await _mark_used(db, row.id, now)
    return Developer(
        user_id=row.user_id, kind=DEVELOPER_TOKEN, token_name=row.name, expires_at=row.expires_at
    )


async def _mark_used(db: Database, token_id: int, now: datetime) -> None:
    def work(conn: Connection) -> None:
        conn.execute(
            update(developer_tokens)
            .where(developer_tokens.c.id == token_id)
            .values(last_used_at=now)
        )

    await db.write(work)


def missing_token() -> ApiError:
    return ApiError(
        401,
        "invalid_token",
        "A developer token is required (Authorization: Bearer ...): make one on /account, "
        "or run `legion login`.",
        headers={"WWW-Authenticate": "Bearer"},
    )
