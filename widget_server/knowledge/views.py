"""``/v1/apps/{client_id}/context``: an app's knowledge base by API (SPEC §15), beside the
developer REST API of SPEC §14 and under the same rule: only the caller's own apps
(another's, or an unknown id, is 404).

Refusals are the §5.2 error shape: 401 without a valid developer token (403 for a chat
token), 404 for an app that is not the caller's or a document that is not the app's, 413
past ``LEGION_MAX_UPLOAD_BYTES``, 415 for a file of no supported type, 400 for an empty
file or a missing ``file`` field.
"""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..apps import registry
from ..apps.registry import App
from ..devapi.tokens import authenticate_developer, missing_token
from ..errors import ApiError
from ..gateway.auth import bearer_token
from ..services import services
from ..web.uploads import file_size, upload_body_limit
from . import knowledge_base, store
from .ingest import UploadRefused

blueprint = Blueprint("knowledge", __name__)


def _no_app() -> ApiError:
    return ApiError(404, "not_found", "You have no app with this client id.")


async def require_app_owner(client_id: str) -> App:
    """The app, when the request's bearer token (a developer token, or a ``legion login``
    token; SPEC §14) speaks for its owner; else that token's 401/403, or 404 for an app
    that is not the caller's (or does not exist)."""
    token = bearer_token(request.headers.get("Authorization"))
    if not token:
        raise missing_token()
    db = services().db
    developer = await authenticate_developer(db, token)
    app = await registry.get_app(db, client_id)
    if app is None or app.owner_user_id != developer.user_id:
        raise _no_app()
    return app


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "request_too_large",
        f"The file is larger than this server takes ({limit:,} bytes, LEGION_MAX_UPLOAD_BYTES).",
    )


@blueprint.post("/v1/apps/<client_id>/context")
async def upload(client_id: str):
    app = await require_app_owner(client_id)
    limit = services().config.max_upload_bytes
    if (request.content_length or 0) > upload_body_limit(limit):
        raise too_large(limit)
    try:
        files = await request.files
    except RequestEntityTooLarge:
        raise too_large(limit) from None
    file = files.get("file")
    if file is None:
        raise ApiError(
            400,
            "invalid_request",
            "Send the file as the multipart/form-data field 'file'.",
            param="file",
        )
    if file_size(file) > limit:
        raise too_large(limit)
    try:
        document = await knowledge_base().ingestor.accept(
            app.id, file.filename, file.mimetype, file.stream
        )
    except UploadRefused as refusal:
        raise ApiError(refusal.status, refusal.code, refusal.message, param="file") from None
    return jsonify(store.document_out(document)), 202


@blueprint.get("/v1/apps/<client_id>/context")
async def list_context(client_id: str):
    app = await require_app_owner(client_id)
    rows = await knowledge_base().documents(app.id)
    return jsonify({"object": "list", "data": [store.document_out(row) for row in rows]})


@blueprint.get("/v1/apps/<client_id>/context/<context_id>")
async def get_context(client_id: str, context_id: str):
    app = await require_app_owner(client_id)
    row = await knowledge_base().document(app.id, context_id)
    if row is None:
        raise ApiError(404, "not_found", "No such document in this app's knowledge base.")
    return jsonify(store.document_out(row))


@blueprint.delete("/v1/apps/<client_id>/context/<context_id>")
async def delete_context(client_id: str, context_id: str):
    app = await require_app_owner(client_id)
    if not await knowledge_base().delete(app.id, context_id):
        raise ApiError(404, "not_found", "No such document in this app's knowledge base.")
    return Response(status=204)
