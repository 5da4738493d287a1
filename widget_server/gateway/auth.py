"""Who is calling: the bearer token, resolved once and remembered briefly.

Resolving a token takes three queries; a chat request should not pay them every time. The
cache keeps *who* a token speaks for (user, app, connection) for :data:`TTL_S` seconds.
The app's settings that decide the price and the model, and the user's preferences, are
read afresh by the hold (``charging.hold``).
Whether the token is still *live* is not cached: :data:`TOKEN_IS_LIVE` is checked inside
the very statement that reserves the money (see ``billing.reservations.reserve``), so a
revoked token, a revoked or deactivated connection, or an expired token stops spending at
once, on every worker. Only the error a dead token gets before that point (a 400 or 404
for a malformed request) can lag by up to the TTL.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, exists, select

from ..apps.registry import App
from ..errors import ApiError
from ..oauth.connections import ACTIVE
from ..oauth.scopes import CHAT_COMPLETIONS, has_scope, insufficient_scope
from ..oauth.tokens import TokenContext, authenticate_access_token
from ..security.secrets import DEVELOPER_TOKEN_PREFIX, digest
from ..storage import Database
from ..storage.schema import access_tokens, connections, grants

TTL_S = 30.0
MAX_ENTRIES = 50_000


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


# SQL: this access token, its grant and its connection can still spend. Built once; its
# values come from token_is_live_params().
TOKEN_IS_LIVE: ColumnElement[bool] = exists(
    select(access_tokens.c.token_hash)
    .select_from(access_tokens)
    .join(grants, grants.c.id == access_tokens.c.grant_id)
    .join(connections, connections.c.id == grants.c.connection_id)
    .where(
        access_tokens.c.token_hash == bindparam("live_token_hash"),
        access_tokens.c.revoked_at.is_(None),
        access_tokens.c.expires_at > bindparam("live_now"),
        grants.c.revoked_at.is_(None),
        grants.c.expires_at > bindparam("live_now"),
        connections.c.status == ACTIVE,
    )
)


def token_is_live_params(token_hash: str, now: datetime) -> dict:
    return {"live_token_hash": token_hash, "live_now": now}


class Caller:
    __slots__ = ("context", "token_hash")

    def __init__(self, token_hash: str, context: TokenContext) -> None:
        self.token_hash = token_hash
        self.context = context

    @property
    def user_id(self) -> int:
        return self.context.user_id

    @property
    def app(self) -> App:
        """The app as of when the token was resolved: its identity and origins. What
        changes money (margin, default model) is read afresh by the hold."""
        return self.context.app


def _cannot_chat(why: str) -> ApiError:
    return insufficient_scope(
        CHAT_COMPLETIONS,
        f"{why}, and chatting needs a token with the {CHAT_COMPLETIONS} scope (connect the "
        "app through /connect).",
    )


class TokenCache:
    def __init__(self, ttl_s: float = TTL_S, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, TokenContext]] = {}

    async def caller(self, db: Database, token: str | None) -> Caller:
        """The caller of a chat token, or the SPEC's 401/403 (``ApiError``).

        Both chat surfaces (``/v1/chat/completions`` and the §11 conversation API) come
        through here, so this is where a token must carry ``chat:completions``: a developer
        token, or a ``legion login`` token (``apps:manage``), is refused with 403
        ``insufficient_scope`` before anything is read or reserved."""
        if not token:
            await authenticate_access_token(db, token)  # raises the 401
        if token.startswith(DEVELOPER_TOKEN_PREFIX):
            raise _cannot_chat("This is a developer token: it manages apps (/v1/apps)")
        token_hash = digest(token)
        cached = self._entries.get(token_hash)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.ttl_s:
            context = cached[1]
        else:
            context = await self.refresh(db, token, token_hash)
        if not has_scope(context.scope, CHAT_COMPLETIONS):
            raise _cannot_chat(f"This token's scope is {context.scope!r}")
        return Caller(token_hash, context)

    async def refresh(
        self, db: Database, token: str, token_hash: str | None = None
    ) -> TokenContext:
        """Resolve the token afresh (raising 401/403 if it is dead) and remember it."""
        token_hash = token_hash or digest(token)
        self._entries.pop(token_hash, None)
        context = await authenticate_access_token(db, token)
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[token_hash] = (time.monotonic(), context)
        return context

    def forget(self, token_hash: str) -> None:
        self._entries.pop(token_hash, None)
