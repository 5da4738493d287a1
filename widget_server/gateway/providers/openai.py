"""OpenAI-compatible providers: OpenAI, xAI, and any server behind ``OPENAI_BASE_URL``
(vLLM, Ollama, llama.cpp ...).

The request is forwarded nearly as sent, and so are the answer and every chunk: a client
gets exactly what the provider produced, the answer's and each chunk's bytes relayed as
they came (read, in C, only for the usage, errors, finish and text length that billing
needs). We always ask for usage in streams (to bill), and drop the usage chunk again when
the client did not ask for it. A server that sends no usage at all (some ignore
``stream_options``) is billed by estimate, and the client still gets that usage: in the
answer, or as the usage-only last chunk it asked for.

The output cap goes out in the field the model takes (the catalog's
``output_cap_fields``): OpenAI's reasoning models only know ``max_completion_tokens``,
whatever URL the request is relayed through, and a client's ``max_tokens`` is translated
for them; a model the catalog says nothing about (a local server's) gets ``max_tokens``
unless the client chose ``max_completion_tokens``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from ...config import ProviderSettings
from ..errors import UpstreamError, upstream_failed
from ..sse import sse_events
from .base import Call, Completion, Meter, Usage, prompt_chars
from .transport import UpstreamClient, bad_event, cut_short, json_object, make_upstream

LABELS = {"openai": "OpenAI", "xai": "xAI"}


class OpenAICompatible:
    def __init__(self, name: str, settings: ProviderSettings, client: UpstreamClient) -> None:
        self.name = name
        label = LABELS.get(name, name)
        self.upstream = make_upstream(
            client, label, settings.base_url, {"Authorization": f"Bearer {settings.api_key}"}
        )

    def body(self, call: Call, stream: bool) -> dict:
        request = call.request
        body: dict = {"model": call.model.id, "messages": call.messages}
        body.update(request.sampling)
        body.update(request.passthrough)
        if request.stop:
            body["stop"] = request.stop
        body[call.model.output_cap_field(request.max_tokens_field)] = call.max_tokens
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    async def complete(self, call: Call) -> Completion:
        raw = await self.upstream.post("/chat/completions", self.body(call, False))
        body = None
        try:
            answer = _decode_answer(raw)  # only choices and usage, in C
            choices, reported = answer.choices, answer.usage
        except msgspec.MsgspecError:
            # Not an object, or JSON that msgspec refuses and Python takes (a lone
            # surrogate escape): Python's reading decides.
            body = json_object(self.upstream.label, raw)
            choices, reported = body.get("choices"), body.get("usage")
        usage = _usage(reported, call, self._choices(choices))
        if isinstance(reported, dict):
            return Completion(None, usage, raw)  # nothing changes: the provider's bytes
        body = body if body is not None else json_object(self.upstream.label, raw)
        body["usage"] = usage.openai()  # what we bill, estimated
        return Completion(body, usage)

    def _choices(self, choices: Any) -> list:
        if not isinstance(choices, list):
            raise upstream_failed(f"The {self.upstream.label} API sent no choices.")
        return choices

    async def stream(self, call: Call, meter: Meter) -> AsyncIterator[bytes]:
        upstream = self.upstream
        response = await upstream.open_stream("/chat/completions", self.body(call, True))
        include_usage = call.request.include_usage
        finished = False
        # The role-only opening chunk waits for the first content, so that a failure
        # before any text is still a plain JSON error rather than a broken stream.
        held: bytes | None = None
        opened = False
        usage_sent = False
        last = _Chunk()
        try:
            async for _, data in sse_events(upstream.chunks(response)):
                if data == b"[DONE]":
                    break
                # Relayed as it came; read only for what billing and the stream's framing
                # need, into typed fields (msgspec, in C), never into dicts.
                try:
                    chunk = _decode_chunk(data)
                except msgspec.MsgspecError:
                    raise bad_event(upstream.label) from None
                if chunk.error is not None:
                    raise _stream_error(upstream.label, chunk.error)
                last = chunk
                usage = chunk.usage
                if usage:
                    _meter_usage(meter, usage)
                    usage_sent = include_usage
                if chunk.choices:
                    choice = chunk.choices[0]
                    delta = choice.delta
                    content = delta.content if delta else None
                    if content:
                        meter.output_chars += len(content)
                    if choice.finish_reason:
                        finished = True
                    if not opened:
                        substance = delta and (delta.tool_calls or delta.refusal)
                        if not (content or finished or substance):
                            held = data if held is None else held
                            continue
                        opened = True
                        if held is not None:
                            yield held
                elif usage and not include_usage:
                    continue  # the usage chunk we asked for on our own behalf
                yield data
            else:
                if not finished:
                    raise cut_short(upstream.label)
            if include_usage and opened and not usage_sent:
                yield _usage_chunk(last, meter.usage())
        finally:
            await upstream.close(response)


# gc=False: decoded from JSON, these can't be part of a reference cycle, so the collector
# need not track them (a stream makes three for each chunk).
class _Delta(msgspec.Struct, gc=False):
    content: str | None = None
    tool_calls: msgspec.Raw | None = None
    refusal: str | None = None


class _Choice(msgspec.Struct, gc=False):
    delta: _Delta | None = None
    finish_reason: str | None = None


class _Chunk(msgspec.Struct, gc=False):
    """What a ``chat.completion.chunk`` is read for; anything else in it is skipped."""

    choices: list[_Choice] | None = None
    usage: dict | None = None
    error: Any = None
    id: Any = None
    created: Any = None
    model: Any = None


_decode_chunk = msgspec.json.Decoder(_Chunk).decode


class _Answer(msgspec.Struct, gc=False):
    """What a ``chat.completion`` is read for; anything else in it is skipped."""

    choices: Any = None
    usage: Any = None


_decode_answer = msgspec.json.Decoder(_Answer).decode


def _usage_chunk(last: _Chunk, usage: Usage) -> bytes:
    """The usage-only last chunk, for a server that sent none, in the stream's own terms."""
    chunk = {
        "id": last.id,
        "object": "chat.completion.chunk",
        "created": last.created,
        "model": last.model,
        "choices": [],
        "usage": usage.openai(),
    }
    return json.dumps(chunk, separators=(",", ":"), ensure_ascii=False).encode()


def _stream_error(label: str, error) -> UpstreamError:
    message = error.get("message") if isinstance(error, dict) else None
    return upstream_failed(f"The {label} API failed mid-stream: {message or 'no details'}")


def _meter_usage(meter: Meter, usage: dict) -> None:
    if isinstance(usage.get("prompt_tokens"), int):
        meter.prompt_tokens = usage["prompt_tokens"]
    if isinstance(usage.get("completion_tokens"), int):
        meter.completion_tokens = usage["completion_tokens"]
    details = usage.get("completion_tokens_details") or {}
    if isinstance(details.get("reasoning_tokens"), int):
        meter.reasoning_tokens = details["reasoning_tokens"]


def _usage(usage, call: Call, choices: list) -> Usage:
    """The answer's usage, or an estimate when a compatible server sends none."""
    meter = Meter(prompt_chars=prompt_chars(call.messages))
    if isinstance(usage, dict):
        _meter_usage(meter, usage)
    for choice in choices:
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            meter.output_chars += len(message["content"])
    return meter.usage()
