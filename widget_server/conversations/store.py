"""Conversations and their messages, as rows (SPEC §11): every query of the concern.

A conversation is a tree of messages by ``parent_pk``; ``current_message_pk`` is the leaf
of the branch shown. Messages are ordered by ``pk``, their creation order, whatever their
timestamps. Functions take a synchronous connection: writes run as one
:meth:`Database.write` transaction, reads through ``run_sync``.

Who may see what is decided here: every look-up is by (user, app) first, so another user's
or another app's id is simply not found (404, never 403).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row

from ..clock import iso
from ..errors import ApiError
from ..storage.schema import conversations, message_chunks, messages
from .cursors import decode_cursor, encode_cursor
from .schemas import ConversationOut, FeedbackOut, MessageOut, Usage

NEW_CONVERSATION_TITLE = "New Conversation"
TITLE_FROM_QUESTION_CHARS = 60

COMPLETE, IN_PROGRESS, STOPPED, FAILED = "complete", "in_progress", "stopped", "failed"

_parent = messages.alias("parent")
_current = messages.alias("current")
MESSAGE_ROW = select(messages, _parent.c.id.label("parent_id")).outerjoin(
    _parent, _parent.c.pk == messages.c.parent_pk
)
CONVERSATION_ROW = select(conversations, _current.c.id.label("current_message_id")).outerjoin(
    _current, _current.c.pk == conversations.c.current_message_pk
)


@dataclass(frozen=True)
class Owner:
    """Whose conversations: a user's, with one app."""

    user_id: int
    app_id: int


def not_found(what: str = "conversation") -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def title_from_question(question: str) -> str:
    """The question's first line, cut at a word boundary to at most 60 characters."""
    line = next((ln.strip() for ln in question.splitlines() if ln.strip()), "")
    if len(line) <= TITLE_FROM_QUESTION_CHARS:
        return line or NEW_CONVERSATION_TITLE
    cut = line[: TITLE_FROM_QUESTION_CHARS + 1].rsplit(None, 1)[0]
    if len(cut) > TITLE_FROM_QUESTION_CHARS or not cut:
        cut = line[:TITLE_FROM_QUESTION_CHARS]
    return cut.rstrip()


# ---------------------------------------------------------------- conversations


def conversation_out(row: Row) -> ConversationOut:
    return ConversationOut(
        id=row.id,
        title=row.title,
        created_at=iso(row.created_at),
        updated_at=iso(row.updated_at),
        archived=bool(row.archived),
        message_count=row.message_count,
        current_message_id=row.current_message_id,
    )


def create_conversation(conn: Connection, owner: Owner, title: str | None, now: datetime) -> str:
    conversation_id = new_id("conv")
    conn.execute(
        insert(conversations).values(
            id=conversation_id,
            user_id=owner.user_id,
            app_id=owner.app_id,
            title=title or NEW_CONVERSATION_TITLE,
            created_at=now,
            updated_at=now,
        )
    )
    return conversation_id


def _owned(owner: Owner):
    return and_(conversations.c.user_id == owner.user_id, conversations.c.app_id == owner.app_id)


def get_conversation(conn: Connection, owner: Owner, conversation_id: str) -> Row:
    """The conversation, or 404 when it isn't this user's with this app."""
    row = conn.execute(
        CONVERSATION_ROW.where(conversations.c.id == conversation_id, _owned(owner))
    ).first()
    if row is None:
        raise not_found()
    return row


@dataclass(frozen=True)
class Page:
    rows: list
    total: int | None
    has_more: bool
    next_cursor: str | None


