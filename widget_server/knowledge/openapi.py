"""The knowledge-base API (SPEC §15) in ``/openapi.json``."""

from __future__ import annotations

CONTEXT = "/v1/apps/{client_id}/context"
ONE = CONTEXT + "/{context_id}"
_STRING = {"type": "string"}
_NULLABLE_INT = {"type": ["integer", "null"]}


def _parameter(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": _STRING,
        "description": description,
    }


def _json(schema: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def knowledge_paths(error) -> dict:
    """``error(description, schema)`` makes a response entry (web/openapi.py's)."""
    errors = {
        "401": error("invalid_token: missing, unknown, expired or revoked", "ApiError"),
        "403": error("insufficient_scope: a chat token (chat:completions)", "ApiError"),
        "404": error("not_found: not one of your apps, or not its document", "ApiError"),
    }
    common = {"tags": ["knowledge base"], "security": [{"bearer": []}]}
    app = _parameter("client_id", "One of your apps (another user's is 404)")
    document = _parameter("context_id", "A document of the app (ctx_...)")
    upload = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
    return {
        CONTEXT: {
            "post": {
                **common,
                "summary": "Upload a file (PDF, DOCX, PPTX, .txt, .md); read in the background",
                "parameters": [app],
                "requestBody": upload,
                "responses": {
                    "202": {"description": "accepted, processing", "content": _json("Context")},
                    "400": error("invalid_request: no file field, or an empty file", "ApiError"),
                    "413": error("request_too_large: over LEGION_MAX_UPLOAD_BYTES", "ApiError"),
                    "415": error("unsupported_media_type: not a type it reads", "ApiError"),
                    **errors,
                },
            },
            "get": {
                **common,
                "summary": "The app's documents, newest first",
                "parameters": [app],
                "responses": {"200": {"description": "ok", "content": _json("ContextList")}},
            },
        },
        ONE: {
            "get": {
                **common,
                "summary": "One document and its status",
                "parameters": [app, document],
                "responses": {"200": {"description": "ok", "content": _json("Context")}, **errors},
            },
            "delete": {
                **common,
                "summary": "Delete a document and its chunks",
                "parameters": [app, document],
                "responses": {"204": {"description": "deleted"}, **errors},
            },
        },
    }


def knowledge_schemas() -> dict:
    return {
        "Context": {
            "type": "object",
            "required": ["id", "object", "filename", "type", "bytes", "status"],
            "properties": {
                "id": _STRING,
                "object": {"const": "context"},
                "filename": _STRING,
                "type": {"enum": ["pdf", "docx", "pptx", "text", "markdown"]},
                "bytes": {"type": "integer"},
                "status": {"enum": ["processing", "ready", "failed"]},
                "reason": {"type": ["string", "null"], "description": "why it failed"},
                "pages": _NULLABLE_INT,
                "chunks": {"type": "integer"},
                "created_at": _STRING,
                "updated_at": _STRING,
            },
        },
        "ContextList": {
            "type": "object",
            "properties": {
                "object": {"const": "list"},
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Context"}},
            },
        },
    }
