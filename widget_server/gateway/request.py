"""Reading a chat completion request: OpenAI's fields plus Legion's own (SPEC §5.2).

Anything malformed is a 400 ``invalid_request`` naming the field, before any money is
held or any provider is called. Like OpenAI, an unknown field is an error rather than
silently ignored: a client that thinks it set ``n=3`` or ``frequency_penalty`` should learn
that it did not.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ApiError

ROLES = ("system", "developer", "user", "assistant", "tool")
MAX_MESSAGES = 2000
# Far above any model's output limit, and small enough that the worst case it implies
# stays a 64-bit integer of micro-dollars (the wallet's columns).
MAX_OUTPUT_TOKENS = 2**31 - 1
# A JSON escape of half a UTF-16 pair: only then can a string fail to encode as UTF-8.
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# OpenAI's priority and scale tiers cost more than the catalog's prices: not offered.
SERVICE_TIERS = ("auto", "default", "flex")

# OpenAI parameters forwarded as they are to OpenAI-compatible providers; the translating
# providers map what they can (see their modules) and ignore the rest.
SAMPLING_PARAMS = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
}
# Only OpenAI-compatible providers can honour these; elsewhere they are a 400.
OPENAI_ONLY_PARAMS = (
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "prediction",
)
# Accepted (clients send them) but never forwarded: visitors' chats must not be stored
# in the platform's provider account.
IGNORED_PARAMS = ("store", "metadata")
PASSTHROUGH_PARAMS = (
    "seed",
    "user",
    "service_tier",
    "reasoning_effort",
    "verbosity",
    "modalities",
    *OPENAI_ONLY_PARAMS,
)
LEGION_FLAGS = ("user_preferences", "user_information", "user_context")
KNOWN_FIELDS = {
    "model",
    "messages",
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "n",
    "context_ids",
    *SAMPLING_PARAMS,
    *PASSTHROUGH_PARAMS,
    *IGNORED_PARAMS,
    *LEGION_FLAGS,
}


@dataclass
class ChatRequest:
    messages: list[dict]
    model: str | None = None
    stream: bool = False
    include_usage: bool = False
    max_tokens: int | None = None
    max_tokens_field: str | None = None  # "max_tokens" or "max_completion_tokens", as sent
    stop: list[str] = field(default_factory=list)
    sampling: dict[str, float] = field(default_factory=dict)
    passthrough: dict[str, Any] = field(default_factory=dict)
    user_preferences: bool = True
    user_information: bool = True
    user_context: bool = True
    context_ids: list[str] = field(default_factory=list)
    body_bytes: int = 0

    @property
    def uses_openai_only_features(self) -> str | None:
        for name in OPENAI_ONLY_PARAMS:
            if name in self.passthrough:
                return name
        for message in self.messages:
            if message["role"] == "tool" or message.get("tool_calls"):
                return "messages (tool calls)"
        return None


def invalid(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, "invalid_request", message, param=param)


def parse_chat_request(raw: bytes) -> ChatRequest:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # bad UTF-8 or JSON, or nested absurdly deep
        raise invalid("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    unknown = sorted(set(body) - KNOWN_FIELDS)
    if unknown:
        raise invalid(f"Unrecognized request argument supplied: {unknown[0]}", unknown[0])
    if SURROGATE_ESCAPE.search(raw):
        _refuse_lone_surrogates(body)
    request = ChatRequest(messages=_messages(body.get("messages")), body_bytes=len(raw))
    request.model = _optional_str(body, "model")
    request.stream = _optional_bool(body, "stream", False)
    request.include_usage = _stream_options(body, request.stream)
    request.max_tokens, request.max_tokens_field = _max_tokens(body)
    request.stop = _stop(body.get("stop"))
    if body.get("n") not in (None, 1) or isinstance(body.get("n"), bool):
        raise invalid("Only n=1 is supported.", "n")
    for name, (low, high) in SAMPLING_PARAMS.items():
        if body.get(name) is not None:
            request.sampling[name] = _number(body[name], name, low, high)
    for name in PASSTHROUGH_PARAMS:
        if body.get(name) is not None:
            request.passthrough[name] = body[name]
    if request.passthrough.get("service_tier", "auto") not in SERVICE_TIERS:
        raise invalid(f"service_tier must be one of {', '.join(SERVICE_TIERS)}.", "service_tier")
    for name in LEGION_FLAGS:
        setattr(request, name, _optional_bool(body, name, True))
    request.context_ids = _context_ids(body.get("context_ids"))
    return request


def _refuse_lone_surrogates(body: dict) -> None:
    """JSON may escape half of a UTF-16 pair (``"\\ud800"``); such a string can't be sent
    on as UTF-8, so it is the client's 400 rather than our 500."""
    try:
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise invalid("The request body holds half of a UTF-16 surrogate pair.") from None


