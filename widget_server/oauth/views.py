"""HTTP endpoints of the authorization server: ``/connect``, token, revocation, metadata."""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import quote, unquote, urlencode

from quart import Blueprint, g, jsonify, redirect, render_template, request

from ..accounts.users import User
from ..apps.redirect_uris import origin_of_uri
from ..apps.registry import App, get_app, origin_is_registered
from ..billing.money import format_usd
from ..billing.wallet import get_wallet
from ..errors import OAuthError
from ..security.csrf import FIELD, csrf_token_is_valid, request_origin_is_own
from ..security.ratelimit import retry_after_header
from ..security.secrets import matches_digest
from ..services import services
from ..web.auth import current_user
from ..web.errors import html_error
from ..web.headers import page_csp
from . import tokens
from .authorize import (
    AuthorizationRequest,
    RedirectableError,
    UntrustedRequest,
    error_redirect,
    redirect_to_client,
    validate_authorization_request,
)
from .codes import issue_code
from .cors import (
    allow_origin,
    foreign_origin_error,
    origin_allowed_for_app,
    preflight,
    refuse_foreign_origin_oauth,
    request_origin,
)
from .scopes import APPS_MANAGE, SUPPORTED_SCOPES, has_scope, scope_within

blueprint = Blueprint("oauth", __name__)

TOKEN_PATH = "/v1/oauth/token"  # noqa: S105 - a URL path
REVOKE_PATH = "/v1/oauth/revoke"
BASIC_CHALLENGE = 'Basic realm="legion"'


# ---------------------------------------------------------------- /connect


class _Answered(Exception):
    """The authorization request ends before consent, with this response."""

    def __init__(self, response) -> None:
        self.response = response


async def _authorization_and_user(params) -> tuple[AuthorizationRequest, User]:
    """Validate the request and find the user, or raise the response that ends it here:
    an error page, an error redirect to the site, or the login page."""
    try:
        authorization = await validate_authorization_request(services().db, params)
    except UntrustedRequest as error:
        raise _Answered(await _untrusted_page(error)) from None
    except RedirectableError as error:
        raise _Answered(redirect(error_redirect(error, services().config.issuer), 303)) from None
    user = await current_user()
    if user is None:
        login = "/login?next=" + quote(_connect_path(authorization), safe="")
        raise _Answered(redirect(login, 303))
    return authorization, user


@blueprint.errorhandler(_Answered)
async def _answer(answered: _Answered):
    return answered.response


@blueprint.get("/connect")
async def connect():
    authorization, user = await _authorization_and_user(request.args)
    wallet = await get_wallet(services().db, user.id)
    page = await render_template(
        "consent.html",
        app=authorization.app,
        site=origin_of_uri(authorization.redirect_uri),
        redirect_uri=authorization.redirect_uri,
        params=authorization.query(),
        balance=format_usd(wallet.balance_micros),
        user=user,
        manages_apps=has_scope(authorization.scope, APPS_MANAGE),
    )
    return page, 200, _consent_headers(authorization)


