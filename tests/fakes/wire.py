"""The three wire formats the fakes speak: OpenAI chat completions, Anthropic Messages and
Google Gemini ``generateContent``, each with its own errors and server-sent events.

Each class turns a parsed request plus the reply pieces into exactly the bytes that
provider sends. One chunk is one output token, so tests can predict usage.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass


def _json(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass
class Parsed:
    model: str
    stream: bool
    include_usage: bool
    max_tokens: int | None
    all_text: str
    last_user_text: str
    messages: list


@dataclass
class Usage:
    prompt: int
    completion: int  # visible output tokens
    thoughts: int = 0


def _text_of(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part.get("text", "") for part in content if isinstance(part, dict) and "text" in part
        )
    return ""


REASONING_MODEL = re.compile(r"^(gpt-5|o\d)")


def _refusal(message: str, param: str, code: str) -> dict:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    }


class OpenAIWire:
    """``POST {base}/chat/completions`` (OpenAI, xAI and every OpenAI-compatible server)."""

    sse_separator = b"\n\n"

    def __init__(self, name: str = "openai", key: str = "") -> None:
        self.name = name
        self.key = key

    def authorized(self, headers, query) -> bool:
        return headers.get("Authorization") == f"Bearer {self.key}"

    def refuse(self, body: dict) -> dict | None:
        """What OpenAI answers (400) to parameters its reasoning models (the gpt-5 family and
        the o-series) don't take, wherever the request was relayed from."""
        if not REASONING_MODEL.match(str(body.get("model", ""))):
            return None
        if "max_tokens" in body:
            return _refusal(
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                "max_tokens",
                "unsupported_parameter",
            )
        temperature = body.get("temperature", 1)
        if temperature != 1:
            return _refusal(
                f"Unsupported value: 'temperature' does not support {temperature} with this "
                "model. Only the default (1) value is supported.",
                "temperature",
                "unsupported_value",
            )
        return None

    def parse(self, body: dict, query) -> Parsed:
        messages = body.get("messages") or []
        last_user = next(
            (_text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
        )
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        return Parsed(
            model=body.get("model", ""),
            stream=bool(body.get("stream")),
            include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
            max_tokens=limit,
            all_text=" ".join(_text_of(m.get("content")) for m in messages),
            last_user_text=last_user,
            messages=messages,
        )

    def error(self, status: int) -> dict:
        kinds = {
            400: ("invalid_request_error", "Invalid request (fake)."),
            401: ("invalid_request_error", "Incorrect API key provided (fake)."),
            429: ("rate_limit_error", "Rate limit reached (fake)."),
        }
        kind, message = kinds.get(status, ("server_error", f"The fake server failed ({status})."))
        return {"error": {"message": message, "type": kind, "param": None, "code": None}}

    def _usage(self, usage: Usage) -> dict:
        completion = usage.completion + usage.thoughts
        return {
            "prompt_tokens": usage.prompt,
            "completion_tokens": completion,
            "total_tokens": usage.prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": usage.thoughts,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def _head(self, parsed: Parsed, object_type: str) -> dict:
        self._id = getattr(self, "_id", None) or f"chatcmpl-fake{time.time_ns()}"
        return {
            "id": self._id,
            "object": object_type,
            "created": int(time.time()),
            "model": parsed.model,
            "system_fingerprint": "fp_fake",
        }

    def complete(self, parsed: Parsed, pieces: list[str], usage: Usage, truncated: bool) -> dict:
        return {
            **self._head(parsed, "chat.completion"),
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "".join(pieces),
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": "length" if truncated else "stop",
                }
            ],
            "usage": self._usage(usage),
            "service_tier": "default",
        }

    def _chunk(self, parsed: Parsed, delta: dict, finish: str | None) -> bytes:
        chunk = {
            **self._head(parsed, "chat.completion.chunk"),
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if parsed.include_usage:
            chunk["usage"] = None
        return b"data: " + _json(chunk) + b"\n\n"

    def stream_start(self, parsed: Parsed, usage: Usage) -> list[bytes]:
        self._id = None
        return [self._chunk(parsed, {"role": "assistant", "content": "", "refusal": None}, None)]

    def stream_chunk(self, parsed: Parsed, piece: str, index: int) -> bytes:
        return self._chunk(parsed, {"content": piece}, None)

    def stream_end(self, parsed: Parsed, usage: Usage, truncated: bool) -> list[bytes]:
        events = [self._chunk(parsed, {}, "length" if truncated else "stop")]
        if parsed.include_usage:
            final = {**self._head(parsed, "chat.completion.chunk"), "choices": []}
            final["usage"] = self._usage(usage)
            events.append(b"data: " + _json(final) + b"\n\n")
        events.append(b"data: [DONE]\n\n")
        return events

    def stream_error(self) -> bytes:
        return b"data: " + _json(self.error(500)) + b"\n\n"


class AnthropicWire:
    """``POST {base}/v1/messages``, with the Messages API's event sequence."""

    name = "anthropic"
    sse_separator = b"\n\n"

    def __init__(self, key: str = "") -> None:
        self.key = key

    def authorized(self, headers, query) -> bool:
        return headers.get("x-api-key") == self.key and bool(headers.get("anthropic-version"))

    def refuse(self, body: dict) -> dict | None:
        """What OpenAI answers (400) to parameters its reasoning models (the gpt-5 family and
        the o-series) don't take, wherever the request was relayed from."""
        if not REASONING_MODEL.match(str(body.get("model", ""))):
            return None
        if "max_tokens" in body:
            return _refusal(
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                "max_tokens",
                "unsupported_parameter",
            )
        temperature = body.get("temperature", 1)
        if temperature != 1:
            return _refusal(
                f"Unsupported value: 'temperature' does not support {temperature} with this "
                "model. Only the default (1) value is supported.",
                "temperature",
                "unsupported_value",
            )
        return None

    def parse(self, body: dict, query) -> Parsed:
        messages = body.get("messages") or []
        system = body.get("system")
        system_text = _text_of(system) if system else ""
        last_user = next(
            (_text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
        )
        return Parsed(
            model=body.get("model", ""),
            stream=bool(body.get("stream")),
            include_usage=True,
            max_tokens=body.get("max_tokens"),
            all_text=" ".join([system_text, *(_text_of(m.get("content")) for m in messages)]),
            last_user_text=last_user,
            messages=messages,
        )

    def error(self, status: int) -> dict:
        kinds = {
            400: "invalid_request_error",
            401: "authentication_error",
            403: "permission_error",
            404: "not_found_error",
            413: "request_too_large",
            429: "rate_limit_error",
            529: "overloaded_error",
        }
        kind = kinds.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": f"Fake {kind} ({status})."}}

    @staticmethod
    def _event(name: str, data: dict) -> bytes:
        return b"event: " + name.encode() + b"\ndata: " + _json(data) + b"\n\n"

    def complete(self, parsed: Parsed, pieces: list[str], usage: Usage, truncated: bool) -> dict:
        content = []
        if usage.thoughts:
            content.append({"type": "thinking", "thinking": "Fake thoughts.", "signature": "x"})
        content.append({"type": "text", "text": "".join(pieces)})
        return {
            "id": f"msg_fake{time.time_ns()}",
            "type": "message",
            "role": "assistant",
            "model": parsed.model,
            "content": content,
            "stop_reason": "max_tokens" if truncated else "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": usage.prompt,
                "output_tokens": usage.completion + usage.thoughts,
            },
        }

    def stream_start(self, parsed: Parsed, usage: Usage) -> list[bytes]:
        message = {
            "id": f"msg_fake{time.time_ns()}",
            "type": "message",
            "role": "assistant",
            "model": parsed.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": usage.prompt, "output_tokens": 1},
        }
        events = [self._event("message_start", {"type": "message_start", "message": message})]
        index = 0
        if usage.thoughts:
            events += [
                self._event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "thinking", "thinking": ""},
                    },
                ),
                self._event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "thinking_delta", "thinking": "Fake thoughts."},
                    },
                ),
                self._event("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ]
            index = 1
        self._text_index = index
        events.append(
            self._event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "text", "text": ""},
                },
            )
        )
        events.append(self._event("ping", {"type": "ping"}))
        return events

    def stream_chunk(self, parsed: Parsed, piece: str, index: int) -> bytes:
        return self._event(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": self._text_index,
                "delta": {"type": "text_delta", "text": piece},
            },
        )

    def stream_end(self, parsed: Parsed, usage: Usage, truncated: bool) -> list[bytes]:
        return [
            self._event(
                "content_block_stop", {"type": "content_block_stop", "index": self._text_index}
            ),
            self._event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {
                        "stop_reason": "max_tokens" if truncated else "end_turn",
                        "stop_sequence": None,
                    },
                    # Cumulative, as Anthropic sends it.
                    "usage": {"output_tokens": usage.completion + usage.thoughts},
                },
            ),
            self._event("message_stop", {"type": "message_stop"}),
        ]

    def stream_error(self) -> bytes:
        return self._event(
            "error",
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        )


