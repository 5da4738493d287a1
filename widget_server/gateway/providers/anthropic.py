"""Anthropic's Messages API, behind OpenAI's shapes.

- System and developer messages become the ``system`` prompt; consecutive messages of one
  role are joined (the Messages API alternates user and assistant).
- ``max_tokens`` is required by Anthropic: we always send the reservation's cap.
- Stop reasons: ``end_turn``/``stop_sequence``/``pause_turn`` → ``stop``, ``max_tokens`` →
  ``length``, ``refusal`` → ``content_filter``, ``tool_use`` → ``tool_calls``.
- Streams: ``message_start`` carries the input tokens, ``message_delta`` the *cumulative*
  output tokens (thinking included, billed as output; its text is not relayed), and an
  ``error`` event (``overloaded_error``) may arrive mid-stream. Nothing is sent to the
  client until the first text arrives, so an error before it is still a plain JSON error.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from ...config import ProviderSettings
from ..errors import UpstreamError, upstream_failed, upstream_overloaded
from ..request import text_of
from ..sse import sse_events
from .base import Call, ChunkEncoder, Completion, Meter, Usage, completion_object, prompt_chars
from .transport import UpstreamClient, bad_event, cut_short, make_upstream

API_VERSION = "2023-06-01"
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "content_filter",
    "tool_use": "tool_calls",
}


class Anthropic:
    name = "anthropic"

    def __init__(self, settings: ProviderSettings, client: UpstreamClient) -> None:
        self.upstream = make_upstream(
            client,
            "Anthropic",
            settings.base_url,
            {"x-api-key": settings.api_key or "", "anthropic-version": API_VERSION},
        )

    def body(self, call: Call, stream: bool) -> dict:
        system: list[str] = []
        turns: list[dict] = []
        for message in call.messages:
            text = text_of(message.get("content"))
            if message["role"] in ("system", "developer"):
                system.append(text)
            elif turns and turns[-1]["role"] == message["role"]:
                turns[-1]["content"] += "\n\n" + text
            else:
                turns.append({"role": message["role"], "content": text})
        body: dict = {"model": call.model.id, "max_tokens": call.max_tokens, "messages": turns}
        if system:
            body["system"] = "\n\n".join(system)
        sampling = call.request.sampling
        if "temperature" in sampling:
            body["temperature"] = min(sampling["temperature"], 1.0)  # Anthropic's range
        if "top_p" in sampling:
            body["top_p"] = sampling["top_p"]
        if call.request.stop:
            body["stop_sequences"] = call.request.stop
        if stream:
            body["stream"] = True
        return body

    async def complete(self, call: Call) -> Completion:
        answer = await self.upstream.post_json("/v1/messages", self.body(call, False))
        blocks = answer.get("content")
        if not isinstance(blocks, list):
            raise upstream_failed("The Anthropic API sent an answer without content.")
        text = "".join(
            b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"
        )
        usage = _usage(answer.get("usage"), call, len(text))
        finish = STOP_REASONS.get(answer.get("stop_reason"), "stop")
        return Completion(completion_object(call, text, finish, usage), usage)

    async def stream(self, call: Call, meter: Meter) -> AsyncIterator[bytes]:
        upstream = self.upstream
        response = await upstream.open_stream("/v1/messages", self.body(call, True))
        encoder = ChunkEncoder(call)
        started = False
        finish: str | None = None
        try:
            async for name, data in sse_events(upstream.chunks(response)):
                if name == b"ping":
                    continue
                try:
                    event = json.loads(data)
                except ValueError:
                    raise bad_event("Anthropic") from None
                kind = event.get("type") if isinstance(event, dict) else None
                if kind == "content_block_delta":
                    delta = event.get("delta") or {}
                    if delta.get("type") == "text_delta" and delta.get("text"):
                        if not started:
                            started = True
                            yield encoder.role()
                        meter.output_chars += len(delta["text"])
                        yield encoder.text(delta["text"])
                elif kind == "message_start":
                    usage = (event.get("message") or {}).get("usage") or {}
                    meter.prompt_tokens = _input_tokens(usage)
                elif kind == "message_delta":
                    usage = event.get("usage") or {}
                    if isinstance(usage.get("output_tokens"), int):
                        meter.completion_tokens = usage["output_tokens"]
                    if usage.get("input_tokens") is not None:
                        meter.prompt_tokens = _input_tokens(usage)
                    reason = (event.get("delta") or {}).get("stop_reason")
                    finish = STOP_REASONS.get(reason, "stop")
                elif kind == "message_stop":
                    if not started:
                        yield encoder.role()
                    yield encoder.finish(finish or "stop")
                    if call.request.include_usage:
                        yield encoder.usage(meter.usage())
                    return
                elif kind == "error":
                    raise _stream_error(event.get("error") or {})
            raise cut_short("Anthropic")
        finally:
            await upstream.close(response)


def _input_tokens(usage: dict) -> int:
    return sum(
        usage.get(key) or 0
        for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        if isinstance(usage.get(key) or 0, int)
    )


def _usage(usage, call: Call, output_chars: int) -> Usage:
    meter = Meter(prompt_chars=prompt_chars(call.messages), output_chars=output_chars)
    if isinstance(usage, dict):
        meter.prompt_tokens = _input_tokens(usage)
        if isinstance(usage.get("output_tokens"), int):
            meter.completion_tokens = usage["output_tokens"]
    return meter.usage()


def _stream_error(error: dict) -> UpstreamError:
    message = error.get("message") or "no details"
    if error.get("type") in ("overloaded_error", "rate_limit_error"):
        return upstream_overloaded(f"The Anthropic API is overloaded: {message}", None)
    return upstream_failed(f"The Anthropic API failed mid-stream: {message}")
