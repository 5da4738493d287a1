"""Authorization codes: issued on Allow, single-use, bound to client, redirect URI and
challenge, dead after 60 seconds (SPEC §4.2)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, insert

from ..clock import utcnow
from ..security.secrets import CODE_PREFIX, digest, new_secret
from ..storage import Database
from ..storage.schema import authorization_codes
from .authorize import AuthorizationRequest
from .connections import activate_connection

# Used codes are kept a day past expiry, so that a late replay still revokes its tokens.
KEEP_USED_CODES = timedelta(days=1)


async def issue_code(db: Database, request: AuthorizationRequest, user_id: int, ttl_s: int) -> str:
    """Record the user's consent (activating the connection) and mint a code for it."""
    code = new_secret(CODE_PREFIX)
    now = utcnow()
    async with db.transaction() as conn:
        await conn.execute(
            delete(authorization_codes).where(
                authorization_codes.c.expires_at < now - KEEP_USED_CODES
            )
        )
        connection_id = await activate_connection(conn, user_id, request.app.id)
        await conn.execute(
            insert(authorization_codes).values(
                code_hash=digest(code),
                app_id=request.app.id,
                connection_id=connection_id,
                redirect_uri=request.redirect_uri,
                code_challenge=request.code_challenge,
                scope=request.scope,
                created_at=now,
                expires_at=now + timedelta(seconds=ttl_s),
            )
        )
    return code
