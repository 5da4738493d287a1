"""The built-in ``demo`` model: a canned, streamed reply that says what it is.

It lets ``serve --demo`` work with nothing configured, and costs nothing. It answers only
requests for the ``demo`` model (by name or as the default), never another model's.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from .base import Call, ChunkEncoder, Completion, Meter, completion_object, prompt_chars

WORD_DELAY_S = 0.02
REPLY = (
    "This is the Legion demo model, not a real AI: this reply is canned and costs nothing. "
    "To chat with a real model, set OPENAI_API_KEY (or ANTHROPIC_API_KEY, GEMINI_API_KEY "
    "or XAI_API_KEY) in the server's environment, restart it, and pick a model such as "
    "gpt-5-nano as the app's default model."
)


class Demo:
    name = "demo"

    def __init__(self, word_delay_s: float = WORD_DELAY_S) -> None:
        self.word_delay_s = word_delay_s

    def _pieces(self, call: Call) -> list[str]:
        words = re.findall(r"\s*\S+", REPLY)
        return words[: call.max_tokens]

    def _meter(self, call: Call, text: str) -> Meter:
        meter = Meter(prompt_chars=prompt_chars(call.messages), output_chars=len(text))
        meter.completion_tokens = len(re.findall(r"\S+", text))
        return meter

    async def complete(self, call: Call) -> Completion:
        pieces = self._pieces(call)
        text = "".join(pieces)
        usage = self._meter(call, text).usage()
        finish = "length" if len(pieces) < len(re.findall(r"\S+", REPLY)) else "stop"
        return Completion(completion_object(call, text, finish, usage), usage)

    async def stream(self, call: Call, meter: Meter) -> AsyncIterator[bytes]:
        encoder = ChunkEncoder(call)
        pieces = self._pieces(call)
        meter.prompt_chars = prompt_chars(call.messages)
        meter.completion_tokens = 0
        yield encoder.role()
        for index, piece in enumerate(pieces):
            if index:
                await asyncio.sleep(self.word_delay_s)
            meter.output_chars += len(piece)
            meter.completion_tokens += 1
            yield encoder.text(piece)
        full = len(pieces) == len(re.findall(r"\S+", REPLY))
        yield encoder.finish("stop" if full else "length")
        if call.request.include_usage:
            yield encoder.usage(meter.usage())
