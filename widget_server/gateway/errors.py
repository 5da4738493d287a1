"""Upstream failures, and how they reach the client (SPEC §5.2).

Every way a provider can fail becomes one :class:`UpstreamError` with the SPEC's status
and code. Before the first chunk it is rendered as a normal JSON error
(:meth:`UpstreamError.api_error`); after it, as an SSE error event followed by
``data: [DONE]`` (:meth:`UpstreamError.event`).
"""

from __future__ import annotations

import json
import logging

import httpx

from ..errors import ApiError

DEFAULT_RETRY_AFTER_S = 2
log = logging.getLogger("widget_server.gateway")


class UpstreamError(Exception):
    def __init__(
        self, status: int, code: str, message: str, *, retry_after: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def api_error(self) -> ApiError:
        headers = {"Retry-After": self.retry_after} if self.retry_after else None
        return ApiError(self.status, self.code, self.message, headers=headers)

    def event(self) -> bytes:
        body = self.api_error().body()
        return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


def upstream_failed(message: str) -> UpstreamError:
    return UpstreamError(502, "upstream_error", message)


def upstream_timeout(message: str) -> UpstreamError:
    return UpstreamError(504, "upstream_timeout", message)


def upstream_overloaded(message: str, retry_after: str | None) -> UpstreamError:
    return UpstreamError(
        503,
        "upstream_overloaded",
        message,
        retry_after=_clean_retry_after(retry_after) or str(DEFAULT_RETRY_AFTER_S),
    )


def _clean_retry_after(value: str | None) -> str | None:
    """Whole seconds only: an HTTP-date or a fraction from upstream becomes seconds."""
    if not value:
        return None
    try:
        return str(max(1, round(float(value))))
    except (ValueError, OverflowError):  # not a number, or "inf"
        return None


def provider_message(body: bytes) -> str:
    """The human message inside any of the providers' error bodies, if there is one."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return ""
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"][:500]
    if isinstance(parsed, list) and parsed and isinstance(parsed[0], dict):
        return provider_message(json.dumps(parsed[0]).encode())
    return ""


def from_status(provider: str, status: int, body: bytes, retry_after: str | None) -> UpstreamError:
    """Map a provider's error status to ours.

    The provider's own words reach the client only when they are about the client's
    request (400, 413, 422). Otherwise they are about this server (a refused API key, whose
    message may quote part of the key; our organization's rate limits; the provider's own
    failures), so they are logged, and every site visitor reads a message of ours.
    """
    detail = provider_message(body)
    about_us = b"API_KEY_INVALID" in body or b"credit balance" in body.lower()
    if status in (400, 413, 422) and not about_us:
        suffix = f": {detail}" if detail else "."
        return UpstreamError(
            400, "invalid_request", f"The {provider} API rejected the request{suffix}"
        )
    log.warning("the %s API answered HTTP %s: %s", provider, status, detail or "no details")
    if status in (429, 503, 529):
        return upstream_overloaded(
            f"The {provider} API is overloaded or rate-limited; try again shortly.", retry_after
        )
    if status in (400, 401, 403):  # a 400 here: Gemini's bad key, Anthropic's empty credit
        return upstream_failed(f"The {provider} API refused this server's account.")
    if status in (408, 504):
        return upstream_timeout(f"The {provider} API timed out.")
    return upstream_failed(f"The {provider} API failed with HTTP {status}.")


def from_exception(provider: str, error: Exception) -> UpstreamError:
    """Map a transport failure (aiohttp, httpx, or aiohttp under httpx-aiohttp, which wraps
    aiohttp's errors, calling each a ConnectTimeout) to ours."""
    import aiohttp

    cause = error.__cause__ if isinstance(error.__cause__, aiohttp.ClientError) else error
    if isinstance(cause, TimeoutError | httpx.TimeoutException):
        return upstream_timeout(f"The {provider} API did not answer in time.")
    if isinstance(cause, aiohttp.ClientConnectorError | httpx.ConnectError):
        return upstream_failed(f"Could not connect to the {provider} API.")
    return upstream_failed(f"The connection to the {provider} API failed.")
