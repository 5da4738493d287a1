"""Reading server-sent events off an upstream response, with as little work per chunk as
possible: bytes are split on newlines, never decoded to text, and an event is handed on
the moment its blank line arrives."""

from __future__ import annotations

from collections.abc import AsyncIterator


async def sse_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[bytes, bytes]]:
    """Yield ``(event_name, data)`` for each event (``b""`` when the event has no name).

    Multi-line data is joined with ``\\n``; comments and ``id:``/``retry:`` lines are
    skipped. Both ``\\n`` and ``\\r\\n`` line ends are accepted (Gemini sends the latter).
    An event cut off by the end of the body is dropped, as the SSE rules say.
    """
    pending = b""
    name = b""
    data: list[bytes] = []
    async for chunk in chunks:
        lines = (pending + chunk).split(b"\n") if pending else chunk.split(b"\n")
        pending = lines.pop()
        for line in lines:
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                if data:
                    yield name, data[0] if len(data) == 1 else b"\n".join(data)
                    data = []
                name = b""
            elif line.startswith(b"data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(b" ") else value)
            elif line.startswith(b"event:"):
                name = line[6:].strip()
