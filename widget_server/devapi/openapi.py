"""The developer API in ``/openapi.json``: one entry per route, bodies and answers
described by the msgspec types that validate and encode them (``schemas.py``)."""

from __future__ import annotations

from .schemas import openapi_components

APPS = "/v1/apps"
APP = APPS + "/{client_id}"
_CLIENT_ID = {
    "name": "client_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "One of your apps (another user's is 404)",
}
_PAGE = [
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
    {
        "name": "cursor",
        "in": "query",
        "schema": {"type": "string"},
        "description": "next_cursor of the page before",
    },
]

# (method, path, summary, request body type, success status, answer schema)
ROUTES: list[tuple[str, str, str, str | None, int, str | None]] = [
    ("get", "/v1/me", "Who the token speaks for", None, 200, "Me"),
    ("get", APPS, "Your apps", None, 200, "AppList"),
    (
        "post",
        APPS,
        "Create an app (the client secret is shown once)",
        "NewApp",
        201,
        "AppWithSecret",
    ),
    ("get", APP, "One of your apps", None, 200, "AppOut"),
    ("patch", APP, "Change an app's fields", "AppChanges", 200, "AppOut"),
    ("delete", APP, "Delete an app (its connections and tokens go with it)", None, 204, None),
    ("post", APP + "/rotate-secret", "Issue a new client secret", None, 200, "AppWithSecret"),
    ("get", APP + "/stats", "Users, tokens, spend and earnings", None, 200, "AppStatsOut"),
    (
        "get",
        APP + "/transactions",
        "Ledger rows, newest first, paged",
        None,
        200,
        "TransactionPage",
    ),
]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def developer_paths(error) -> dict:
    """``error(description, schema)`` makes a response entry (web/openapi.py's)."""
    errors = {
        "400": error(
            "invalid_request: a malformed body, an unknown field, a rule broken", "ApiError"
        ),
        "401": error("invalid_token: missing, unknown, expired or revoked", "ApiError"),
        "403": error("insufficient_scope: a chat token (chat:completions)", "ApiError"),
        "404": error("not_found: not one of your apps", "ApiError"),
    }
    paths: dict = {}
    for method, path, summary, body, status, answer in ROUTES:
        operation: dict = {
            "summary": summary,
            "tags": ["developer"],
            "security": [{"bearer": []}],
        }
        if "{client_id}" in path:
            operation["parameters"] = [_CLIENT_ID]
        if path.endswith("/transactions"):
            operation["parameters"] = [_CLIENT_ID, *_PAGE]
        if body:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _ref(body)}},
            }
        success: dict = {"description": summary}
        if answer:
            success["content"] = {"application/json": {"schema": _ref(answer)}}
        responses = {str(status): success, "401": errors["401"], "403": errors["403"]}
        if body or path.endswith("/transactions"):
            responses["400"] = errors["400"]
        if "{client_id}" in path:
            responses["404"] = errors["404"]
        operation["responses"] = responses
        paths.setdefault(path, {})[method] = operation
    paths["/v1/docs"] = {
        "get": {
            "summary": "These API docs as markdown (public; what `legion docs` prints)",
            "tags": ["developer"],
            "responses": {
                "200": {
                    "description": "The docs",
                    "content": {"text/markdown": {"schema": {"type": "string"}}},
                }
            },
        }
    }
    return paths


def developer_schemas() -> dict:
    return openapi_components()
