"""Full-text search of a user's messages with an app (SPEC §11).

Any input is safe: the query is reduced to its words (runs of letters and digits), each
passed as a quoted phrase to FTS5 (SQLite) or as plain words to ``plainto_tsquery``
(PostgreSQL), so quotes, ``NEAR``, ``*`` or unbalanced parentheses are just characters.
Both indexes split words alike (FTS5's ``unicode61``, PostgreSQL's ``simple``: lower case,
no stemming), so plain ASCII words find the same messages on both.

Scripts written without spaces (Chinese, Japanese) are one long "word" to both tokenizers,
so a word of theirs is matched as a substring of the text instead. Hits come newest first,
paged by the message's creation number.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, column, table, text

from ..storage.schema import conversations, messages
from .cursors import decode_cursor, encode_cursor
from .store import MESSAGE_ROW, Owner, Page

MAX_WORDS = 16
MAX_WORD_CHARS = 64
SNIPPET_CHARS = 160
_WORD = re.compile(r"[^\W_]+")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")
_fts = table("messages_fts", column("rowid"))


def query_words(query: str) -> list[str]:
    return [word[:MAX_WORD_CHARS] for word in _WORD.findall(query)[:MAX_WORDS]]


def search_messages(
    conn: Connection, owner: Owner, words: list[str], *, limit: int, cursor: str | None
) -> Page:
    indexed = [w for w in words if not _UNSPACED.search(w)]
    unspaced = [w for w in words if _UNSPACED.search(w)]
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


def snippet(content: str, words: list[str]) -> str:
    """About 160 characters of ``content`` around the first word found, cut at spaces."""
    lowered = content.lower()
    found = [i for i in (lowered.find(w.lower()) for w in words) if i >= 0]
    at = min(found) if found else 0
    start = max(0, at - SNIPPET_CHARS // 3)
    end = min(len(content), start + SNIPPET_CHARS)
    if start > 0:
        space = content.find(" ", start, at)
        start = space + 1 if space >= 0 else start
    if end < len(content):
        space = content.rfind(" ", at, end)
        end = space if space > at else end
    piece = " ".join(content[start:end].split())
    return ("…" if start > 0 else "") + piece + ("…" if end < len(content) else "")
