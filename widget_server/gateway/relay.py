"""Relaying a stream to the client, and settling it however it ends.

Each upstream chunk is written the moment it arrives (``data: <payload>\\n\\n``), with no
buffering and no work beyond the adapter's own. The three ways a stream ends:

- **complete**: the usage is booked, then ``data: [DONE]``;
- **the provider fails mid-stream**: an error event, then ``data: [DONE]``; nothing is
  charged (SPEC §5.3: a failed upstream call costs nothing);
- **the client leaves**: the upstream call is cancelled (its connection closed) and what
  was generated so far is booked: the provider's own running count where it sends one
  (Gemini, Anthropic's input), else an estimate from the text relayed and the prompt
  (4 characters per token). (Before the first byte, ``completions._until_first_byte``
  books the prompt the same way.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from .charging import Tab
from .errors import UpstreamError, upstream_failed
from .providers import Meter

log = logging.getLogger("widget_server.gateway")

DONE = b"data: [DONE]\n\n"
SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


async def relay(
    first: bytes, pieces: AsyncIterator[bytes], tab: Tab, meter: Meter
) -> AsyncIterator[bytes]:
    failed = False
    try:
        yield b"data: " + first + b"\n\n"
        try:
            async for payload in pieces:
                yield b"data: " + payload + b"\n\n"
        except Exception as error:
            # An adapter meeting an answer it can't read (valid JSON of the wrong shape)
            # is a failed upstream call too: it ends the same way, and costs nothing.
            if not isinstance(error, UpstreamError):
                log.exception("unreadable provider stream")
                error = upstream_failed("The provider sent a stream event that could not be read.")
            failed = True
            tab.cancel()
            yield error.event()
            yield DONE
            return
        await asyncio.shield(tab.charge(meter.usage()))
        yield DONE
    finally:
        if not tab.closed:
            # The client went away (or the server is stopping): stop the provider, and
            # book what it generated until now.
            tab.gateway.spawn(_close(pieces))
            if failed:
                tab.cancel()
            else:
                tab.charge(meter.usage())


async def _close(pieces: AsyncIterator[bytes]) -> None:
    aclose = getattr(pieces, "aclose", None)
    if aclose is not None:
        await aclose()
