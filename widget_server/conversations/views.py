"""The conversation API under ``/v1/chat/{client_id}`` (SPEC §11): thin doors onto one model.

Each view reads the request, calls the store or the ask path, and shapes the answer.
Every call but ``info`` needs an access token of that same app (another app's: 403
``wrong_app``), live in the very transaction that reads or writes (a revoked token stops
at once), and a browser's ``Origin`` must be one of the app's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from quart import Blueprint, Response, g, request, stream_with_context
from sqlalchemy import select

from ..apps.registry import get_app
from ..clock import utcnow
from ..errors import ApiError
from ..gateway.auth import TOKEN_IS_LIVE, bearer_token, token_is_live_params
from ..gateway.relay import SSE_HEADERS
from ..gateway.views import chat_cors
from ..oauth.cors import preflight, refuse_foreign_origin_api
from ..services import services
from ..words import query_words, snippet
from . import store
from .asks import AskRequest, Started, claim_from, prelude_frames, save_messages, start_answer
from .generation import replay
from .schemas import (
    AppInfo,
    Ask,
    AskOrSave,
    ConversationChanges,
    ConversationWithMessages,
    CreateAndAsk,
    Feedback,
    MessageEdit,
    NewConversation,
    Regenerate,
    SeedAsk,
    decode,
    encode,
)
from .search import search_messages
from .state import Conversations, conversations_state
from .store import FAILED, IN_PROGRESS, STOPPED, Owner

blueprint = Blueprint("conversations", __name__, url_prefix="/v1/chat/<client_id>")
blueprint.after_request(chat_cors)
CONVERSATION = "/conversations/<conversation_id>"
MESSAGE = CONVERSATION + "/messages/<message_id>"
STOP_WAIT_S = 20.0
METHODS = "GET, POST, PATCH, PUT, DELETE, OPTIONS"
HEADERS = "Authorization, Content-Type, Idempotency-Key, Last-Event-ID"


def _json(value, status: int = 200) -> Response:
    return Response(encode(value), status=status, content_type="application/json")


def _no_content() -> Response:
    return Response("", status=204)


def _events(frames: AsyncIterator[bytes]) -> Response:
    response = Response(frames, headers=SSE_HEADERS)
    response.timeout = None  # as long as the answer takes
    return response


async def _owner(client_id: str) -> tuple[Conversations, Owner]:
    """The caller's (user, app), or 401/403. Who a token speaks for comes from the token
    cache; whether it is still live is checked in the same transaction as the work
    (:func:`_read`, :func:`_write`; asks: the hold), so a revoked token stops at once."""
    state = conversations_state()
    token = bearer_token(request.headers.get("Authorization"))
    caller = await state.gateway.tokens.caller(state.gateway.db, token)
    app = caller.app
    g.legion_caller, g.legion_token, g.legion_app = caller, token or "", app
    if app.client_id != client_id:
        raise ApiError(403, "wrong_app", "This access token belongs to another app.")
    refuse_foreign_origin_api(request.headers.get("Origin"), app)
    return state, Owner(caller.user_id, app.id)


class _TokenDied(Exception):
    pass


def _live(function, *args):
    """``function`` run after the caller's token is found still live (else _TokenDied)."""
    caller = g.get("legion_caller")
    live = token_is_live_params(caller.token_hash, utcnow()) if caller else None

    def work(conn):
        if live is not None and not conn.execute(select(TOKEN_IS_LIVE), live).scalar():
            raise _TokenDied
        return function(conn, *args)

    return work


async def _dead_token_error() -> ApiError:
    """The 401 or 403 of a token that died since the cache saw it."""
    gateway = conversations_state().gateway
    await gateway.tokens.refresh(gateway.db, g.legion_token)  # raises it
    return ApiError(401, "invalid_token", "The access token can't be used right now.")


async def _read(function, *args):
    try:
        return await conversations_state().gateway.db.read_call(_live(function, *args))
    except _TokenDied:
        raise await _dead_token_error() from None


