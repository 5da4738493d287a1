"""Asking in a conversation: from a question to an answer being generated (SPEC §11).

Every door onto the model (ask, ask streamed, create-and-ask, the seed's ``/messages``,
regenerate) comes through :func:`start_answer`, in the order that spends nothing on a
request that fails early, as ``/v1/chat/completions`` does: the conversation and parent
(404), the model (404), the rate limits (429), the app's knowledge for the question, then
the hold (402). The question, the answer-to-be (its ``sources`` the knowledge-base chunks
it is given) and the idempotency claim are saved in the hold's own transaction, so a
refused request saves nothing, and the answer then runs as a task of the server.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from ..billing.settlement import LedgerEntry
from ..clock import utcnow
from ..context import question_recorder
from ..context.sections import with_context
from ..errors import ApiError
from ..gateway.auth import Caller
from ..gateway.charging import Held, check_affordable, hold
from ..gateway.completions import last_question
from ..gateway.limits import rate_limited, seconds_to_wait
from ..gateway.plan import plan_call
from ..gateway.providers import Call
from ..gateway.request import ChatRequest
from ..gateway.state import Gateway
from ..knowledge import knowledge_base
from ..storage.schema import apps, conversations, idempotency_keys, messages
from . import store
from .generation import Answer, Generations, frame
from .schemas import GenerationOptions
from .store import IN_PROGRESS, NEW_CONVERSATION_TITLE, Owner

PER_MESSAGE_TOKENS = 8
IDEMPOTENCY_WINDOW = timedelta(hours=24)
CHARS_PER_TOKEN = 4
_IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,255}")
# Answers that go back to the model as history; a failed one (or one still being written)
# is left out, as the chat showed it as an error.
_HISTORY_STATUSES = ("complete", "stopped")


@dataclass(frozen=True)
class AskRequest:
    """One ask, as its endpoint understood it."""

    owner: Owner
    caller: Caller
    token: str
    options: GenerationOptions
    conversation_id: str | None  # None: a new conversation
    question: str | None = None  # None: regenerate ``regenerate_id``
    parent_id: str | None = None
    regenerate_id: str | None = None
    title: str | None = None  # of a new conversation
    generate_title: bool = True
    idempotency: Claim | None = None

    @property
    def event_base(self) -> int:
        """Events before the first chunk: conversation_created and user_message."""
        return (self.conversation_id is None) + (self.question is not None)


@dataclass(frozen=True)
class Claim:
    """An ``Idempotency-Key`` and the request it stands for."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class Started:
    """An answer on its way: where it is, and its question (None for a regeneration)."""

    conversation_id: str
    user_message_pk: int | None
    answer_pk: int


class IdempotencyTaken(Exception):
    """Another call claimed the key first (inside the hold: undoes it)."""


# ---------------------------------------------------------------- idempotency


def claim_from(header: str | None, route: str, body: bytes) -> Claim | None:
    """The request's claim, or None without the header; 400 for a malformed key."""
    if header is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(header):
        raise ApiError(
            400,
            "invalid_request",
            "Idempotency-Key must be 1 to 255 printable ASCII characters.",
            param="Idempotency-Key",
        )
    parsed = json.loads(body or b"{}")  # the body was already decoded: it is an object
    parsed.pop("stream", None)
    canonical = json.dumps([route, parsed], sort_keys=True, separators=(",", ":"))
    return Claim(header, hashlib.sha256(canonical.encode()).hexdigest())


