"""Cutting a document's text into chunks of about 1000 tokens, overlapping (SPEC §15).

Tokens are estimated at 4 characters each, as the rest of the server estimates them, so
a chunk is about :data:`CHUNK_CHARS` characters. A chunk ends at a paragraph break where
one is near, else at a sentence end, else at a space; the next chunk starts
:data:`OVERLAP_CHARS` (about 150 tokens) before that end, at a sentence or word boundary,
so that a passage cut in two is still whole in one of them.

A chunk is embedded by its :func:`windows` (60 words each, half overlapping), not as one
text: a word-vector model averages what it reads, and the one paragraph of a 1000-token
chunk that answers a question is lost in the average of the whole chunk, much less in
that of its own window (bench/README.md: questions found by meaning alone in long
documents, 0% → 43%).
"""

from __future__ import annotations

import re

CHARS_PER_TOKEN = 4
CHUNK_TOKENS = 1000
OVERLAP_TOKENS = 150
CHUNK_CHARS = CHUNK_TOKENS * CHARS_PER_TOKEN
OVERLAP_CHARS = OVERLAP_TOKENS * CHARS_PER_TOKEN
# Where to look for a good end: the last fifth of a full chunk.
_SEARCH_FROM = CHUNK_CHARS * 4 // 5
WINDOW_WORDS = 60
WINDOW_STRIDE = 30
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"[.!?。！？](?=\s)|\n")


def chunk_text(text: str) -> list[str]:
    text = text.strip()
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = _end(text, start)
        piece = text[start:end].strip()
        if piece:
            chunks.append(piece)
        if end >= len(text):
            break
        start = _next_start(text, start, end)
    return chunks


def _end(text: str, start: int) -> int:
    limit = start + CHUNK_CHARS
    if limit >= len(text):
        return len(text)
    window = text[start + _SEARCH_FROM : limit]
    for pattern in (_PARAGRAPH, _SENTENCE):
        found = [m.end() for m in pattern.finditer(window)]
        if found:
            return start + _SEARCH_FROM + found[-1]
    space = text.rfind(" ", start + _SEARCH_FROM, limit)
    return space + 1 if space > 0 else limit


def _next_start(text: str, start: int, end: int) -> int:
    """A little before ``end``: at a sentence start if one is in the overlap, else a word."""
    at = max(start + 1, end - OVERLAP_CHARS)
    window = text[at:end]
    sentence = _SENTENCE.search(window)
    if sentence and at + sentence.end() < end:
        return at + sentence.end()
    space = text.find(" ", at, end)
    return space + 1 if 0 <= space < end - 1 else at


def windows(chunk: str) -> list[str]:
    """The overlapping stretches of a chunk that are embedded (one, for a short chunk)."""
    words = chunk.split()
    if len(words) <= WINDOW_WORDS:
        return [" ".join(words)]
    starts = range(0, len(words) - WINDOW_STRIDE, WINDOW_STRIDE)
    return [" ".join(words[start : start + WINDOW_WORDS]) for start in starts]
