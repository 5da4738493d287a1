"""Least-privilege CORS for the browser-facing API (SPEC §4.6).

An origin is allowed only when it is the origin of a registered redirect URI; for calls
that carry a token or a client id, of that app's own URIs. A request from an origin that is
not allowed is refused by the server (403) before it does anything, not merely left
without CORS headers. ``Origin: null`` is never allowed.
"""

from __future__ import annotations

from quart import Response, request

from ..apps.registry import App, origin_is_registered
from ..errors import ApiError, OAuthError
from ..storage import Database

PREFLIGHT_MAX_AGE_S = 600
ALLOWED_HEADERS = "Authorization, Content-Type"


def request_origin() -> str | None:
    return request.headers.get("Origin")


def origin_allowed_for_app(origin: str | None, app: App) -> bool:
    """No Origin (a server-side client) is fine; a browser's must be one of the app's."""
    return origin is None or origin in app.origins


def allow_origin(response: Response, origin: str) -> Response:
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = "Retry-After, WWW-Authenticate"
    response.vary.add("Origin")
    return response


async def preflight(db: Database, methods: str, headers: str = ALLOWED_HEADERS) -> Response:
    """Answer OPTIONS: allowed origins get the CORS grant, others a 403 without it."""
    origin = request_origin()
    response = Response("", status=204)
    response.vary.add("Origin")
    if origin is None or origin == "null" or not await origin_is_registered(db, origin):
        response.status_code = 403
        return response
    allow_origin(response, origin)
    response.headers["Access-Control-Allow-Methods"] = methods
    response.headers["Access-Control-Allow-Headers"] = headers
    response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_S)
    return response


def foreign_origin_error() -> OAuthError:
    return OAuthError(
        "invalid_request", "Requests from this origin are not allowed for this client.", status=403
    )


def refuse_foreign_origin_oauth(origin: str | None, app: App) -> None:
    if not origin_allowed_for_app(origin, app):
        raise foreign_origin_error()


def refuse_foreign_origin_api(origin: str | None, app: App) -> None:
    if not origin_allowed_for_app(origin, app):
        raise ApiError(
            403, "origin_not_allowed", "Requests from this origin are not allowed for this app."
        )