def find_claim(conn: Connection, user_id: int, claim: Claim) -> Started | None:
    """The answer a key was first used for (within 24 h), or None; 409 for another body."""
    row = conn.execute(
        select(idempotency_keys).where(
            idempotency_keys.c.user_id == user_id,
            idempotency_keys.c.key == claim.key,
            idempotency_keys.c.created_at > utcnow() - IDEMPOTENCY_WINDOW,
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != claim.request_hash:
        raise ApiError(
            409,
            "idempotency_conflict",
            "This Idempotency-Key was used with another request.",
        )
    return Started(row.conversation_id, row.user_message_pk, row.answer_pk)


def _claim(conn: Connection, user_id: int, claim: Claim, started: Started, now) -> None:
    conn.execute(  # a key more than a day old is free again
        delete(idempotency_keys).where(
            idempotency_keys.c.user_id == user_id,
            idempotency_keys.c.key == claim.key,
            idempotency_keys.c.created_at <= now - IDEMPOTENCY_WINDOW,
        )
    )
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(idempotency_keys)
        .values(
            user_id=user_id,
            key=claim.key,
            request_hash=claim.request_hash,
            conversation_id=started.conversation_id,
            user_message_pk=started.user_message_pk,
            answer_pk=started.answer_pk,
            created_at=now,
        )
        .on_conflict_do_nothing()
    )
    if conn.execute(statement).rowcount != 1:
        raise IdempotencyTaken


# ---------------------------------------------------------------- the ask


@dataclass(frozen=True)
class _Context:
    """What the ask was read against: where the question hangs, and the history."""

    parent_pk: int | None
    history: list[dict]
    system_prompt: str


async def start_answer(gateway: Gateway, generations: Generations, ask: AskRequest) -> Started:
    """Check, hold, save and start; or attach to the answer an earlier call with the same
    Idempotency-Key started."""
    db = gateway.db
    if ask.idempotency is not None:
        found = await db.read_call(
            lambda conn: find_claim(conn, ask.owner.user_id, ask.idempotency)
        )
        if found is not None:
            await gateway.tokens.refresh(db, ask.token)  # still live: may read its answer
            return found
    budget = gateway.config.history_max_tokens
    context = await db.read_call(lambda conn: _read_context(conn, ask, budget))
    chat = _chat_request(ask, context)
    plan = plan_call(gateway, chat, ask.caller.app.default_model)
    wait = await seconds_to_wait(gateway, ask.caller)
    if wait is not None:
        await check_affordable(gateway, ask.caller, chat, plan)
        raise rate_limited(wait)
    knowledge = await knowledge_base().find(ask.owner.app_id, chat, last_question(chat))
    try:
        held = await hold(
            gateway,
            ask.caller,
            ask.token,
            chat,
            plan,
            then=lambda conn, held: _save_question(
                conn, ask, context, held, gateway, knowledge.sources
            ),
            knowledge=knowledge.section,
        )
    except IdempotencyTaken:  # a concurrent retry won the claim: follow its answer
        found = await db.read_call(
            lambda conn: find_claim(conn, ask.owner.user_id, ask.idempotency)
        )
        assert found is not None
        return found
    started, answer = held.saved
    if ask.question is not None:  # whatever the flags (SPEC §15)
        question_recorder().record(ask.owner.user_id, ask.question)
    call = Call(
        held.plan.model, chat, with_context(chat.messages, held.context), held.plan.max_tokens
    )
    app = ask.caller.app
    entry = LedgerEntry(ask.owner.user_id, app.id, app.client_id, held.plan.model.id)
    provider = gateway.providers[held.plan.model.provider]
    generations.start(answer, held, entry, call, provider)
    return started


def _read_context(conn: Connection, ask: AskRequest, budget_tokens: int) -> _Context:
    system_prompt = (
        conn.execute(select(apps.c.system_prompt).where(apps.c.id == ask.owner.app_id)).scalar()
        or ""
    )
    if ask.conversation_id is None:
        return _Context(None, [], system_prompt)
    conversation = store.get_conversation(conn, ask.owner, ask.conversation_id)
    if ask.regenerate_id is not None:
        original = store.get_message(conn, conversation.id, ask.regenerate_id)
        if original.role != "assistant" or original.parent_pk is None:
            raise ApiError(
                400, "invalid_request", "Only an answer to a question can be regenerated."
            )
        parent_pk = original.parent_pk
    else:
        parent_pk = store.parent_for_new_message(conn, conversation, ask.parent_id)
    history = [
        {"role": row.role, "content": row.content}
        for row in store.branch(conn, parent_pk)
        if row.content and (row.role == "user" or row.status in _HISTORY_STATUSES)
    ]
    fixed = _tokens(system_prompt) + _tokens(ask.question or "")
    return _Context(parent_pk, _fit(history, budget_tokens - fixed), system_prompt)


def _tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN) + PER_MESSAGE_TOKENS if text else 0


def _fit(history: list[dict], budget: int) -> list[dict]:
    """The newest messages that fit ``budget`` estimated tokens (oldest dropped first);
    the question being regenerated, the last one, always stays."""
    kept: list[dict] = []
    for message in reversed(history):
        cost = _tokens(message["content"])
        if kept and cost > budget:
            break
        kept.append(message)
        budget -= cost
    return kept[::-1]