def list_conversations(
    conn: Connection,
    owner: Owner,
    *,
    limit: int,
    cursor: str | None,
    offset: int,
    archived: bool | None,
    title_filter: str | None,
) -> Page:
    """Most recently updated first, ties by id; ``archived=None`` lists both kinds."""
    where = [_owned(owner)]
    if archived is not None:
        where.append(conversations.c.archived == archived)
    if title_filter:
        where.append(
            func.lower(conversations.c.title).contains(title_filter.lower(), autoescape=True)
        )
    total = conn.execute(select(func.count()).select_from(conversations).where(*where)).scalar()
    query = CONVERSATION_ROW.where(*where)
    if cursor is not None:
        updated_at, last_id = decode_cursor(cursor, "conversations", (str, str))
        moment = _cursor_moment(updated_at)
        query = query.where(
            or_(
                conversations.c.updated_at < moment,
                and_(conversations.c.updated_at == moment, conversations.c.id < last_id),
            )
        )
    query = query.order_by(conversations.c.updated_at.desc(), conversations.c.id.desc())
    rows = conn.execute(query.offset(offset).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = encode_cursor("conversations", last.updated_at.isoformat(), last.id)
    return Page(rows, total, has_more, next_cursor)


def _cursor_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "invalid_request", "The cursor is not valid here.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def touch(conn: Connection, conversation_id: str, now: datetime, **values) -> None:
    conn.execute(
        update(conversations)
        .where(conversations.c.id == conversation_id)
        .values(updated_at=now, **values)
    )


def set_current_message(conn: Connection, conversation: Row, message_id: str, now) -> None:
    """Show the branch of ``message_id``: its leaf, by the newest child at each level."""
    row = conn.execute(
        select(messages.c.pk).where(
            messages.c.conversation_id == conversation.id, messages.c.id == message_id
        )
    ).first()
    if row is None:
        raise not_found("message")
    touch(conn, conversation.id, now, current_message_pk=newest_leaf(conn, conversation.id, row.pk))


def newest_leaf(conn: Connection, conversation_id: str, start_pk: int) -> int:
    newest_child: dict[int, int] = {}
    for pk, parent_pk in conn.execute(
        select(messages.c.pk, messages.c.parent_pk).where(
            messages.c.conversation_id == conversation_id
        )
    ):
        if parent_pk is not None and pk > newest_child.get(parent_pk, 0):
            newest_child[parent_pk] = pk
    leaf = start_pk
    while leaf in newest_child:
        leaf = newest_child[leaf]
    return leaf


def delete_conversations(conn: Connection, owner: Owner, conversation_id: str | None) -> int:
    """One conversation, or all of this user's with the app; their messages, search
    entries and stream logs go with them (foreign keys and the index's triggers)."""
    where = [_owned(owner)]
    if conversation_id is not None:
        where.append(conversations.c.id == conversation_id)
    return conn.execute(delete(conversations).where(*where)).rowcount or 0


# ---------------------------------------------------------------- messages


def message_out(row: Row, content: str | None = None) -> MessageOut:
    """``content`` overrides the stored text (an answer still being written)."""
    usage = None
    if row.prompt_tokens is not None or row.completion_tokens is not None:
        usage = Usage(row.prompt_tokens or 0, row.completion_tokens or 0)
    feedback = None
    if row.feedback_rating is not None:
        feedback = FeedbackOut(row.feedback_rating, row.feedback_text)
    return MessageOut(
        id=row.id,
        conversation_id=row.conversation_id,
        parent_id=row.parent_id,
        role=row.role,
        content=row.content if content is None else content,
        status=row.status,
        model=row.model,
        usage=usage,
        cost_micros=row.cost_micros,
        feedback=feedback,
        sources=json.loads(row.sources),
        created_at=iso(row.created_at),
        updated_at=iso(row.updated_at),
    )


def messages_out(conn: Connection, rows: list[Row]) -> list[MessageOut]:
    """Answers still being written show the text their stream log holds so far."""
    live = [row.pk for row in rows if row.status == IN_PROGRESS]
    texts = logged_texts(conn, live) if live else {}
    return [message_out(row, texts.get(row.pk)) for row in rows]


def logged_texts(conn: Connection, pks: list[int]) -> dict[int, str]:
    return {pk: "".join(parts) for pk, parts in logged_pieces(conn, pks).items()}


def logged_pieces(conn: Connection, pks: list[int], skip: int = 0) -> dict[int, list[str]]:
    """The chunks' texts in the answers' stream logs, after the first ``skip`` of each."""
    pieces: dict[int, list[str]] = {}
    query = select(
        message_chunks.c.message_pk, message_chunks.c.first_chunk, message_chunks.c.pieces
    ).where(message_chunks.c.message_pk.in_(pks))
    if skip:  # one answer's log, from the batch holding piece ``skip + 1``
        (pk,) = pks
        holding = (
            select(func.coalesce(func.max(message_chunks.c.first_chunk), 0))
            .where(message_chunks.c.message_pk == pk, message_chunks.c.first_chunk <= skip + 1)
            .scalar_subquery()
        )
        query = query.where(message_chunks.c.first_chunk >= holding)
    for message_pk, first, batch in conn.execute(
        query.order_by(message_chunks.c.message_pk, message_chunks.c.first_chunk)
    ):
        texts = json.loads(batch)
        pieces.setdefault(message_pk, []).extend(texts[max(0, skip + 1 - first) :])
    return pieces


def all_messages(conn: Connection, conversation_id: str) -> list[Row]:
    """Every message of every branch, in creation order."""
    query = MESSAGE_ROW.where(messages.c.conversation_id == conversation_id)
    return list(conn.execute(query.order_by(messages.c.pk)))


def request_stop(conn: Connection, message_pk: int) -> None:
    """Ask the process writing an answer to stop it (it looks at its next flush)."""
    conn.execute(
        update(messages)
        .where(messages.c.pk == message_pk, messages.c.status == IN_PROGRESS)
        .values(stop_requested=True)
    )


def error_record_of(row: Row) -> dict:
    """The saved error of a failed answer: ``{status, message, type, code}``."""
    if row.error:
        return json.loads(row.error)
    return {
        "status": 502,
        "message": "The answer failed.",
        "type": "api_error",
        "code": "upstream_error",
    }


def get_message(conn: Connection, conversation_id: str, message_id: str) -> Row:
    row = conn.execute(
        MESSAGE_ROW.where(
            messages.c.conversation_id == conversation_id, messages.c.id == message_id
        )
    ).first()
    if row is None:
        raise not_found("message")
    return row


def message_by_pk(conn: Connection, pk: int) -> Row | None:
    return conn.execute(MESSAGE_ROW.where(messages.c.pk == pk)).first()


def branch(conn: Connection, leaf_pk: int | None) -> list[Row]:
    """The messages from the first one to ``leaf_pk``, oldest first."""
    if leaf_pk is None:
        return []
    up = select(messages.c.pk, messages.c.parent_pk).where(messages.c.pk == leaf_pk)
    up = up.cte("branch", recursive=True)
    up = up.union_all(
        select(messages.c.pk, messages.c.parent_pk).join(up, messages.c.pk == up.c.parent_pk)
    )
    query = MESSAGE_ROW.where(messages.c.pk.in_(select(up.c.pk))).order_by(messages.c.pk)
    return list(conn.execute(query))


def list_messages(
    conn: Connection,
    conversation_id: str,
    total: int,
    *,
    limit: int,
    offset: int,
    cursor: str | None,
    descending: bool,
) -> Page:
    """Every message of every branch, in creation order (or its reverse). The total is the
    conversation's ``message_count``, kept in the same transactions as its messages."""
    where = [messages.c.conversation_id == conversation_id]
    if cursor is not None:
        (after,) = decode_cursor(cursor, "messages", (int,))
        where.append(messages.c.pk < after if descending else messages.c.pk > after)
    order = messages.c.pk.desc() if descending else messages.c.pk
    rows = list(
        conn.execute(MESSAGE_ROW.where(*where).order_by(order).offset(offset).limit(limit + 1))
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor("messages", rows[-1].pk) if has_more else None
    return Page(rows, total, has_more, next_cursor)


def insert_message(
    conn: Connection,
    conversation_id: str,
    parent_pk: int | None,
    role: str,
    content: str,
    now: datetime,
    *,
    status: str = COMPLETE,
    model: str | None = None,
    sources: list | None = None,
    process_id: str | None = None,
    event_base: int = 0,
) -> int:
    """Insert one message and count it in its conversation; returns its pk."""
    pk = conn.execute(
        insert(messages)
        .values(
            id=new_id("msg"),
            conversation_id=conversation_id,
            parent_pk=parent_pk,
            role=role,
            content=content,
            status=status,
            model=model,
            sources=json.dumps(sources or [], ensure_ascii=False),
            created_at=now,
            updated_at=now,
            process_id=process_id,
            event_base=event_base,
        )
        .returning(messages.c.pk)
    ).scalar_one()
    conn.execute(
        update(conversations)
        .where(conversations.c.id == conversation_id)
        .values(message_count=conversations.c.message_count + 1)
    )
    return pk


def parent_for_new_message(
    conn: Connection, conversation: Row, parent_id: str | None
) -> int | None:
    """The pk a new question hangs from: ``parent_id`` (of this conversation, else 404),
    or the current leaf."""
    if parent_id is None:
        return conversation.current_message_pk
    row = conn.execute(
        select(messages.c.pk).where(
            messages.c.conversation_id == conversation.id, messages.c.id == parent_id
        )
    ).first()
    if row is None:
        raise not_found("message")
    return row.pk


def edit_message(conn: Connection, conversation_id: str, message_id: str, content: str, now) -> Row:
    row = get_message(conn, conversation_id, message_id)
    if row.status == IN_PROGRESS:
        raise ApiError(409, "conflict", "The answer is still being written; stop it first.")
    conn.execute(
        update(messages).where(messages.c.pk == row.pk).values(content=content, updated_at=now)
    )
    touch(conn, conversation_id, now)
    return get_message(conn, conversation_id, message_id)


def set_feedback(
    conn: Connection, conversation_id: str, message_id: str, rating: str | None, text: str | None
) -> Row:
    row = get_message(conn, conversation_id, message_id)
    conn.execute(
        update(messages)
        .where(messages.c.pk == row.pk)
        .values(feedback_rating=rating, feedback_text=text if rating else None)
    )
    return get_message(conn, conversation_id, message_id)


def delete_message(conn: Connection, conversation: Row, message_id: str, now) -> None:
    """Delete a message with its descendants; a current leaf among them moves to the
    deleted message's parent."""
    row = get_message(conn, conversation.id, message_id)
    down = select(messages.c.pk).where(messages.c.pk == row.pk).cte("subtree", recursive=True)
    down = down.union_all(select(messages.c.pk).join(down, messages.c.parent_pk == down.c.pk))
    subtree = [pk for (pk,) in conn.execute(select(down.c.pk))]
    values: dict = {"message_count": conversations.c.message_count - len(subtree)}
    if conversation.current_message_pk in subtree:
        values["current_message_pk"] = row.parent_pk
    conn.execute(delete(messages).where(messages.c.pk == row.pk))  # the rest by cascade
    touch(conn, conversation.id, now, **values)
