"""What every provider adapter shares: the call it is given, the usage it reports, and the
OpenAI objects it answers with.

An adapter turns one :class:`Call` into either a whole ``chat.completion`` object
(:meth:`Provider.complete`) or a stream of ``chat.completion.chunk`` payloads
(:meth:`Provider.stream`), raising :class:`~widget_server.gateway.errors.UpstreamError`
for every failure. While streaming it keeps a :class:`Meter` up to date, so that a stream
cut short (the client left) can still be billed for what was generated.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from ..catalog import Model
from ..request import ChatRequest, text_of

CHARS_PER_TOKEN = 4  # for estimates only, when a provider reports no usage


def _dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Call:
    """One upstream call: the model, the client's request, and what we send in its name."""

    model: Model
    request: ChatRequest
    messages: list[dict]  # the client's messages, plus the user's preferences if any
    max_tokens: int  # the output cap sent upstream (the reservation's worst case)
    completion_id: str = field(default_factory=lambda: "chatcmpl-" + secrets.token_hex(12))
    created: int = field(default_factory=lambda: int(time.time()))


@dataclass
class Usage:
    prompt_tokens: int
    completion_tokens: int  # reasoning/thinking tokens included: they are billed as output
    reasoning_tokens: int = 0

    def openai(self) -> dict:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
        }


@dataclass
class Meter:
    """A stream's running account. Provider-reported counts win over estimates."""

    prompt_chars: int = 0
    output_chars: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int = 0

    def usage(self) -> Usage:
        prompt = self.prompt_tokens
        if prompt is None:
            prompt = -(-self.prompt_chars // CHARS_PER_TOKEN)
        completion = self.completion_tokens
        if completion is None:
            completion = -(-self.output_chars // CHARS_PER_TOKEN)
        return Usage(prompt, completion, self.reasoning_tokens)


@dataclass
class Completion:
    body: dict | None  # an OpenAI chat.completion object
    usage: Usage
    raw: bytes | None = None  # or the provider's own bytes of it, sent on as they came

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        # A lone surrogate from upstream can't be UTF-8: it becomes "?", not a 500.
        text = json.dumps(self.body, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8", "replace")


class Provider(Protocol):
    name: str

    async def complete(self, call: Call) -> Completion: ...

    def stream(self, call: Call, meter: Meter) -> AsyncIterator[bytes]:
        """Yield JSON payloads of ``chat.completion.chunk`` objects (without ``data:``).

        The usage chunk is yielded only when the client asked for it.
        """
        ...


class ChunkEncoder:
    """Builds ``chat.completion.chunk`` payloads from pre-encoded pieces: per chunk only
    the text is JSON-encoded."""

    def __init__(self, call: Call) -> None:
        head = _dumps(
            {
                "id": call.completion_id,
                "object": "chat.completion.chunk",
                "created": call.created,
                "model": call.model.id,
                "system_fingerprint": None,
            }
        )[:-1]
        self._head = head
        self._open = head + b',"choices":[{"index":0,"delta":'
        usage = b',"usage":null' if call.request.include_usage else b""
        self._close = b',"logprobs":null,"finish_reason":null}]' + usage + b"}"
        self._usage_null = usage

    def role(self) -> bytes:
        return self._open + b'{"role":"assistant","content":"","refusal":null}' + self._close

    def text(self, text: str) -> bytes:
        return self._open + b'{"content":' + _dumps(text) + b"}" + self._close

    def finish(self, reason: str) -> bytes:
        return (
            self._open
            + b'{},"logprobs":null,"finish_reason":'
            + _dumps(reason)
            + b"}]"
            + self._usage_null
            + b"}"
        )

    def usage(self, usage: Usage) -> bytes:
        return self._head + b',"choices":[],"usage":' + _dumps(usage.openai()) + b"}"


def completion_object(call: Call, text: str, finish_reason: str, usage: Usage) -> dict:
    """A ``chat.completion`` as OpenAI shapes it, for the translating providers."""
    return {
        "id": call.completion_id,
        "object": "chat.completion",
        "created": call.created,
        "model": call.model.id,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": text,
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage.openai(),
        "system_fingerprint": None,
    }


def prompt_chars(messages: list[dict]) -> int:
    return sum(len(text_of(m.get("content"))) for m in messages)