def _messages(value) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise invalid("messages must be a non-empty array.", "messages")
    if len(value) > MAX_MESSAGES:
        raise invalid(f"messages may hold at most {MAX_MESSAGES} entries.", "messages")
    cleaned = []
    for index, message in enumerate(value):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise invalid(f"{where} must be an object.", "messages")
        role = message.get("role")
        if role not in ROLES:
            raise invalid(f"{where}.role must be one of {', '.join(ROLES)}.", "messages")
        content = message.get("content")
        has_tool_calls = role == "assistant" and bool(message.get("tool_calls"))
        if content is None and not has_tool_calls:
            raise invalid(f"{where}.content is required.", "messages")
        if content is not None:
            _check_content(content, where)
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise invalid(f"{where}.tool_call_id is required for a tool message.", "messages")
        if "name" in message and not isinstance(message["name"], str):
            raise invalid(f"{where}.name must be a string.", "messages")
        cleaned.append(message)
    return cleaned


def _check_content(content, where: str) -> None:
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise invalid(f"{where}.content must be a string or an array of parts.", "messages")
    for part in content:
        if not isinstance(part, dict) or part.get("type") != "text":
            raise invalid(
                f"{where}.content: only text parts are supported "
                '({"type": "text", "text": "..."}).',
                "messages",
            )
        if not isinstance(part.get("text"), str):
            raise invalid(f"{where}.content: a text part needs a string text.", "messages")


def text_of(content) -> str:
    """The text of a message's content, whichever form it has."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part["text"] for part in content)


def _optional_str(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{name} must be a non-empty string.", name)
    return value.strip()


def _optional_bool(body: dict, name: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(f"{name} must be true or false.", name)
    return value


def _stream_options(body: dict, stream: bool) -> bool:
    options = body.get("stream_options")
    if options is None:
        return False
    if not stream:
        raise invalid("stream_options is only allowed when stream is true.", "stream_options")
    if not isinstance(options, dict) or set(options) - {"include_usage", "include_obfuscation"}:
        raise invalid("stream_options must be an object with include_usage.", "stream_options")
    return _optional_bool(options, "include_usage", False)


def _max_tokens(body: dict) -> tuple[int | None, str | None]:
    found: tuple[int | None, str | None] = (None, None)
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise invalid(f"{name} must be a positive whole number.", name)
        if value > MAX_OUTPUT_TOKENS:
            raise invalid(f"{name} must be at most {MAX_OUTPUT_TOKENS}.", name)
        if found[0] is None or value < found[0]:
            found = (value, name)
    return found


def _stop(value) -> list[str]:
    if value is None:
        return []
    stops = [value] if isinstance(value, str) else value
    if (
        not isinstance(stops, list)
        or len(stops) > 4
        or not all(isinstance(s, str) and s for s in stops)
    ):
        raise invalid("stop must be a string or an array of up to 4 strings.", "stop")
    return stops


def _number(value, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(f"{name} must be a number.", name)
    if isinstance(value, float) and not math.isfinite(value):
        raise invalid(f"{name} must be a number.", name)
    if not low <= value <= high:
        raise invalid(f"{name} must be between {low:g} and {high:g}.", name)
    return value


def _context_ids(value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid("context_ids must be an array of strings.", "context_ids")
    return value