async def _write(function, *args):
    try:
        return await conversations_state().gateway.db.write(_live(function, *args))
    except _TokenDied:
        raise await _dead_token_error() from None


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ApiError(
            400,
            "invalid_request",
            f"{name} must be a whole number from {low} to {high}.",
            param=name,
        )
    return value


def _paging(default_limit: int, max_limit: int) -> tuple[int, int, str | None]:
    limit = _int_arg("limit", default_limit, 1, max_limit)
    offset = _int_arg("offset", 0, 0, 2**31 - 1)
    cursor = request.args.get("cursor") or None
    if cursor is not None and "offset" in request.args:
        raise ApiError(400, "invalid_request", "Give cursor or offset, not both.", param="cursor")
    return limit, offset, cursor


def _flag(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise ApiError(400, "invalid_request", f"{name} must be true or false.", param=name)


# ---------------------------------------------------------------- CORS and the public door


@blueprint.before_request
async def conversations_preflight():
    """Answer every preflight here, before Quart's automatic OPTIONS answer would."""
    if request.method == "OPTIONS":
        return await preflight(services().db, METHODS, HEADERS)
    return None


@blueprint.get("/info")
async def app_info(client_id: str):
    app = await get_app(services().db, client_id)
    if app is None:
        raise store.not_found("app")
    g.legion_app = app
    info = AppInfo(app.client_id, app.name, app.description, app.type, bool(app.system_prompt))
    return _json(info)


# ---------------------------------------------------------------- conversations


@blueprint.post("/conversations")
async def create_conversation(client_id: str):
    _, owner = await _owner(client_id)
    body = decode(await request.get_data(), NewConversation)

    def work(conn):
        conversation_id = store.create_conversation(conn, owner, body.title, utcnow())
        return store.conversation_out(store.get_conversation(conn, owner, conversation_id))

    return _json(await _write(work), 201)


@blueprint.get("/conversations")
async def list_conversations(client_id: str):
    _, owner = await _owner(client_id)
    limit, offset, cursor = _paging(20, 100)
    archived = _flag("archived", False)
    title_filter = request.args.get("q") or None
    page = await _read(
        lambda conn: store.list_conversations(
            conn,
            owner,
            limit=limit,
            cursor=cursor,
            offset=offset,
            archived=archived,
            title_filter=title_filter,
        )
    )
    return _json(
        {
            "object": "list",
            "data": [store.conversation_out(row) for row in page.rows],
            "total": page.total,
            "has_more": page.has_more,
            "next_cursor": page.next_cursor,
        }
    )


@blueprint.delete("/conversations")
async def delete_all_conversations(client_id: str):
    _, owner = await _owner(client_id)
    await _write(store.delete_conversations, owner, None)
    return _no_content()


@blueprint.get(CONVERSATION)
async def get_conversation(client_id: str, conversation_id: str):
    _, owner = await _owner(client_id)

    def work(conn):
        row = store.get_conversation(conn, owner, conversation_id)
        shown = store.messages_out(conn, store.branch(conn, row.current_message_pk))
        out = store.conversation_out(row)
        return ConversationWithMessages(
            **{f: getattr(out, f) for f in out.__struct_fields__}, messages=shown
        )

    return _json(await _read(work))


@blueprint.patch(CONVERSATION)
async def update_conversation(client_id: str, conversation_id: str):
    _, owner = await _owner(client_id)
    changes = decode(await request.get_data(), ConversationChanges)

    def work(conn):
        row = store.get_conversation(conn, owner, conversation_id)
        now = utcnow()
        values = {}
        if isinstance(changes.title, str):
            values["title"] = changes.title
        if isinstance(changes.archived, bool):
            values["archived"] = changes.archived
        if values:
            store.touch(conn, conversation_id, now, **values)
        if isinstance(changes.current_message_id, str):
            store.set_current_message(conn, row, changes.current_message_id, now)
        return store.conversation_out(store.get_conversation(conn, owner, conversation_id))

    return _json(await _write(work))


@blueprint.delete(CONVERSATION)
async def delete_conversation(client_id: str, conversation_id: str):
    _, owner = await _owner(client_id)
    if not await _write(store.delete_conversations, owner, conversation_id):
        raise store.not_found()
    return _no_content()


@blueprint.get("/export")
async def export_conversations(client_id: str):
    _, owner = await _owner(client_id)
    await _read(lambda conn: None)  # the token is live before the stream starts
    response = Response(
        stream_with_context(_export_lines)(owner),
        content_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="conversations.ndjson"'},
    )
    response.timeout = None
    return response


async def _export_lines(owner: Owner) -> AsyncIterator[bytes]:
    """One line per conversation with all its messages, a page of conversations at a time:
    memory does not grow with the history."""
    cursor = None
    while True:
        page = await _read(
            lambda conn, cursor=cursor: store.list_conversations(
                conn, owner, limit=20, cursor=cursor, offset=0, archived=None, title_filter=None
            )
        )
        for row in page.rows:
            every = await _read(
                lambda conn, row=row: store.messages_out(conn, store.all_messages(conn, row.id))
            )
            yield encode({"conversation": store.conversation_out(row), "messages": every}) + b"\n"
        if not page.has_more:
            return
        cursor = page.next_cursor


@blueprint.get("/search")
async def search(client_id: str):
    _, owner = await _owner(client_id)
    query = request.args.get("q", "")
    if not query.strip():
        raise ApiError(400, "invalid_request", "q must not be empty.", param="q")
    limit, _, cursor = _paging(20, 100)
    words = query_words(query)

    def work(conn):
        page = search_messages(conn, owner, words, limit=limit, cursor=cursor)
        found = store.messages_out(conn, page.rows)
        return page, found

    page, found = await _read(work)
    hits = [
        {
            "message": message,
            "conversation": {"id": row.conversation_id, "title": row.conversation_title},
            "snippet": snippet(message.content, words),
        }
        for row, message in zip(page.rows, found, strict=True)
    ]
    return _json(
        {"object": "list", "data": hits, "has_more": page.has_more, "next_cursor": page.next_cursor}
    )


# ---------------------------------------------------------------- messages


@blueprint.get(CONVERSATION + "/messages")
async def list_messages(client_id: str, conversation_id: str):
    _, owner = await _owner(client_id)
    limit, offset, cursor = _paging(50, 200)
    order = request.args.get("order", "asc")
    if order not in ("asc", "desc"):
        raise ApiError(400, "invalid_request", "order must be asc or desc.", param="order")

    def work(conn):
        conversation = store.get_conversation(conn, owner, conversation_id)
        page = store.list_messages(
            conn,
            conversation_id,
            conversation.message_count,
            limit=limit,
            offset=offset,
            cursor=cursor,
            descending=order == "desc",
        )
        return page, store.messages_out(conn, page.rows)

    page, data = await _read(work)
    return _json(
        {
            "object": "list",
            "data": data,
            "total": page.total,
            "limit": limit,
            "offset": offset,
            "has_more": page.has_more,
            "next_cursor": page.next_cursor,
        }
    )


@blueprint.get(MESSAGE)
async def get_message(client_id: str, conversation_id: str, message_id: str):
    _, owner = await _owner(client_id)

    def work(conn):
        store.get_conversation(conn, owner, conversation_id)
        return store.messages_out(conn, [store.get_message(conn, conversation_id, message_id)])[0]

    return _json(await _read(work))


@blueprint.patch(MESSAGE)
async def edit_message(client_id: str, conversation_id: str, message_id: str):
    _, owner = await _owner(client_id)
    body = decode(await request.get_data(), MessageEdit)

    def work(conn):
        store.get_conversation(conn, owner, conversation_id)
        return store.message_out(
            store.edit_message(conn, conversation_id, message_id, body.content, utcnow())
        )

    return _json(await _write(work))


@blueprint.put(MESSAGE + "/feedback")
async def set_feedback(client_id: str, conversation_id: str, message_id: str):
    _, owner = await _owner(client_id)
    raw = await request.get_data()
    feedback = None if raw.strip() == b"null" else decode(raw, Feedback)

    def work(conn):
        store.get_conversation(conn, owner, conversation_id)
        row = store.set_feedback(
            conn,
            conversation_id,
            message_id,
            feedback.normalized_rating if feedback else None,
            feedback.text if feedback else None,
        )
        return store.message_out(row)

    message = await _write(work)
    return _json(
        {"message_id": message.id, "conversation_id": conversation_id, "feedback": message.feedback}
    )


@blueprint.delete(MESSAGE)
async def delete_message(client_id: str, conversation_id: str, message_id: str):
    _, owner = await _owner(client_id)

    def work(conn):
        conversation = store.get_conversation(conn, owner, conversation_id)
        store.delete_message(conn, conversation, message_id, utcnow())

    await _write(work)
    return _no_content()


@blueprint.post(MESSAGE + "/stop")
async def stop_answer(client_id: str, conversation_id: str, message_id: str):
    state, owner = await _owner(client_id)

    def find(conn):
        store.get_conversation(conn, owner, conversation_id)
        return store.get_message(conn, conversation_id, message_id)

    row = await _read(find)
    if row.role != "assistant" or row.status != IN_PROGRESS:
        raise _already_finished()
    generation = state.generations.get(row.pk)
    if generation is not None:
        generation.stop()
        await asyncio.shield(generation.outcome)
    else:  # another process writes it: it reads the request at its next flush
        await _write(store.request_stop, row.pk)
    row = await _wait_until_finished(row.pk, STOP_WAIT_S)
    if row is None:
        raise store.not_found("message")
    if row.status != STOPPED:
        raise _already_finished()
    return _json(store.message_out(row))


def _already_finished() -> ApiError:
    return ApiError(409, "conflict", "This answer is not being written; there is nothing to stop.")


async def _wait_until_finished(message_pk: int, timeout_s: float):
    """The message once it is no longer ``in_progress`` (or as it is after ``timeout_s``)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        row = await _read(store.message_by_pk, message_pk)
        if row is None or row.status != IN_PROGRESS or asyncio.get_running_loop().time() > deadline:
            return row
        await asyncio.sleep(0.05)


@blueprint.get(MESSAGE + "/events")
async def answer_events(client_id: str, conversation_id: str, message_id: str):
    state, owner = await _owner(client_id)
    after = _last_event_id()

    def find(conn):
        store.get_conversation(conn, owner, conversation_id)
        return store.get_message(conn, conversation_id, message_id)

    row = await _read(find)
    if row.role != "assistant":
        raise store.not_found("answer")
    return _events(_answer_frames(state, row.pk, after))


def _last_event_id() -> int:
    raw = request.headers.get("Last-Event-ID")
    if raw is None or raw.strip() == "":
        return _int_arg("after", 0, 0, 2**31 - 1)
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ApiError(400, "invalid_request", "Last-Event-ID must be a whole number.")
    return value


def _answer_frames(state: Conversations, answer_pk: int, after: int) -> AsyncIterator[bytes]:
    """From this process's memory while it writes the answer, else from the database."""
    generation = state.generations.get(answer_pk)
    if generation is not None:
        return generation.follow(after)
    return replay(state.gateway.db, answer_pk, after, prelude_frames)


# ---------------------------------------------------------------- asking


@blueprint.post(CONVERSATION + "/messages")
async def ask_or_save(client_id: str, conversation_id: str):
    raw = await request.get_data()
    body = decode(raw, AskOrSave)
    has_content = isinstance(body.content, str)
    has_messages = isinstance(body.messages, list)
    if has_content == has_messages:
        raise ApiError(
            400,
            "invalid_request",
            "Send content (ask) or messages (save), not both."
            if has_content
            else "Send content (ask) or messages (save).",
        )
    if has_messages:
        _, owner = await _owner(client_id)
        rows = await _write(save_messages, owner, conversation_id, body.messages, utcnow())
        return _json(
            {"conversation_id": conversation_id, "messages": [store.message_out(r) for r in rows]},
            201,
        )
    return await _ask(client_id, raw, body, conversation_id, body.stream, _ask_answer)


@blueprint.post(CONVERSATION + "/messages/stream")
async def ask_streamed(client_id: str, conversation_id: str):
    raw = await request.get_data()
    return await _ask(client_id, raw, decode(raw, Ask), conversation_id, True, _ask_answer)


@blueprint.post("/conversations/stream")
async def create_and_ask(client_id: str):
    raw = await request.get_data()
    body = decode(raw, CreateAndAsk)
    return await _ask(client_id, raw, body, None, True, _ask_answer, title=body.title)


@blueprint.post("/messages")
async def seed_ask(client_id: str):
    raw = await request.get_data()
    body = decode(raw, SeedAsk)
    return await _ask(client_id, raw, body, body.conversation_id, body.stream, _seed_answer)


@blueprint.post(MESSAGE + "/regenerate")
async def regenerate(client_id: str, conversation_id: str, message_id: str):
    raw = await request.get_data()
    body = decode(raw, Regenerate)
    return await _ask(
        client_id,
        raw,
        body,
        conversation_id,
        body.stream,
        _regenerated_answer,
        regenerate_id=message_id,
    )


async def _ask(
    client_id, raw, body, conversation_id, stream, shape, *, title=None, regenerate_id=None
):
    state, owner = await _owner(client_id)
    question = getattr(body, "content", None) if regenerate_id is None else None
    ask = AskRequest(
        owner=owner,
        caller=g.legion_caller,
        token=g.legion_token,
        options=body,
        conversation_id=conversation_id,
        question=question,
        parent_id=getattr(body, "parent_id", None),
        regenerate_id=regenerate_id,
        title=title,
        generate_title=getattr(body, "generate_title", True),
        idempotency=claim_from(request.headers.get("Idempotency-Key"), request.path, raw),
    )
    # The answer outlives this request: a client leaving now doesn't stop it starting.
    task = asyncio.ensure_future(start_answer(state.gateway, state.generations, ask))
    started = await asyncio.shield(task)
    if stream:
        return _events(_answer_frames(state, started.answer_pk, 0))
    answer = await _outcome(state, started)
    if answer.status == FAILED:
        raise _failure(answer)
    return _json(await _read(shape, started), 201)


async def _outcome(state: Conversations, started: Started):
    generation = state.generations.get(started.answer_pk)
    if generation is not None:
        await asyncio.shield(generation.outcome)
    row = await _wait_until_finished(started.answer_pk, float("inf"))
    if row is None:
        raise store.not_found("message")
    return row


def _failure(answer) -> ApiError:
    record = store.error_record_of(answer)
    return ApiError(record["status"], record["code"], record["message"])


def _ask_answer(conn, started: Started) -> dict:
    rows = [
        store.message_by_pk(conn, started.user_message_pk),
        store.message_by_pk(conn, started.answer_pk),
    ]
    return {
        "conversation_id": started.conversation_id,
        "messages": [store.message_out(r) for r in rows],
    }


def _seed_answer(conn, started: Started) -> dict:
    answer = store.message_out(store.message_by_pk(conn, started.answer_pk))
    return {
        "response": answer.content,
        "conversation_id": started.conversation_id,
        "message": answer,
    }


def _regenerated_answer(conn, started: Started) -> dict:
    answer = store.message_out(store.message_by_pk(conn, started.answer_pk))
    return {"conversation_id": started.conversation_id, "messages": [answer]}