@blueprint.post("/connect")
async def decide():
    config, db = services().config, services().db
    form = await request.form
    if not request_origin_is_own(config.public_origin) or not csrf_token_is_valid(form.get(FIELD)):
        return await html_error(
            403,
            "Consent could not be verified",
            "This consent form expired or was not sent from this page. Start again from the site.",
        )
    params = form.copy()
    for field in (FIELD, "decision"):
        params.poplist(field)
    authorization, user = await _authorization_and_user(params)
    decision = form.get("decision")
    if decision == "allow":
        code = await issue_code(db, authorization, user.id, config.lifetimes.authorization_code)
        answer = {"code": code, "state": authorization.state}
    elif decision == "deny":
        answer = {
            "error": "access_denied",
            "error_description": "The user denied the request.",
            "state": authorization.state,
        }
    else:
        return await html_error(400, "Choose Allow or Deny", "The form had no decision.")
    target = redirect_to_client(authorization.redirect_uri, answer, config.issuer)
    return redirect(target, 303), {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _connect_path(authorization: AuthorizationRequest) -> str:
    return "/connect?" + urlencode(authorization.query())


def _consent_headers(authorization: AuthorizationRequest) -> dict[str, str]:
    """The page CSP plus the site's origin: the Allow/Deny POST redirects there, and
    form-action must allow that hop. (No framing, no-store and no-referrer come with
    every page, from web/headers.py.)"""
    return {"Content-Security-Policy": page_csp((origin_of_uri(authorization.redirect_uri),))}


async def _untrusted_page(error: UntrustedRequest):
    return await html_error(
        400,
        "This connection request is not valid",
        f"{error.message} The site's Legion settings may be wrong; nothing was sent back to it.",
    )


# ---------------------------------------------------------------- token endpoint


@blueprint.route(TOKEN_PATH, methods=["OPTIONS"])
@blueprint.route(REVOKE_PATH, methods=["OPTIONS"])
async def oauth_preflight():
    return await preflight(services().db, "POST")


@blueprint.after_request
async def add_cors_headers(response):
    origin = g.get("cors_origin")
    if origin:
        allow_origin(response, origin)
    elif request.path.startswith("/v1/oauth/"):
        response.vary.add("Origin")
    return response


@blueprint.after_request
async def challenge_basic_clients(response):
    """RFC 6749 §5.2: a 401 to a client that authenticated with HTTP Basic says how to
    authenticate, whatever part of its credentials failed."""
    if (
        response.status_code == 401
        and request.path.startswith("/v1/oauth/")
        and request.headers.get("Authorization", "").lower().startswith("basic")
    ):
        response.headers.setdefault("WWW-Authenticate", BASIC_CHALLENGE)
    return response


@blueprint.post(TOKEN_PATH)
async def token():
    await _grant_cors_if_registered()
    await _throttle_token_requests()
    params = await _oauth_params()
    basic_id, basic_secret = _basic_credentials()
    grant_type = params.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required.")
    if grant_type == "authorization_code":
        pair = await _authorization_code_grant(params, basic_id, basic_secret)
    elif grant_type == "refresh_token":
        pair = await _refresh_token_grant(params, basic_id, basic_secret)
    else:
        raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")
    response = jsonify(pair.response())
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


async def _authorization_code_grant(params, basic_id, basic_secret) -> tokens.TokenPair:
    app = await _identify_client(params.get("client_id") or basic_id)
    secret = params.get("client_secret") or basic_secret
    client_authenticated = _check_client_secret(app, secret, used_basic=basic_secret is not None)
    code = params.get("code")
    if not code:
        raise OAuthError("invalid_request", "code is required.")
    return await tokens.redeem_code(
        services().db,
        services().config.lifetimes,
        app=app,
        code=code,
        code_verifier=params.get("code_verifier"),
        redirect_uri=params.get("redirect_uri"),
        client_authenticated=client_authenticated,
    )


async def _refresh_token_grant(params, basic_id, basic_secret) -> tokens.TokenPair:
    refresh_token = params.get("refresh_token")
    if not refresh_token:
        raise OAuthError("invalid_request", "refresh_token is required.")
    client_id = params.get("client_id") or basic_id
    secret = params.get("client_secret") or basic_secret
    origin = request_origin()

    requested_scope = params.get("scope")

    def check_client(app: App, confidential: bool, granted_scope: str) -> OAuthError | None:
        if client_id is not None and client_id != app.client_id:
            return OAuthError("invalid_grant", "The refresh token was issued to another client.")
        if not scope_within(requested_scope, granted_scope):
            return OAuthError(
                "invalid_scope", "A refresh can't ask for more scope than was granted."
            )
        if not origin_allowed_for_app(origin, app):
            return foreign_origin_error()
        if confidential and secret is None:
            return OAuthError(
                "invalid_client",
                "This authorization was made with the client_secret: send it to refresh.",
            )
        return _client_secret_error(app, secret, used_basic=basic_secret is not None)

    app, outcome = await tokens.refresh(
        services().db, services().config.lifetimes, refresh_token, check_client
    )
    if app is not None:  # the token's app decides who may read the answer
        g.cors_origin = origin if origin_allowed_for_app(origin, app) else None
    if isinstance(outcome, OAuthError):
        raise outcome
    return outcome


async def _identify_client(client_id: str | None) -> App:
    if not client_id:
        raise OAuthError("invalid_request", "client_id is required.")
    app = await get_app(services().db, client_id)
    if app is None:
        raise OAuthError("invalid_client", "Unknown client_id.")
    _refuse_origin(app)
    return app


def _refuse_origin(app: App) -> None:
    """403 unless the request's origin is one of this app's; then CORS lets it read us."""
    origin = request_origin()
    g.cors_origin = None
    refuse_foreign_origin_oauth(origin, app)
    g.cors_origin = origin


def _check_client_secret(app: App, secret: str | None, *, used_basic: bool) -> bool:
    """True when a correct secret was sent; a wrong one is always an error (SPEC §4.3)."""
    error = _client_secret_error(app, secret, used_basic=used_basic)
    if error is not None:
        raise error
    return secret is not None


def _client_secret_error(app: App, secret: str | None, *, used_basic: bool) -> OAuthError | None:
    if secret is None or matches_digest(secret, app.secret_hash):
        return None
    headers = {"WWW-Authenticate": BASIC_CHALLENGE} if used_basic else None
    return OAuthError("invalid_client", "Client authentication failed.", headers=headers)


# ---------------------------------------------------------------- revocation


@blueprint.post(REVOKE_PATH)
async def revoke():
    db = services().db
    await _grant_cors_if_registered()
    params = await _oauth_params()
    basic_id, basic_secret = _basic_credentials()
    token = params.get("token")
    if not token:
        raise OAuthError("invalid_request", "token is required.")
    # An unknown hint is ignored: RFC 7009 has the server search every token type anyway.
    found = await tokens.find_revocable_token(db, token, params.get("token_type_hint"))
    origin = request_origin()
    if found is None:
        if origin is not None and g.get("cors_origin") is None:
            raise OAuthError(
                "invalid_request", "Requests from this origin are not allowed.", status=403
            )
        return jsonify({})
    _refuse_origin(found.app)
    client_id = params.get("client_id") or basic_id
    secret = params.get("client_secret") or basic_secret
    _check_client_secret(found.app, secret, used_basic=basic_secret is not None)
    if client_id is None or client_id == found.app.client_id:
        await tokens.revoke(db, found)
    return jsonify({})


# ---------------------------------------------------------------- shared request handling


async def _grant_cors_if_registered() -> None:
    """Let the browser read our answer when the origin belongs to some app at all."""
    origin = request_origin()
    if origin and origin != "null" and await origin_is_registered(services().db, origin):
        g.cors_origin = origin
    elif origin is not None:
        g.cors_origin = None


async def _throttle_token_requests() -> None:
    limit = services().config.limits.token_requests_per_minute
    address = request.remote_addr or "unknown"
    wait = await services().limiter.hit(f"token:{address}", limit, 60)
    if wait is not None:
        raise OAuthError(
            "rate_limited",
            "Too many token requests from this address; slow down.",
            status=429,
            headers={"Retry-After": retry_after_header(wait)},
        )


async def _oauth_params() -> dict[str, str]:
    """Form or JSON body as a flat dict; empty values count as absent (RFC 6749 §3.1)."""
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        form = await request.form
        duplicated = sorted(k for k in form if len(form.getlist(k)) > 1)
        if duplicated:
            raise OAuthError("invalid_request", f"Parameter given twice: {', '.join(duplicated)}.")
        items = form.items()
    elif mimetype == "application/json":
        try:
            body = json.loads(await request.get_data())
        except (ValueError, RecursionError):  # bad UTF-8 or JSON, or nested absurdly deep
            body = None
        if not isinstance(body, dict):
            raise OAuthError("invalid_request", "The body must be a JSON object.")
        if not all(isinstance(v, str) for v in body.values() if v is not None):
            raise OAuthError("invalid_request", "Every parameter must be a string.")
        items = body.items()
    else:
        raise OAuthError(
            "invalid_request",
            "Send the parameters as application/x-www-form-urlencoded or application/json.",
        )
    return {k: v for k, v in items if v not in (None, "")}


def _basic_credentials() -> tuple[str | None, str | None]:
    header = request.headers.get("Authorization", "")
    if not header:
        return None, None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError("invalid_request", "Only HTTP Basic client authentication is supported.")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # not base64, not ASCII, not UTF-8
        raise OAuthError("invalid_client", "Malformed Basic credentials.") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "Malformed Basic credentials.")
    return unquote(client_id) or None, unquote(secret) or None


# ---------------------------------------------------------------- metadata (RFC 8414)


@blueprint.get("/.well-known/oauth-authorization-server")
async def metadata():
    issuer = services().config.issuer
    response = jsonify(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/connect",
            "token_endpoint": f"{issuer}{TOKEN_PATH}",
            "revocation_endpoint": f"{issuer}{REVOKE_PATH}",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(SUPPORTED_SCOPES),
            "token_endpoint_auth_methods_supported": [
                "none",
                "client_secret_post",
                "client_secret_basic",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "none",
                "client_secret_post",
                "client_secret_basic",
            ],
            "authorization_response_iss_parameter_supported": True,
            "service_documentation": f"{issuer}/openapi.json",
        }
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
