"""Full-text search of a user's messages with an app (SPEC §11).

Any input is safe: the query is reduced to its words (runs of letters and digits), each
passed as a quoted phrase to FTS5 (SQLite) or as plain words to ``plainto_tsquery``
(PostgreSQL), so quotes, ``NEAR``, ``*`` or unbalanced parentheses are just characters.
Both indexes split words alike (FTS5's ``unicode61``, PostgreSQL's ``simple``: lower case,
no stemming), so plain ASCII words find the same messages on both.

Scripts written without spaces (Chinese, Japanese) are one long "word" to both tokenizers,
so a word of theirs is matched as a substring of the text instead. Hits come newest first,
paged by the message's creation number. The reduction to words is ``widget_server/words.py``,
shared with the knowledge base's search.
"""

from __future__ import annotations

from sqlalchemy import Connection, column, table, text

from ..storage.schema import conversations, messages
from ..words import is_unspaced
from .cursors import decode_cursor, encode_cursor
from .store import MESSAGE_ROW, Owner, Page

_fts = table("messages_fts", column("rowid"))


def search_messages(
    conn: Connection, owner: Owner, words: list[str], *, limit: int, cursor: str | None
) -> Page:
    indexed = [w for w in words if not is_unspaced(w)]
    unspaced = [w for w in words if is_unspaced(w)]
    query = (
        MESSAGE_ROW.add_columns(conversations.c.title.label("conversation_title"))
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(conversations.c.user_id == owner.user_id, conversations.c.app_id == owner.app_id)
    )
    if not words:
        return Page([], None, False, None)
    order = messages.c.pk
    if indexed and conn.dialect.name == "sqlite":
        phrase = " ".join(f'"{word}"' for word in indexed)
        query = query.join(_fts, _fts.c.rowid == messages.c.pk).where(
            text("messages_fts MATCH :fts_query").bindparams(fts_query=phrase)
        )
        # Ordered by the index's own rowid, FTS5 hands hits over newest first and the
        # LIMIT stops it early; ordered by messages.pk, SQLite sorts every hit first.
        order = _fts.c.rowid
    elif indexed:
        query = query.where(
            text("messages.search_vector @@ plainto_tsquery('simple', :ts_words)").bindparams(
                ts_words=" ".join(indexed)
            )
        )
    for word in unspaced:
        query = query.where(messages.c.content.contains(word, autoescape=True))
    if cursor is not None:
        (before,) = decode_cursor(cursor, "search", (int,))
        query = query.where(order < before)
    rows = list(conn.execute(query.order_by(order.desc()).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor("search", rows[-1].pk) if has_more else None
    return Page(rows, None, has_more, next_cursor)
