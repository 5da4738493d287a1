"""Errors a user can cause, as values with a code and a message.

They are raised once where the problem is found and rendered in one place: the API
blueprints turn :class:`ApiError` into OpenAI's error shape, the OAuth endpoints turn
:class:`OAuthError` into RFC 6749's, and the CLI prints :class:`LegionError` messages and
exits non-zero.
"""

from __future__ import annotations

from collections.abc import Mapping


class LegionError(Exception):
    """Base of every error this package raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(LegionError):
    """The environment or a command line is not usable."""


class ValidationError(LegionError):
    """Input that breaks a rule (a malformed redirect URI, a duplicate email, ...)."""


class NotFoundError(LegionError):
    """The thing asked for does not exist (an unknown client id, email, ...)."""


# OpenAI's error ``type`` for each HTTP status we use.
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_quota",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
    502: "api_error",
    503: "api_error",
    504: "api_error",
}


class ApiError(LegionError):
    """An error of the OpenAI-compatible API: ``{"error": {"message", "type", "code"}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = dict(headers or {})
        self.param = param

    @property
    def type(self) -> str:
        return _OPENAI_TYPES.get(self.status, "api_error")

    def body(self) -> dict:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


class OAuthError(LegionError):
    """An RFC 6749 §5.2 error: ``{"error", "error_description"}``."""

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status or (401 if error == "invalid_client" else 400)
        self.headers = dict(headers or {})

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}
