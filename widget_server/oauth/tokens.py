"""Grants, access tokens and rotating refresh tokens (SPEC §4.3, §4.5, §4.7).

A *grant* is one authorization: created when a code is redeemed, it carries the absolute
lifetime (30 days) and is the family that reuse detection revokes. Consuming a code or a
refresh token is one conditional UPDATE (``... WHERE consumed_at IS NULL``), so of two
concurrent redemptions exactly one wins, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from ..apps.registry import App, load_app_by_id, load_app_by_id_sync
from ..clock import utcnow
from ..config import Lifetimes
from ..errors import ApiError, OAuthError
from ..security.secrets import ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX, digest, new_secret
from ..storage import Database
from ..storage.schema import access_tokens, authorization_codes, connections, grants, refresh_tokens
from . import pkce
from .connections import ACTIVE, INACTIVE


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str

    def response(self) -> dict:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }


@dataclass(frozen=True)
class TokenContext:
    """Who an access token speaks for: the user, the app, and the connection."""

    user_id: int
    app: App
    connection_id: int
    grant_id: int
    scope: str


def _invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


# ---------------------------------------------------------------- authorization_code
#
# The work of each grant is a plain function of a synchronous connection, run by
# Database.write as one transaction (on SQLite one call to its writer thread). It returns
# an OAuthError rather than raising it when the transaction must still commit: a replayed
# code or a reused refresh token revokes its grant on the way out.


async def redeem_code(
    db: Database,
    lifetimes: Lifetimes,
    *,
    app: App,
    code: str,
    code_verifier: str | None,
    redirect_uri: str | None,
    client_authenticated: bool,
) -> TokenPair:
    """Exchange a code for tokens. ``app`` is the (already verified) requesting client."""
    code_hash, now = digest(code), utcnow()

    def work(conn: Connection) -> TokenPair | OAuthError:
        row = (
            conn.execute(
                select(authorization_codes).where(authorization_codes.c.code_hash == code_hash)
            )
            .mappings()
            .first()
        )
        if row is None or row["app_id"] != app.id:
            return _invalid_grant(
                "The authorization code is unknown or was issued to another client."
            )
        if row["consumed_at"] is None:
            refused = _check_code(row, now, code_verifier, redirect_uri, client_authenticated)
            if refused is not None:
                return refused  # nothing spent: the right verifier still works
            consumed = conn.execute(
                update(authorization_codes)
                .where(
                    authorization_codes.c.code_hash == code_hash,
                    authorization_codes.c.consumed_at.is_(None),
                )
                .values(consumed_at=now)
            )
            if consumed.rowcount == 1:
                return _start_grant(conn, lifetimes, row, now, client_authenticated)
        else:
            # A replay is only proven by one that would otherwise have been valid: a
            # wrong verifier, redirect URI or client secret is a guess by someone who saw
            # the code, and must not log its real user out.
            refused = _check_code(row, None, code_verifier, redirect_uri, client_authenticated)
            if refused is not None:
                return _invalid_grant("The authorization code is not valid.")
        # A second use, or a concurrent one that lost (read its grant again: the winner
        # may have committed it since): revoke what the first use got.
        grant_id = conn.execute(
            select(authorization_codes.c.grant_id).where(
                authorization_codes.c.code_hash == code_hash
            )
        ).scalar()
        _revoke_grant(conn, grant_id, "code_replay")
        return _invalid_grant(
            "The authorization code was already used; the tokens issued from it are revoked."
        )

    return _raise_refusal(await db.write(work))


def _check_code(
    row, now: datetime | None, code_verifier, redirect_uri, client_authenticated
) -> OAuthError | None:
    """Why this request may not redeem the code; ``now=None`` skips the expiry check."""
    if now is not None and row["expires_at"] <= now:
        return _invalid_grant("The authorization code has expired.")
    if redirect_uri is not None and redirect_uri != row["redirect_uri"]:
        return _invalid_grant("redirect_uri does not match the one of the authorization request.")
    challenge = row["code_challenge"]
    if challenge is not None:
        if not code_verifier:
            return OAuthError("invalid_request", "code_verifier is required (PKCE).")
        if not pkce.verifier_matches(code_verifier, challenge):
            return _invalid_grant("code_verifier does not match the code_challenge.")
        return None
    if code_verifier is not None:
        return _invalid_grant(
            "code_verifier was sent, but the authorization request had no code_challenge."
        )
    if not client_authenticated:
        return OAuthError(
            "invalid_client",
            "This authorization had no PKCE challenge: the client_secret is required.",
        )
    return None


def _start_grant(
    conn: Connection, lifetimes: Lifetimes, code_row, now: datetime, client_authenticated: bool
) -> TokenPair | OAuthError:
    status = conn.execute(
        select(connections.c.status).where(connections.c.id == code_row["connection_id"])
    ).scalar()
    if status != ACTIVE:
        # Undo the consumption too: the user may consent again with the same request.
        conn.execute(
            update(authorization_codes)
            .where(authorization_codes.c.code_hash == code_row["code_hash"])
            .values(consumed_at=None)
        )
        return _invalid_grant("The connection was deactivated or revoked after consent.")
    grant_id, pair = _new_grant(
        conn, lifetimes, code_row["connection_id"], code_row["scope"], now, client_authenticated
    )
    conn.execute(
        update(authorization_codes)
        .where(authorization_codes.c.code_hash == code_row["code_hash"])
        .values(grant_id=grant_id)
    )
    return pair


def _new_grant(
    conn: Connection,
    lifetimes: Lifetimes,
    connection_id: int,
    scope: str,
    now: datetime,
    client_authenticated: bool = False,
) -> tuple[int, TokenPair]:
    """A new authorization of the connection (its absolute lifetime starts now) and its
    first token pair."""
    grant_id, expires_at = conn.execute(
        insert(grants)
        .values(
            connection_id=connection_id,
            scope=scope,
            created_at=now,
            expires_at=now + timedelta(seconds=lifetimes.authorization),
            client_authenticated=client_authenticated,
        )
        .returning(grants.c.id, grants.c.expires_at)
    ).one()
    return grant_id, _issue_pair(conn, lifetimes, grant_id, scope, expires_at, now)


# ---------------------------------------------------------------- refresh_token


async def refresh(
    db: Database,
    lifetimes: Lifetimes,
    refresh_token: str,
    check_client: Callable[[App, bool, str], OAuthError | None],
) -> tuple[App | None, TokenPair | OAuthError]:
    """Spend a refresh token for a new pair; a second use revokes the whole grant.

    ``check_client(app, confidential, scope)`` sees the token's app first, whether its
    grant was made by an authenticated (confidential) client, and the granted scope: the
    client id, secret, origin and scope of the request must fit them, or it refuses with an
    error before anything is spent.
    Returns the app (None for an unknown token) with the new pair or the refusal.
    """
    token_hash, now = digest(refresh_token), utcnow()

    def work(conn: Connection) -> tuple[App | None, TokenPair | OAuthError]:
        row = conn.execute(
            select(
                refresh_tokens.c.used_at,
                grants.c.id.label("grant_id"),
                grants.c.scope,
                grants.c.expires_at,
                grants.c.revoked_at,
                grants.c.client_authenticated,
                connections.c.status,
                connections.c.app_id,
            )
            .select_from(refresh_tokens)
            .join(grants, grants.c.id == refresh_tokens.c.grant_id)
            .join(connections, connections.c.id == grants.c.connection_id)
            .where(refresh_tokens.c.token_hash == token_hash)
        ).first()
        app = load_app_by_id_sync(conn, row.app_id) if row is not None else None
        if app is None:
            return None, _invalid_grant("The refresh token is unknown.")
        refused = check_client(app, row.client_authenticated, row.scope) or _grant_unusable(
            row, now
        )
        if refused is not None:
            return app, refused
        if row.used_at is None:
            consumed = conn.execute(
                update(refresh_tokens)
                .where(
                    refresh_tokens.c.token_hash == token_hash,
                    refresh_tokens.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
            if consumed.rowcount == 1:
                return app, _issue_pair(
                    conn, lifetimes, row.grant_id, row.scope, row.expires_at, now
                )
        _revoke_grant(conn, row.grant_id, "refresh_token_reuse")
        return app, _invalid_grant(
            "The refresh token was already used; every token of this grant is revoked."
        )

    return await db.write(work)


def _grant_unusable(row, now: datetime) -> OAuthError | None:
    if row.revoked_at is not None:
        return _invalid_grant("The refresh token was revoked.")
    if row.expires_at <= now:
        return _invalid_grant("The authorization has expired; connect again.")
    if row.status == INACTIVE:
        # Not spent: the same token works again once the user reconnects.
        return _invalid_grant("The connection is inactive; connect again to reactivate it.")
    if row.status != ACTIVE:
        return _invalid_grant("The connection was revoked.")
    return None


# ---------------------------------------------------------------- the hosted chat page


async def issue_for_connection(
    db: Database, lifetimes: Lifetimes, user_id: int, app_id: int, scope: str
) -> TokenPair | None:
    """A new grant and token pair for the user's active connection to the app, or None
    without one. For our own hosted chat page, whose visitor has a session with us: the
    consent was the "Start chatting" form, so no code goes through a browser."""
    now = utcnow()

    def work(conn: Connection) -> TokenPair | None:
        connection_id = conn.execute(
            select(connections.c.id).where(
                connections.c.user_id == user_id,
                connections.c.app_id == app_id,
                connections.c.status == ACTIVE,
            )
        ).scalar()
        if connection_id is None:
            return None
        return _new_grant(conn, lifetimes, connection_id, scope, now)[1]

    return await db.write(work)


# ---------------------------------------------------------------- issuing and revoking


def _raise_refusal(outcome: TokenPair | OAuthError) -> TokenPair:
    if isinstance(outcome, OAuthError):
        raise outcome
    return outcome


def _issue_pair(
    conn: Connection,
    lifetimes: Lifetimes,
    grant_id: int,
    scope: str,
    grant_expires_at: datetime,
    now: datetime,
) -> TokenPair:
    access_token = new_secret(ACCESS_TOKEN_PREFIX)
    refresh_token = new_secret(REFRESH_TOKEN_PREFIX)
    access_expires_at = min(now + timedelta(seconds=lifetimes.access_token), grant_expires_at)
    conn.execute(
        insert(access_tokens).values(
            token_hash=digest(access_token),
            grant_id=grant_id,
            created_at=now,
            expires_at=access_expires_at,
        )
    )
    conn.execute(
        insert(refresh_tokens).values(
            token_hash=digest(refresh_token), grant_id=grant_id, created_at=now
        )
    )
    expires_in = max(1, round((access_expires_at - now).total_seconds()))
    return TokenPair(access_token, refresh_token, expires_in, scope)


def _revoke_grant(conn: Connection, grant_id: int | None, reason: str) -> None:
    if grant_id is not None:
        conn.execute(
            update(grants)
            .where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoke_reason=reason)
        )


@dataclass(frozen=True)
class RevocableToken:
    kind: str  # "access_token" or "refresh_token"
    token_hash: str
    grant_id: int
    app: App


async def find_revocable_token(db: Database, token: str, hint: str | None) -> RevocableToken | None:
    token_hash = digest(token)
    kinds = [("access_token", access_tokens), ("refresh_token", refresh_tokens)]
    if hint == "refresh_token":
        kinds.reverse()
    async with db.read() as conn:
        for kind, table in kinds:
            found = (
                await conn.execute(
                    select(table.c.grant_id, connections.c.app_id)
                    .join(grants, grants.c.id == table.c.grant_id)
                    .join(connections, connections.c.id == grants.c.connection_id)
                    .where(table.c.token_hash == token_hash)
                )
            ).first()
            if found is not None:
                app = await load_app_by_id(conn, found.app_id)
                if app is not None:
                    return RevocableToken(kind, token_hash, found.grant_id, app)
    return None


async def revoke(db: Database, token: RevocableToken) -> None:
    """RFC 7009: a refresh token takes its whole grant with it; an access token only itself."""

    def work(conn: Connection) -> None:
        if token.kind == "refresh_token":
            _revoke_grant(conn, token.grant_id, "revoked_by_client")
        else:
            conn.execute(
                update(access_tokens)
                .where(access_tokens.c.token_hash == token.token_hash)
                .values(revoked_at=utcnow())
            )

    await db.write(work)


# ---------------------------------------------------------------- resource server side


def invalid_token(message: str) -> ApiError:
    return ApiError(
        401, "invalid_token", message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


async def authenticate_access_token(db: Database, token: str | None) -> TokenContext:
    """Resolve a bearer token, or raise the SPEC §5.2 error (401 or 403)."""
    if not token:
        raise ApiError(
            401,
            "invalid_token",
            "An access token is required (Authorization: Bearer ...).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    now = utcnow()
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(
                    access_tokens.c.expires_at,
                    access_tokens.c.revoked_at,
                    grants.c.id.label("grant_id"),
                    grants.c.scope,
                    grants.c.revoked_at.label("grant_revoked_at"),
                    grants.c.expires_at.label("grant_expires_at"),
                    connections.c.id.label("connection_id"),
                    connections.c.status,
                    connections.c.user_id,
                    connections.c.app_id,
                )
                .select_from(access_tokens)
                .join(grants, grants.c.id == access_tokens.c.grant_id)
                .join(connections, connections.c.id == grants.c.connection_id)
                .where(access_tokens.c.token_hash == digest(token))
            )
        ).first()
        if row is None:
            raise invalid_token("The access token is unknown.")
        if row.revoked_at is not None or row.grant_revoked_at is not None:
            raise invalid_token("The access token was revoked.")
        if row.expires_at <= now or row.grant_expires_at <= now:
            raise invalid_token("The access token has expired.")
        if row.status == INACTIVE:
            raise ApiError(
                403,
                "connection_inactive",
                "You deactivated this app's connection to your Legion wallet; connect again.",
            )
        if row.status != ACTIVE:
            raise invalid_token("The connection was revoked.")
        app = await load_app_by_id(conn, row.app_id)
    if app is None:
        raise invalid_token("The app of this token no longer exists.")
    return TokenContext(
        user_id=row.user_id,
        app=app,
        connection_id=row.connection_id,
        grant_id=row.grant_id,
        scope=row.scope,
    )
