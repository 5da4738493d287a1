"""Grants, access tokens and rotating refresh tokens (SPEC §4.3, §4.5, §4.7).

A *grant* is one authorization: created when a code is redeemed, it carries the absolute
lifetime (30 days) and is the family that reuse detection revokes. Consuming a code or a
refresh token is one conditional UPDATE (``... WHERE consumed_at IS NULL``), so of two
concurrent redemptions exactly one wins, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..apps.registry import App, load_app_by_id
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
    now = utcnow()
    replayed = False
    async with db.transaction() as conn:
        row = (
            (
                await conn.execute(
                    select(authorization_codes).where(
                        authorization_codes.c.code_hash == digest(code)
                    )
                )
            )
            .mappings()
            .first()
        )
        if row is None or row["app_id"] != app.id:
            raise _invalid_grant(
                "The authorization code is unknown or was issued to another client."
            )
        if row["consumed_at"] is not None:
            replayed = await _revoke_grant(conn, row["grant_id"], "code_replay")
        else:
            _check_code(row, now, code_verifier, redirect_uri, client_authenticated)
            consumed = await conn.execute(
                update(authorization_codes)
                .where(
                    authorization_codes.c.code_hash == row["code_hash"],
                    authorization_codes.c.consumed_at.is_(None),
                )
                .values(consumed_at=now)
            )
            if consumed.rowcount == 1:
                return await _start_grant(conn, lifetimes, row, now)
            replayed = True  # another request consumed it a moment ago
    raise _invalid_grant(
        "The authorization code was already used; the tokens issued from it are revoked."
        if replayed
        else "The authorization code was already used."
    )


def _check_code(row, now, code_verifier, redirect_uri, client_authenticated) -> None:
    if row["expires_at"] <= now:
        raise _invalid_grant("The authorization code has expired.")
    if redirect_uri is not None and redirect_uri != row["redirect_uri"]:
        raise _invalid_grant("redirect_uri does not match the one of the authorization request.")
    challenge = row["code_challenge"]
    if challenge is not None:
        if not code_verifier:
            raise OAuthError("invalid_request", "code_verifier is required (PKCE).")
        if not pkce.verifier_matches(code_verifier, challenge):
            raise _invalid_grant("code_verifier does not match the code_challenge.")
    else:
        if code_verifier is not None:
            raise _invalid_grant(
                "code_verifier was sent, but the authorization request had no code_challenge."
            )
        if not client_authenticated:
            raise OAuthError(
                "invalid_client",
                "This authorization had no PKCE challenge: the client_secret is required.",
            )


async def _start_grant(conn: AsyncConnection, lifetimes: Lifetimes, code_row, now) -> TokenPair:
    connection = (
        await conn.execute(
            select(connections.c.status).where(connections.c.id == code_row["connection_id"])
        )
    ).first()
    if connection is None or connection.status != ACTIVE:
        raise _invalid_grant("The connection was deactivated or revoked after consent.")
    result = await conn.execute(
        insert(grants)
        .values(
            connection_id=code_row["connection_id"],
            scope=code_row["scope"],
            created_at=now,
            expires_at=now + timedelta(seconds=lifetimes.authorization),
        )
        .returning(grants.c.id, grants.c.expires_at)
    )
    grant_id, expires_at = result.one()
    await conn.execute(
        update(authorization_codes)
        .where(authorization_codes.c.code_hash == code_row["code_hash"])
        .values(grant_id=grant_id)
    )
    return await _issue_pair(conn, lifetimes, grant_id, code_row["scope"], expires_at, now)


# ---------------------------------------------------------------- refresh_token


@dataclass(frozen=True)
class RefreshRecord:
    token_hash: str
    app: App


async def find_refresh_token(db: Database, refresh_token: str) -> RefreshRecord | None:
    """The app a refresh token belongs to, so the caller can check client and origin."""
    async with db.read() as conn:
        app_id = (
            await conn.execute(
                select(connections.c.app_id)
                .select_from(refresh_tokens)
                .join(grants, grants.c.id == refresh_tokens.c.grant_id)
                .join(connections, connections.c.id == grants.c.connection_id)
                .where(refresh_tokens.c.token_hash == digest(refresh_token))
            )
        ).scalar()
        if app_id is None:
            return None
        app = await load_app_by_id(conn, app_id)
    return RefreshRecord(token_hash=digest(refresh_token), app=app) if app else None


async def rotate_refresh_token(
    db: Database, lifetimes: Lifetimes, record: RefreshRecord
) -> TokenPair:
    """Spend a refresh token for a new pair; a second use revokes the whole grant."""
    now = utcnow()
    async with db.transaction() as conn:
        row = (
            await conn.execute(
                select(
                    refresh_tokens.c.used_at,
                    grants.c.id.label("grant_id"),
                    grants.c.scope,
                    grants.c.expires_at,
                    grants.c.revoked_at,
                    connections.c.status,
                )
                .select_from(refresh_tokens)
                .join(grants, grants.c.id == refresh_tokens.c.grant_id)
                .join(connections, connections.c.id == grants.c.connection_id)
                .where(refresh_tokens.c.token_hash == record.token_hash)
            )
        ).first()
        if row is None or row.revoked_at is not None:
            raise _invalid_grant("The refresh token was revoked.")
        if row.expires_at <= now:
            raise _invalid_grant("The authorization has expired; connect again.")
        if row.status == INACTIVE:
            raise _invalid_grant("The connection is inactive; connect again to reactivate it.")
        if row.status != ACTIVE:
            raise _invalid_grant("The connection was revoked.")
        reused = row.used_at is not None
        if not reused:
            consumed = await conn.execute(
                update(refresh_tokens)
                .where(
                    refresh_tokens.c.token_hash == record.token_hash,
                    refresh_tokens.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
            reused = consumed.rowcount == 0
        if not reused:
            return await _issue_pair(conn, lifetimes, row.grant_id, row.scope, row.expires_at, now)
        await _revoke_grant(conn, row.grant_id, "refresh_token_reuse")
    raise _invalid_grant(
        "The refresh token was already used; every token of this grant is revoked."
    )


# ---------------------------------------------------------------- issuing and revoking


async def _issue_pair(
    conn: AsyncConnection,
    lifetimes: Lifetimes,
    grant_id: int,
    scope: str,
    grant_expires_at: datetime,
    now: datetime,
) -> TokenPair:
    access_token = new_secret(ACCESS_TOKEN_PREFIX)
    refresh_token = new_secret(REFRESH_TOKEN_PREFIX)
    access_expires_at = min(now + timedelta(seconds=lifetimes.access_token), grant_expires_at)
    await conn.execute(
        insert(access_tokens).values(
            token_hash=digest(access_token),
            grant_id=grant_id,
            created_at=now,
            expires_at=access_expires_at,
        )
    )
    await conn.execute(
        insert(refresh_tokens).values(
            token_hash=digest(refresh_token), grant_id=grant_id, created_at=now
        )
    )
    expires_in = max(1, round((access_expires_at - now).total_seconds()))
    return TokenPair(access_token, refresh_token, expires_in, scope)


async def _revoke_grant(conn: AsyncConnection, grant_id: int | None, reason: str) -> bool:
    if grant_id is None:
        return False
    await conn.execute(
        update(grants)
        .where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoke_reason=reason)
    )
    return True


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
    async with db.transaction() as conn:
        if token.kind == "refresh_token":
            await _revoke_grant(conn, token.grant_id, "revoked_by_client")
        else:
            await conn.execute(
                update(access_tokens)
                .where(access_tokens.c.token_hash == token.token_hash)
                .values(revoked_at=utcnow())
            )


# ---------------------------------------------------------------- resource server side


def _invalid_token(message: str) -> ApiError:
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
            raise _invalid_token("The access token is unknown.")
        if row.revoked_at is not None or row.grant_revoked_at is not None:
            raise _invalid_token("The access token was revoked.")
        if row.expires_at <= now or row.grant_expires_at <= now:
            raise _invalid_token("The access token has expired.")
        if row.status == INACTIVE:
            raise ApiError(
                403,
                "connection_inactive",
                "You deactivated this app's connection to your Legion wallet; connect again.",
            )
        if row.status != ACTIVE:
            raise _invalid_token("The connection was revoked.")
        app = await load_app_by_id(conn, row.app_id)
    if app is None:
        raise _invalid_token("The app of this token no longer exists.")
    return TokenContext(
        user_id=row.user_id,
        app=app,
        connection_id=row.connection_id,
        grant_id=row.grant_id,
        scope=row.scope,
    )
