"""The developer REST API (SPEC §14): ``/v1/me``, ``/v1/apps...`` and ``/v1/docs``.

Every call but ``/v1/docs`` carries a developer token or a ``legion login`` token
(``tokens.authenticate_developer``) and sees only the caller's own apps: another user's
app, the built-in ``legion-cli`` and an unknown id are all 404 ``not_found``, so client
ids can't be probed. Errors are the §5.2 shape, rendered centrally (``web/errors.py``).
The work is the registry's and the ledger's, as for ``widget-server`` and ``/developer``.
"""

from __future__ import annotations

import functools
from importlib import resources

import msgspec
from msgspec import UNSET
from quart import Blueprint, Response, request

from ..accounts.users import get_user
from ..apps import registry
from ..apps.registry import App
from ..billing.ledger import app_stats, list_transactions
from ..clock import iso
from ..conversations.cursors import decode_cursor, encode_cursor
from ..conversations.schemas import decode, encode
from ..errors import ApiError, NotFoundError, ValidationError
from ..gateway.auth import bearer_token
from ..services import services
from .schemas import (
    AppChanges,
    AppList,
    AppStatsOut,
    Me,
    NewApp,
    TokenInfo,
    TransactionPage,
    app_out,
    transaction_out,
)
from .tokens import Developer, authenticate_developer, missing_token

blueprint = Blueprint("devapi", __name__)
APP = "/v1/apps/<client_id>"
DEFAULT_PAGE = 50
MAX_PAGE = 200
CURSOR_KIND = "transactions"


def _json(value, status: int = 200) -> Response:
    return Response(encode(value), status=status, content_type="application/json")


@blueprint.after_request
async def no_store(response: Response) -> Response:
    """Answers name secrets (created, rotated) and private numbers: never cached."""
    if request.path != "/v1/docs":
        response.headers["Cache-Control"] = "no-store"
    return response


async def current_developer() -> Developer:
    """The caller, or 401 (no token, or a dead one) / 403 (a chat token)."""
    token = bearer_token(request.headers.get("Authorization"))
    if not token:
        raise missing_token()
    return await authenticate_developer(services().db, token)


async def require_owned_app(client_id: str) -> App:
    """The app, when the request's bearer token speaks for its owner; else 401, 403 or
    404. For every ``/v1/apps/{client_id}/...`` route, this package's or another's."""
    developer = await current_developer()
    return await _owned(developer, client_id)


async def _owned(developer: Developer, client_id: str) -> App:
    app = await registry.get_app(services().db, client_id)
    if app is None or app.owner_user_id != developer.user_id:
        raise ApiError(404, "not_found", f"You have no app with client id {client_id!r}.")
    return app


def _refused(error: ValidationError) -> ApiError:
    return ApiError(400, "invalid_request", _sentence(error.message))


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


# ---------------------------------------------------------------- who


@blueprint.get("/v1/me")
async def me():
    developer = await current_developer()
    user = await get_user(services().db, developer.user_id)
    if user is None:  # deleted since the token was read
        raise ApiError(401, "invalid_token", "This token's user no longer exists.")
    expires = iso(developer.expires_at) if developer.expires_at else None
    token = TokenInfo(kind=developer.kind, name=developer.token_name, expires_at=expires)
    return _json(Me(id=user.id, email=user.email, token=token))


# ---------------------------------------------------------------- apps


@blueprint.get("/v1/apps")
async def list_apps():
    developer = await current_developer()
    apps = await registry.list_apps(services().db, owner_user_id=developer.user_id)
    return _json(AppList(object="list", data=[app_out(app) for app in apps]))


@blueprint.post("/v1/apps")
async def create_app():
    developer = await current_developer()
    body = decode(await request.get_data(), NewApp)
    try:
        app, secret = await registry.create_app(
            services().db,
            name=body.name,
            redirect_uris=body.redirect_uris,
            app_type=body.type,
            margin=body.margin,
            default_model=body.default_model,
            owner_user_id=developer.user_id,
            description=body.description,
            system_prompt=body.system_prompt,
            public_url=services().config.public_url,
        )
    except ValidationError as error:
        raise _refused(error) from None
    return _json(app_out(app, secret), 201)


@blueprint.get(APP)
async def get_app(client_id: str):
    return _json(app_out(await require_owned_app(client_id)))


@blueprint.patch(APP)
async def update_app(client_id: str):
    app = await require_owned_app(client_id)
    changes = decode(await request.get_data(), AppChanges)
    given = {k: v for k, v in msgspec.structs.asdict(changes).items() if v is not UNSET}
    if "default_model" in given and given["default_model"] is None:
        given["default_model"] = ""  # null clears it, as an empty string does
    for text in ("description", "system_prompt"):
        if text in given and given[text] is None:
            given[text] = ""
    try:
        updated = await registry.update_app(services().db, app.client_id, **given)
    except ValidationError as error:
        raise _refused(error) from None
    except NotFoundError:  # deleted meanwhile
        raise ApiError(404, "not_found", f"You have no app with client id {client_id!r}.") from None
    return _json(app_out(updated))


@blueprint.delete(APP)
async def delete_app(client_id: str):
    app = await require_owned_app(client_id)
    try:
        await registry.delete_app(services().db, app.client_id)
    except NotFoundError:
        raise ApiError(404, "not_found", f"You have no app with client id {client_id!r}.") from None
    return Response("", status=204)


@blueprint.post(APP + "/rotate-secret")
async def rotate_secret(client_id: str):
    app = await require_owned_app(client_id)
    try:
        rotated, secret = await registry.rotate_secret(services().db, app.client_id)
    except NotFoundError:
        raise ApiError(404, "not_found", f"You have no app with client id {client_id!r}.") from None
    return _json(app_out(rotated, secret))


# ---------------------------------------------------------------- numbers


@blueprint.get(APP + "/stats")
async def stats(client_id: str):
    app = await require_owned_app(client_id)
    numbers = await app_stats(services().db, app.client_id, app.id)
    return _json(AppStatsOut(**numbers.public_dict()))


@blueprint.get(APP + "/transactions")
async def transactions(client_id: str):
    app = await require_owned_app(client_id)
    limit = _limit()
    cursor = request.args.get("cursor")
    before_id = decode_cursor(cursor, CURSOR_KIND, (int,))[0] if cursor else None
    rows = await list_transactions(
        services().db, app.client_id, limit=limit + 1, before_id=before_id
    )
    page, has_more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(CURSOR_KIND, page[-1].id) if has_more else None
    return _json(
        TransactionPage(
            object="list",
            data=[transaction_out(row) for row in page],
            has_more=has_more,
            next_cursor=next_cursor,
        )
    )


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None or raw == "":
        return DEFAULT_PAGE
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PAGE:
        raise ApiError(
            400,
            "invalid_request",
            f"limit must be a whole number from 1 to {MAX_PAGE}.",
            param="limit",
        )
    return value


# ---------------------------------------------------------------- docs


@blueprint.get("/v1/docs")
async def docs():
    """The API docs as markdown, public: what ``legion docs`` and the MCP tool show."""
    text = api_docs().replace("<LEGION_SERVER>", services().config.public_url)
    return Response(
        text,
        content_type="text/markdown; charset=utf-8",
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"},
    )


@functools.cache
def api_docs() -> str:
    """``docs.md`` beside this module, read once per process."""
    return resources.files(__package__).joinpath("docs.md").read_text(encoding="utf-8")
