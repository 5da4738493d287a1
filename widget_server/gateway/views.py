"""The OpenAI-compatible endpoints: ``/v1/models`` and ``/v1/chat/completions``, with
their CORS (SPEC §4.6, §5)."""

from __future__ import annotations

from quart import Blueprint, Response, g, jsonify, request

from ..apps.registry import origin_is_registered
from ..errors import ApiError
from ..oauth.cors import allow_origin, origin_allowed_for_app, preflight
from ..services import services
from .completions import chat_completions
from .state import EXTRAS_KEY, Gateway

blueprint = Blueprint("gateway", __name__)


def gateway() -> Gateway:
    return services().extras[EXTRAS_KEY]


@blueprint.route("/v1/models", methods=["GET"], provide_automatic_options=False)
async def list_models():
    state = gateway()
    response = jsonify(
        {"object": "list", "data": [m.listing() for m in state.catalog.available(state.config)]}
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@blueprint.route("/v1/models/<path:model_id>", methods=["GET"], provide_automatic_options=False)
async def get_model(model_id: str):
    state = gateway()
    model = state.catalog.get(model_id)
    if model is None or model not in state.catalog.available(state.config):
        raise ApiError(404, "model_not_found", f"The model {model_id!r} does not exist here.")
    response = jsonify(model.listing())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@blueprint.route("/v1/models", methods=["OPTIONS"])
@blueprint.route("/v1/models/<path:model_id>", methods=["OPTIONS"])
async def models_preflight(model_id: str | None = None):
    response = Response("", status=204)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
    response.headers["Access-Control-Max-Age"] = "600"
    return response


@blueprint.post("/v1/chat/completions", provide_automatic_options=False)  # preflight below
async def create_chat_completion():
    return await chat_completions(gateway(), request)


@blueprint.route("/v1/chat/completions", methods=["OPTIONS"])
async def chat_preflight():
    return await preflight(services().db, "POST, OPTIONS")


@blueprint.after_request
async def chat_cors(response: Response) -> Response:
    """Let the widget read every answer of the chat endpoint, errors included: the
    token's app decides; before the token is known (a 401), any registered origin may
    read it, so the widget can react by refreshing its token."""
    origin = request.headers.get("Origin")
    if (
        request.method == "OPTIONS"
        or not origin
        or not request.path.startswith("/v1/chat/")
        or "Access-Control-Allow-Origin" in response.headers
    ):
        return response
    if origin == "null":
        response.vary.add("Origin")
        return response
    app = getattr(g, "legion_app", None)
    if app is not None:
        allowed = origin_allowed_for_app(origin, app)
    else:
        allowed = await origin_is_registered(services().db, origin)
    if allowed:
        allow_origin(response, origin)
    else:
        response.vary.add("Origin")
    return response
