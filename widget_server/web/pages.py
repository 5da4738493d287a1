"""The home page, the OpenAPI description and a health check."""

from __future__ import annotations

from quart import Blueprint, jsonify, render_template

from ..services import services
from .auth import current_user
from .openapi import openapi_document

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
async def index():
    return await render_template(
        "index.html", user=await current_user(), demo=services().config.demo
    )


@blueprint.get("/healthz")
async def health():
    return jsonify({"status": "ok"})


@blueprint.get("/openapi.json")
async def openapi():
    response = jsonify(openapi_document(services().config.public_url))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
