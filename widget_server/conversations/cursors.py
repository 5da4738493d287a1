"""Opaque page cursors (SPEC §11): the sort value and the id of the last item of a page.

A cursor is ``(sort value, id)`` compared as a pair, with the sort value at full precision
(microseconds, or the message's creation number), so pages never skip or repeat an item
whose timestamp it shares with others. The kind is part of the cursor: one list's cursor
is refused by another.
"""

from __future__ import annotations

import base64
import binascii
import json

from ..errors import ApiError


def encode_cursor(kind: str, *values: str | int) -> str:
    raw = json.dumps([kind, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, kind: str, types: tuple[type, ...]) -> list:
    """The values of a cursor made by :func:`encode_cursor` for ``kind``, or a 400."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        values = None
    if (
        not isinstance(values, list)
        or len(values) != len(types) + 1
        or values[0] != kind
        or not all(type(v) is t for v, t in zip(values[1:], types, strict=True))
    ):
        raise ApiError(400, "invalid_request", "The cursor is not valid here.", param="cursor")
    return values[1:]