def _chat_request(ask: AskRequest, context: _Context) -> ChatRequest:
    turns = list(context.history)
    if context.system_prompt:
        turns.insert(0, {"role": "system", "content": context.system_prompt})
    if ask.question is not None:
        turns.append({"role": "user", "content": ask.question})
    options = ask.options
    chat = ChatRequest(
        messages=turns,
        model=options.model,
        stream=True,
        max_tokens=options.max_tokens,
        user_preferences=options.user_preferences,
        user_information=options.user_information,
        user_context=options.user_context,
        context_ids=options.context_ids or [],
        body_bytes=len(json.dumps(turns, ensure_ascii=False).encode()),
    )
    if options.temperature is not None:
        chat.sampling["temperature"] = options.temperature
    return chat


def _save_question(
    conn: Connection,
    ask: AskRequest,
    context: _Context,
    held: Held,
    gateway: Gateway,
    sources: list[dict],
) -> tuple[Started, Answer]:
    """In the hold's transaction: the conversation (new, or still there), the question, the
    answer-to-be (with the knowledge-base chunks it is given as its ``sources``), the
    claim, and the branch shown."""
    now = utcnow()
    owner = ask.owner
    if ask.conversation_id is None:
        conversation_id = store.create_conversation(conn, owner, ask.title, now)
    else:
        conversation_id = store.get_conversation(conn, owner, ask.conversation_id).id
        if context.parent_pk is not None and not _exists(conn, context.parent_pk):
            raise store.not_found("message")  # deleted meanwhile
    user_pk = None
    parent_pk = context.parent_pk
    if ask.question is not None:
        user_pk = store.insert_message(conn, conversation_id, parent_pk, "user", ask.question, now)
        parent_pk = user_pk
    answer_pk = store.insert_message(
        conn,
        conversation_id,
        parent_pk,
        "assistant",
        "",
        now,
        status=IN_PROGRESS,
        model=held.plan.model.id,
        process_id=gateway.heartbeat.process_id,
        event_base=ask.event_base,
        sources=sources,
    )
    values: dict = {"current_message_pk": answer_pk}
    if ask.question is not None and ask.generate_title:
        title = conn.execute(
            select(conversations.c.title).where(conversations.c.id == conversation_id)
        ).scalar()
        if title == NEW_CONVERSATION_TITLE:
            values["title"] = store.title_from_question(ask.question)
    store.touch(conn, conversation_id, now, **values)
    started = Started(conversation_id, user_pk, answer_pk)
    if ask.idempotency is not None:
        _claim(conn, owner.user_id, ask.idempotency, started, now)
    answer_row = store.message_by_pk(conn, answer_pk)
    answer = Answer(
        answer_pk,
        answer_row.id,
        conversation_id,
        ask.event_base,
        prelude_frames(conn, answer_row, ask.event_base),
    )
    return started, answer


def _exists(conn: Connection, pk: int) -> bool:
    return conn.execute(select(messages.c.pk).where(messages.c.pk == pk)).first() is not None


def prelude_frames(conn: Connection, answer: Row, event_base: int | None = None) -> list[bytes]:
    """The events before an answer's first chunk: ``conversation_created`` (when the call
    made the conversation) and ``user_message``, numbered from 1."""
    base = answer.event_base if event_base is None else event_base
    if base == 0:
        return []
    question = store.message_out(store.message_by_pk(conn, answer.parent_pk))
    frames = []
    if base == 2:
        conversation = store.conversation_out(
            conn.execute(
                store.CONVERSATION_ROW.where(conversations.c.id == answer.conversation_id)
            ).one()
        )
        created = {"type": "conversation_created", "conversation": conversation}
        frames.append(frame(1, {**created, "user_message": question}))
    frames.append(frame(base, {"type": "user_message", "message": question}))
    return frames


def save_messages(
    conn: Connection, owner: Owner, conversation_id: str, saved: list, now
) -> list[Row]:
    """Append messages as given to the current branch (no model call, nothing charged)."""
    conversation = store.get_conversation(conn, owner, conversation_id)
    parent_pk = conversation.current_message_pk
    pks = []
    for message in saved:
        parent_pk = store.insert_message(
            conn,
            conversation_id,
            parent_pk,
            message.role,
            message.content,
            now,
            sources=message.sources,
        )
        pks.append(parent_pk)
    store.touch(conn, conversation_id, now, current_message_pk=parent_pk)
    return [store.message_by_pk(conn, pk) for pk in pks]
