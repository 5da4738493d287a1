"""Google Gemini (``generateContent`` / ``streamGenerateContent?alt=sse``), behind OpenAI's
shapes.

- System and developer messages become ``systemInstruction``; assistant turns are role
  ``model``; the output cap is ``generationConfig.maxOutputTokens``.
- Thought tokens (``thoughtsTokenCount``) are output the user pays for: they are added to
  ``completion_tokens`` and reported as ``reasoning_tokens``. Thought parts are not relayed.
- Finish reasons: ``STOP`` → ``stop``, ``MAX_TOKENS`` → ``length``, the safety family →
  ``content_filter``.
- Each streamed event carries the usage so far, so a stream cut short is billed exactly.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import quote

from ...config import ProviderSettings
from ..errors import UpstreamError, upstream_failed, upstream_overloaded
from ..request import text_of
from ..sse import sse_events
from .base import Call, ChunkEncoder, Completion, Meter, completion_object, prompt_chars
from .transport import UpstreamClient, bad_event, cut_short, make_upstream

FILTERED = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}


def finish_reason(reason: str | None) -> str | None:
    if not reason or reason == "FINISH_REASON_UNSPECIFIED":
        return None
    if reason == "MAX_TOKENS":
        return "length"
    if reason in FILTERED:
        return "content_filter"
    return "stop"


class Gemini:
    name = "google"

    def __init__(self, settings: ProviderSettings, client: UpstreamClient) -> None:
        self.upstream = make_upstream(
            client, "Gemini", settings.base_url, {"x-goog-api-key": settings.api_key or ""}
        )

    def path(self, call: Call, action: str) -> str:
        return f"/v1beta/models/{quote(call.model.id, safe='')}:{action}"

    def body(self, call: Call) -> dict:
        system: list[str] = []
        contents: list[dict] = []
        for message in call.messages:
            text = text_of(message.get("content"))
            if message["role"] in ("system", "developer"):
                system.append(text)
                continue
            role = "model" if message["role"] == "assistant" else "user"
            if contents and contents[-1]["role"] == role:
                contents[-1]["parts"].append({"text": text})
            else:
                contents.append({"role": role, "parts": [{"text": text}]})
        config: dict = {"maxOutputTokens": call.max_tokens, "candidateCount": 1}
        names = {"temperature": "temperature", "top_p": "topP"}
        names.update(presence_penalty="presencePenalty", frequency_penalty="frequencyPenalty")
        for ours, theirs in names.items():
            if ours in call.request.sampling:
                config[theirs] = call.request.sampling[ours]
        if call.request.stop:
            config["stopSequences"] = call.request.stop
        if isinstance(call.request.passthrough.get("seed"), int):
            config["seed"] = call.request.passthrough["seed"]
        body: dict = {"contents": contents, "generationConfig": config}
        if system:
            body["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
        return body

    async def complete(self, call: Call) -> Completion:
        answer = await self.upstream.post_json(self.path(call, "generateContent"), self.body(call))
        meter = Meter(prompt_chars=prompt_chars(call.messages))
        text, reason = _read(answer, meter)
        usage = meter.usage()
        return Completion(completion_object(call, text, reason or "stop", usage), usage)

    async def stream(self, call: Call, meter: Meter) -> AsyncIterator[bytes]:
        upstream = self.upstream
        response = await upstream.open_stream(
            self.path(call, "streamGenerateContent"), self.body(call), params={"alt": "sse"}
        )
        encoder = ChunkEncoder(call)
        started = False
        reason: str | None = None
        try:
            async for _, data in sse_events(upstream.chunks(response)):
                try:
                    event = json.loads(data)
                except ValueError:
                    raise bad_event("Gemini") from None
                if not isinstance(event, dict):
                    raise bad_event("Gemini")
                if "error" in event:
                    raise _stream_error(event["error"])
                text, reason = _read(event, meter)
                if text:
                    if not started:
                        started = True
                        yield encoder.role()
                    yield encoder.text(text)
                if reason:
                    break
            if reason is None:
                raise cut_short("Gemini")
            if not started:
                yield encoder.role()
            yield encoder.finish(reason)
            if call.request.include_usage:
                yield encoder.usage(meter.usage())
        finally:
            await upstream.close(response)


def _read(answer: dict, meter: Meter) -> tuple[str, str | None]:
    """The visible text and finish reason of one answer or event; updates the meter."""
    usage = answer.get("usageMetadata")
    if isinstance(usage, dict):
        thoughts = usage.get("thoughtsTokenCount") or 0
        meter.prompt_tokens = usage.get("promptTokenCount") or 0
        meter.completion_tokens = (usage.get("candidatesTokenCount") or 0) + thoughts
        meter.reasoning_tokens = thoughts
    candidates = answer.get("candidates")
    if not candidates:
        blocked = (answer.get("promptFeedback") or {}).get("blockReason")
        return "", "content_filter" if blocked else None
    candidate = candidates[0] if isinstance(candidates[0], dict) else {}
    parts = (candidate.get("content") or {}).get("parts") or []
    text = "".join(p.get("text", "") for p in parts if isinstance(p, dict) and not p.get("thought"))
    meter.output_chars += len(text)
    return text, finish_reason(candidate.get("finishReason"))


def _stream_error(error) -> UpstreamError:
    error = error if isinstance(error, dict) else {}
    message = error.get("message") or "no details"
    overloaded = error.get("status") in ("UNAVAILABLE", "RESOURCE_EXHAUSTED")
    if overloaded or error.get("code") in (429, 503):
        return upstream_overloaded(f"The Gemini API is overloaded: {message}", None)
    return upstream_failed(f"The Gemini API failed mid-stream: {message}")
