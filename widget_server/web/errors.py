"""Rendering errors in one place, in the shape the path promises.

``/v1/oauth/*`` answers RFC 6749 JSON, the rest of ``/v1/*`` OpenAI's error JSON, and the
HTML pages an HTML page. Nothing a user can cause shows a 500.
"""

from __future__ import annotations

import logging

from quart import Quart, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import ApiError, OAuthError

log = logging.getLogger("widget_server")

_HTTP_CODES = {
    400: "invalid_request",
    401: "invalid_token",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def json_error(error: ApiError | OAuthError):
    response = jsonify(error.body())
    response.status_code = error.status
    response.headers.update(error.headers)
    if isinstance(error, OAuthError):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


async def html_error(status: int, title: str, message: str):
    body = await render_template("error.html", title=title, message=message)
    return body, status


def register_error_handlers(app: Quart) -> None:
    @app.errorhandler(ApiError)
    async def on_api_error(error: ApiError):
        return json_error(error)

    @app.errorhandler(OAuthError)
    async def on_oauth_error(error: OAuthError):
        return json_error(error)

    @app.errorhandler(HTTPException)
    async def on_http_error(error: HTTPException):
        status = error.code or 500
        message = error.description or error.name
        if request.path.startswith("/v1/oauth/"):
            code = "invalid_request" if status < 500 else "server_error"
            response = json_error(OAuthError(code, message, status=status))
        elif request.path.startswith("/v1/"):
            response = json_error(ApiError(status, _HTTP_CODES.get(status, "error"), message))
        else:
            return await html_error(status, error.name, message)
        if status == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    async def on_unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = "The server hit an unexpected problem; nothing was charged."
        if request.path.startswith("/v1/oauth/"):
            return json_error(OAuthError("server_error", message, status=500))
        if request.path.startswith("/v1/"):
            return json_error(ApiError(500, "server_error", message))
        return await html_error(500, "Something went wrong", message)
