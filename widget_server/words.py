"""Reducing free text to words, the one way both full-text searches do it: the
conversation search (SPEC §11) and the knowledge base's (SPEC §15).

Any input is safe: a query is reduced to its words (runs of letters and digits), which
hold nothing that FTS5 or ``tsquery`` would read as syntax. Scripts written without
spaces (Chinese, Japanese, Thai) are one long "word" to both tokenizers, so a word of
theirs is matched as a substring instead (:func:`is_unspaced`).
"""

from __future__ import annotations

import re

MAX_WORDS = 16
MAX_WORD_CHARS = 64
SNIPPET_CHARS = 160
_WORD = re.compile(r"[^\W_]+")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")


def query_words(query: str, limit: int = MAX_WORDS) -> list[str]:
    """The words of ``query`` (runs of letters and digits), the first ``limit`` of them."""
    return [word[:MAX_WORD_CHARS] for word in _WORD.findall(query)[:limit]]


def is_unspaced(word: str) -> bool:
    """Whether ``word`` is of a script written without spaces (matched as a substring)."""
    return _UNSPACED.search(word) is not None


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
