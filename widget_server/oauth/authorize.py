"""Validating authorization requests (``/connect``) and answering the site (SPEC §4.2).

Two kinds of failure, as RFC 6749 §4.1.2.1 says: while we don't trust the client id and the
redirect URI, we must not redirect anywhere (:class:`UntrustedRequest`, shown as a page);
once both are verified, every other problem goes back to the site as ``error=...`` on the
redirect URI (:class:`RedirectableError`). Every redirect carries ``iss`` (RFC 9207).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from ..apps.registry import App, get_app
from ..errors import LegionError
from ..storage import Database
from . import pkce
from .scopes import APPS_MANAGE, DEFAULT_SCOPE, has_scope, parse_scope

MAX_STATE_LENGTH = 2048
AUTHORIZATION_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
)


class UntrustedRequest(LegionError):
    """The client or its redirect URI can't be verified: show an error, redirect nowhere."""


class RedirectableError(LegionError):
    def __init__(self, error: str, description: str, redirect_uri: str, state: str | None):
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True)
class AuthorizationRequest:
    app: App
    redirect_uri: str
    state: str | None
    scope: str
    code_challenge: str | None

    def query(self) -> dict[str, str]:
        """The parameters to carry through login and the consent form."""
        params = {
            "client_id": self.app.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": self.scope,
        }
        if self.state is not None:
            params["state"] = self.state
        if self.code_challenge is not None:
            params["code_challenge"] = self.code_challenge
            params["code_challenge_method"] = "S256"
        return params


async def validate_authorization_request(db: Database, params) -> AuthorizationRequest:
    """Check a ``/connect`` request; ``params`` is a multi-dict (query or form)."""
    duplicated = sorted(k for k in set(params.keys()) if len(params.getlist(k)) > 1)
    client_id = _single(params, "client_id")
    redirect_uri = _single(params, "redirect_uri")
    if "client_id" in duplicated or "redirect_uri" in duplicated:
        raise UntrustedRequest("The client_id or redirect_uri parameter was given more than once.")
    if not client_id:
        raise UntrustedRequest("The request has no client_id.")
    app = await get_app(db, client_id)
    if app is None:
        raise UntrustedRequest("No app is registered with this client_id.")
    if not redirect_uri:
        raise UntrustedRequest("The request has no redirect_uri.")
    if not app.accepts_redirect_uri(redirect_uri):
        raise UntrustedRequest("This redirect_uri is not registered for the app.")

    state = _single(params, "state")
    if state is not None and len(state) > MAX_STATE_LENGTH:
        message = f"state must be at most {MAX_STATE_LENGTH} characters."
        raise RedirectableError("invalid_request", message, redirect_uri, None)

    def fail(error: str, description: str) -> RedirectableError:
        return RedirectableError(error, description, redirect_uri, state)

    if duplicated:
        raise fail("invalid_request", f"Parameter given more than once: {', '.join(duplicated)}.")
    response_type = _single(params, "response_type")
    if not response_type:
        raise fail("invalid_request", "response_type is required (response_type=code).")
    if response_type != "code":
        raise fail("unsupported_response_type", "Only response_type=code is supported.")
    scope = _scope_for(app, _single(params, "scope"), fail)
    challenge = _single(params, "code_challenge")
    method = _single(params, "code_challenge_method")
    if challenge is None and method is not None:
        raise fail("invalid_request", "code_challenge_method was given without code_challenge.")
    if challenge is not None:
        if method != "S256":
            raise fail("invalid_request", "code_challenge_method must be S256.")
        if not pkce.is_valid_challenge(challenge):
            raise fail("invalid_request", "code_challenge is not a valid S256 challenge.")
    elif app.requires_pkce:
        raise fail("invalid_request", "PKCE is required: send code_challenge with method S256.")
    return AuthorizationRequest(
        app=app, redirect_uri=redirect_uri, state=state, scope=scope, code_challenge=challenge
    )


def _scope_for(app: App, raw: str | None, fail) -> str:
    """``apps:manage`` belongs to the built-in ``legion-cli`` client alone, and it asks for
    nothing else: a developer token can't chat, and a chat app can't manage apps."""
    scope = parse_scope(raw, default=APPS_MANAGE if app.is_builtin_cli else DEFAULT_SCOPE)
    if scope is None:
        raise fail("invalid_scope", "The requested scope is unknown.")
    if app.is_builtin_cli and scope != APPS_MANAGE:
        raise fail("invalid_scope", f"The Legion CLI may only ask for {APPS_MANAGE}.")
    if not app.is_builtin_cli and has_scope(scope, APPS_MANAGE):
        raise fail(
            "invalid_scope",
            f"{APPS_MANAGE} is only for the Legion CLI (legion login); apps ask for "
            f"{DEFAULT_SCOPE}.",
        )
    return scope


def redirect_to_client(redirect_uri: str, params: Mapping[str, str | None], issuer: str) -> str:
    """The redirect URI with our response appended to its own query, and ``iss``."""
    values = {k: v for k, v in params.items() if v is not None}
    values["iss"] = issuer
    separator = "" if redirect_uri.endswith(("?", "&")) else ("&" if "?" in redirect_uri else "?")
    return redirect_uri + separator + urlencode(values)


def error_redirect(error: RedirectableError, issuer: str) -> str:
    return redirect_to_client(
        error.redirect_uri,
        {"error": error.error, "error_description": error.description, "state": error.state},
        issuer,
    )


def _single(params, name: str) -> str | None:
    values = params.getlist(name)
    return values[0] if values else None
