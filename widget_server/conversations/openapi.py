"""The conversation API in ``/openapi.json``: one entry per route, its body described by the
same msgspec type that validates it (``schemas.py``)."""

from __future__ import annotations

from .schemas import openapi_components

BASE = "/v1/chat/{client_id}"
CONVERSATION = BASE + "/conversations/{conversation_id}"
MESSAGE = CONVERSATION + "/messages/{message_id}"
EVENTS = "text/event-stream of {id, data: {type, ...}} events ending data: [DONE]"

# (method, path, summary, request body type, success status, answer schema or media)
ROUTES: list[tuple[str, str, str, str | None, int, str]] = [
    ("get", BASE + "/info", "Public facts about the app", None, 200, "AppInfo"),
    (
        "post",
        BASE + "/conversations",
        "Create a conversation",
        "NewConversation",
        201,
        "ConversationOut",
    ),
    ("get", BASE + "/conversations", "List conversations, newest first", None, 200, "list"),
    ("delete", BASE + "/conversations", "Delete every conversation with the app", None, 204, ""),
    (
        "post",
        BASE + "/conversations/stream",
        "Create a conversation and ask",
        "CreateAndAsk",
        200,
        "events",
    ),
    (
        "get",
        CONVERSATION,
        "A conversation with its current branch",
        None,
        200,
        "ConversationWithMessages",
    ),
    (
        "patch",
        CONVERSATION,
        "Rename, archive or switch branch",
        "ConversationChanges",
        200,
        "ConversationOut",
    ),
    ("delete", CONVERSATION, "Delete a conversation", None, 204, ""),
    (
        "get",
        CONVERSATION + "/messages",
        "Every message, all branches, in creation order",
        None,
        200,
        "list",
    ),
    (
        "post",
        CONVERSATION + "/messages",
        "Ask (content) or save messages (messages)",
        "AskOrSave",
        201,
        "asked",
    ),
    ("post", CONVERSATION + "/messages/stream", "Ask, streamed", "Ask", 200, "events"),
    ("get", MESSAGE, "A message", None, 200, "MessageOut"),
    ("patch", MESSAGE, "Edit a message's text", "MessageEdit", 200, "MessageOut"),
    ("delete", MESSAGE, "Delete a message and its descendants", None, 204, ""),
    (
        "put",
        MESSAGE + "/feedback",
        "Rate a message (or null to clear)",
        "Feedback",
        200,
        "feedback",
    ),
    (
        "post",
        MESSAGE + "/regenerate",
        "Answer the question again, as a branch",
        "Regenerate",
        201,
        "asked",
    ),
    ("post", MESSAGE + "/stop", "Stop an answer being written", None, 200, "MessageOut"),
    (
        "get",
        MESSAGE + "/events",
        "Resume an answer's events after Last-Event-ID",
        None,
        200,
        "events",
    ),
    ("get", BASE + "/export", "Every conversation as NDJSON", None, 200, "ndjson"),
    ("get", BASE + "/search", "Full-text search of messages", None, 200, "list"),
    ("post", BASE + "/messages", "Ask in a conversation, or in a new one", "SeedAsk", 201, "asked"),
]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(kind: str) -> dict:
    if kind == "events":
        return {"text/event-stream": {"schema": {"type": "string", "description": EVENTS}}}
    if kind == "ndjson":
        return {"application/x-ndjson": {"schema": {"type": "string"}}}
    if kind in ("list", "asked", "feedback"):
        return {"application/json": {"schema": {"type": "object"}}}
    return {"application/json": {"schema": _ref(kind)}}


def conversation_paths(api_errors: dict) -> dict:
    paths: dict = {}
    for method, path, summary, body, status, answer in ROUTES:
        operation: dict = {"summary": summary, "tags": ["conversations"]}
        if not path.endswith("/info"):
            operation["security"] = [{"bearer": []}]
        if body:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _ref(body)}},
            }
        success = {"description": summary}
        if answer:
            success["content"] = _answer(answer)
        operation["responses"] = {str(status): success, **api_errors}
        paths.setdefault(path, {})[method] = operation
    return paths


def conversation_schemas() -> dict:
    return openapi_components()
