"""Keeping a client's keep-alive connection usable after an early error answer."""

from __future__ import annotations

import contextlib

from quart import Response, current_app, request


async def finish_reading_body(response: Response) -> Response:
    """Read the rest of the request's body before an error answer goes out.

    hypercorn keeps a connection open for the next request only if the request's body
    was all read by the time the answer ends; otherwise it closes the connection. An
    answer given before the body was read (a 401 for a missing token, a 403 for a foreign
    origin) could end that early. The client, holding a complete answer, then sent its
    next request on a connection that was closing, and got "Server disconnected without
    sending a response" (seen once in CI). A body larger than a JSON body may be (an
    upload) is left unread: that connection closes rather than wait for it."""
    if response.status_code < 400:
        return response
    length = request.content_length
    if not length or length > current_app.config["MAX_CONTENT_LENGTH"]:
        return response
    with contextlib.suppress(Exception):  # too slow, or the client left: it closes anyway
        await request.get_data()
    return response
