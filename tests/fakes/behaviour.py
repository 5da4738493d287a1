"""What a fake provider does with the next request: reply text, pacing, usage, failures.

A behaviour comes from three places, later ones winning field by field:

1. the defaults set with :meth:`FakeProviders.set` (they last until ``reset()``),
2. one-shot behaviours queued with :meth:`FakeProviders.next` (each used by one request),
3. a directive in the last user message: ``[[fake fail=529]]`` or
   ``[[fake reply="**Hi** there" delay=0.05 chunks=40]]`` (shell-style quoting), so that a
   browser test can steer the fake by what it types. The directive is cut from the text
   the fake sees.
"""

from __future__ import annotations

import re
import shlex
import threading
from collections import deque
from dataclasses import dataclass, fields, replace

# Failures a fake can produce on demand.
#   "400" "401" "429" "500" "503" "529" ...: that HTTP status with the provider's error body
#   "hang":     accept the request and never answer (until the client gives up)
#   "cut":      close the connection after `fail_after` chunks (non-stream: no body at all)
#   "bad_json": send a body (or an SSE event after `fail_after` chunks) that is not JSON
#   "bad_shape": an SSE event after `fail_after` chunks that is JSON of the wrong shape
#               (stream only)
#   "error":    the provider's own mid-stream error event after `fail_after` chunks
#               (Anthropic: an `overloaded_error` event; OpenAI and Gemini: an error object)
#   "stall":    stop sending after `fail_after` chunks, keeping the connection open
MID_STREAM_FAILURES = ("cut", "bad_json", "bad_shape", "error", "stall")
FAILURES = ("hang", *MID_STREAM_FAILURES)

_DIRECTIVE = re.compile(r"\[\[fake(?P<args>[^\]]*)\]\]")


@dataclass(frozen=True)
class Behaviour:
    reply: str | None = None  # default: "Fake <provider> reply: <last user text>"
    chunks: int | None = None  # stream/answer exactly this many word chunks (cycling the reply)
    delay: float = 0.0  # seconds between streamed chunks
    first_delay: float = 0.0  # seconds before the response starts
    fail: str | None = None
    fail_after: int = 0  # chunks sent before a mid-stream failure
    retry_after: str | None = None  # Retry-After header on a failure status
    prompt_tokens: int | None = None  # default: words in all messages
    completion_tokens: int | None = None  # default: chunks sent
    thoughts: int = 0  # reasoning/thinking tokens (Gemini thoughtsTokenCount, ...)
    # False: an OpenAI-compatible server that reports no usage at all (answer without
    # ``usage``, ``stream_options.include_usage`` ignored), as some do.
    usage: bool = True
    provider: str | None = None  # a queued behaviour: only for this provider

    def merged(self, **changes) -> Behaviour:
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown fake behaviour fields: {sorted(unknown)}")
        return replace(self, **changes)


def _coerce(name: str, raw: str):
    kind = {f.name: f.type for f in fields(Behaviour)}[name]
    if "bool" in str(kind):
        return raw.lower() in ("1", "true", "yes")
    if "float" in str(kind):
        return float(raw)
    if "int" in str(kind):
        return int(raw)
    return raw


def parse_directive(text: str) -> tuple[str, dict]:
    """Cut ``[[fake ...]]`` out of a message; return the rest and the fields it set."""
    found: dict = {}

    def take(match: re.Match) -> str:
        for item in shlex.split(match.group("args")):
            key, _, value = item.partition("=")
            if key in {f.name for f in fields(Behaviour)} and key != "provider":
                found[key] = _coerce(key, value)
        return ""

    rest = _DIRECTIVE.sub(take, text)
    return rest.strip() if found else text, found


class Control:
    """The behaviour state shared by every fake route, safe to change from another thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._default = Behaviour()
        self._queue: deque[Behaviour] = deque()
        self.record = True
        self.requests: list[dict] = []

    def set(self, **changes) -> None:
        with self._lock:
            self._default = self._default.merged(**changes)

    def next(self, **changes) -> None:
        with self._lock:
            self._queue.append(Behaviour().merged(**changes))

    def reset(self) -> None:
        with self._lock:
            self._default = Behaviour()
            self._queue.clear()
            self.requests.clear()

    def take(self, provider: str, directive: dict) -> Behaviour:
        with self._lock:
            behaviour = self._default
            for queued in list(self._queue):
                if queued.provider in (None, provider):
                    self._queue.remove(queued)
                    changed = {
                        f.name: getattr(queued, f.name)
                        for f in fields(queued)
                        if getattr(queued, f.name) != getattr(Behaviour(), f.name)
                    }
                    behaviour = behaviour.merged(**changed)
                    break
        return behaviour.merged(**directive) if directive else behaviour

    def remember(self, entry: dict) -> dict:
        if self.record:
            with self._lock:
                self.requests.append(entry)
        return entry

    def snapshot(self) -> list[dict]:
        with self._lock:
            return [dict(entry) for entry in self.requests]


def words(text: str) -> int:
    return len(text.split())


def reply_chunks(behaviour: Behaviour, provider: str, last_user_text: str) -> list[str]:
    """The pieces a reply is streamed in: words, each but the first with its leading space."""
    text = behaviour.reply
    if text is None:
        text = f"Fake {provider} reply: {last_user_text}".strip()
    pieces = re.findall(r"\s*\S+", text) or [text]
    if behaviour.chunks is not None:
        count = max(behaviour.chunks, 0)
        pieces = [pieces[i % len(pieces)] for i in range(count)]
        if pieces and not pieces[0].strip():
            pieces[0] = pieces[0].lstrip()
    return pieces


def limit_chunks(pieces: list[str], max_tokens: int | None) -> tuple[list[str], bool]:
    """Honour the request's output limit: one chunk is one token. True when truncated."""
    if max_tokens is not None and 0 <= max_tokens < len(pieces):
        return pieces[:max_tokens], True
    return pieces, False
