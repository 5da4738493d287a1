"""Hosted chat apps (SPEC §12): ``/chat/<client_id>``, its consent, and its tokens.

A ``chat`` app has no site of its own: its page is ours. A visitor logs in here, agrees
once with "Start chatting" (a CSRF-protected form that creates or reactivates the
connection, as Allow on ``/connect`` would), and then the page's script gets its token
pair from ``POST /v1/chat/<client_id>/connect``, same-origin, with the session cookie and
the CSRF token in a header, and talks to the conversation API (SPEC §11) like any client.
"""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, redirect, render_template, request

from ..accounts.views import checked_form, csrf_failure, see_other
from ..apps.registry import App, get_app
from ..errors import ApiError
from ..oauth.connections import ACTIVE, activate_connection
from ..oauth.scopes import CHAT_COMPLETIONS
from ..oauth.tokens import issue_for_connection
from ..security.csrf import csrf_token_is_valid, request_origin_is_own
from ..services import services
from ..storage.schema import connections
from ..web.auth import current_user
from ..web.errors import html_error

blueprint = Blueprint("chatpage", __name__)


def chat_page_csp() -> str:
    """Scripts, styles and requests from this server only: no inline code of any kind."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


async def _chat_app(client_id: str) -> App | None:
    app = await get_app(services().db, client_id)
    return app if app is not None and app.type == "chat" else None


async def _not_found():
    return await html_error(404, "Not found", "There is no chat app at this address.")


async def _connection_status(user_id: int, app_id: int) -> str | None:
    from sqlalchemy import select

    async with services().db.read() as conn:
        return (
            await conn.execute(
                select(connections.c.status)
                .where(connections.c.user_id == user_id, connections.c.app_id == app_id)
                .order_by(connections.c.id.desc())
            )
        ).scalar()


@blueprint.get("/chat/<client_id>")
async def chat_page(client_id: str):
    app = await _chat_app(client_id)
    if app is None:
        return await _not_found()
    user = await current_user()
    if user is None:
        return redirect(f"/login?next=/chat/{client_id}")
    connected = await _connection_status(user.id, app.id) == ACTIVE
    template = "chat.html" if connected else "chat_start.html"
    body = await render_template(template, app=app, user=user)
    return Response(
        body, headers={"Content-Security-Policy": chat_page_csp()}, mimetype="text/html"
    )


@blueprint.post("/chat/<client_id>/start")
async def start_chatting(client_id: str):
    """The consent: create or reactivate the user's connection to this chat app."""
    form = await checked_form()
    if form is None:
        return await csrf_failure()
    app = await _chat_app(client_id)
    if app is None:
        return await _not_found()
    user = await current_user()
    if user is None:
        return see_other(f"/login?next=/chat/{client_id}")
    async with services().db.transaction() as conn:
        await activate_connection(conn, user.id, app.id)
    return see_other(f"/chat/{client_id}")


@blueprint.post("/v1/chat/<client_id>/connect")
async def connect_tokens(client_id: str):
    """A new token pair (SPEC §4.3 shape) for the session's user, who must have an active
    connection to this chat app; same-origin only, with the CSRF token in a header."""
    config = services().config
    if request.headers.get("Origin") is None or not request_origin_is_own(config.public_origin):
        raise ApiError(403, "origin_not_allowed", "Only the hosted chat page may ask for these.")
    user = await current_user()
    if user is None:
        raise ApiError(
            401,
            "invalid_token",
            "You are not logged in.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not csrf_token_is_valid(request.headers.get("X-CSRF-Token")):
        raise ApiError(403, "csrf_failed", "The page's CSRF token is missing or expired; reload.")
    app = await _chat_app(client_id)
    if app is None:
        raise ApiError(404, "not_found", "No such chat app.")
    pair = await issue_for_connection(
        services().db, config.lifetimes, user.id, app.id, CHAT_COMPLETIONS
    )
    if pair is None:
        raise ApiError(403, "not_connected", "Start chatting with this app (or reconnect) first.")
    response = jsonify(pair.response())
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