class GeminiWire:
    """``POST {base}/v1beta/models/{model}:generateContent`` and
    ``:streamGenerateContent?alt=sse``; thought tokens are reported in usage."""

    name = "gemini"
    sse_separator = b"\r\n\r\n"

    def __init__(self, key: str = "") -> None:
        self.key = key

    def authorized(self, headers, query) -> bool:
        return self.key in (headers.get("x-goog-api-key"), query.get("key"))

    def unauthorized(self) -> tuple[int, dict]:
        """Gemini answers a bad key with a 400, not a 401."""
        return 400, {
            "error": {
                "code": 400,
                "message": "API key not valid. Please pass a valid API key.",
                "status": "INVALID_ARGUMENT",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                    }
                ],
            }
        }

    def parse(self, body: dict, query) -> Parsed:
        contents = body.get("contents") or []

        def text(item) -> str:
            return " ".join(p.get("text", "") for p in item.get("parts") or [] if "text" in p)

        system = body.get("systemInstruction") or body.get("system_instruction")
        system_text = text(system) if system else ""
        last_user = next((text(c) for c in reversed(contents) if c.get("role") == "user"), "")
        config = body.get("generationConfig") or {}
        return Parsed(
            model=query.get("_model", ""),
            stream=query.get("_action") == "streamGenerateContent",
            include_usage=True,
            max_tokens=config.get("maxOutputTokens"),
            all_text=" ".join([system_text, *(text(c) for c in contents)]),
            last_user_text=last_user,
            messages=contents,
        )

    def error(self, status: int) -> dict:
        statuses = {
            400: "INVALID_ARGUMENT",
            401: "UNAUTHENTICATED",
            403: "PERMISSION_DENIED",
            404: "NOT_FOUND",
            429: "RESOURCE_EXHAUSTED",
            503: "UNAVAILABLE",
        }
        return {
            "error": {
                "code": status,
                "message": f"Fake Gemini error ({status}).",
                "status": statuses.get(status, "INTERNAL"),
            }
        }

    def _usage(self, usage: Usage, completion: int) -> dict:
        meta = {
            "promptTokenCount": usage.prompt,
            "candidatesTokenCount": completion,
            "totalTokenCount": usage.prompt + completion + usage.thoughts,
        }
        if usage.thoughts:
            meta["thoughtsTokenCount"] = usage.thoughts
        return meta

    def _response(self, parsed, text: str, finish: str | None, usage: dict) -> dict:
        candidate = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        return {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": parsed.model,
            "responseId": f"fake{time.time_ns()}",
        }

    def complete(self, parsed: Parsed, pieces: list[str], usage: Usage, truncated: bool) -> dict:
        finish = "MAX_TOKENS" if truncated else "STOP"
        return self._response(parsed, "".join(pieces), finish, self._usage(usage, usage.completion))

    def stream_start(self, parsed: Parsed, usage: Usage) -> list[bytes]:
        self._sent = 0
        self._usage_for_stream = usage
        return []

    def _data(self, value: dict) -> bytes:
        return b"data: " + _json(value) + self.sse_separator

    def stream_chunk(self, parsed: Parsed, piece: str, index: int) -> bytes:
        self._sent = index + 1
        usage = self._usage(self._usage_for_stream, self._sent)
        return self._data(self._response(parsed, piece, None, usage))

    def stream_end(self, parsed: Parsed, usage: Usage, truncated: bool) -> list[bytes]:
        finish = "MAX_TOKENS" if truncated else "STOP"
        return [
            self._data(self._response(parsed, "", finish, self._usage(usage, usage.completion)))
        ]

    def stream_error(self) -> bytes:
        return self._data(self.error(503))
