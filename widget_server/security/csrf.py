"""CSRF protection for our HTML forms: a per-session token, and a same-origin check.

The token lives in the signed session cookie and is echoed by every form as
``csrf_token``. Independently, a POST whose ``Origin`` (or, lacking it, ``Referer``) names
another site is refused, so a leaked token alone is not enough.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from quart import request, session

SESSION_KEY = "csrf"
FIELD = "csrf_token"


def csrf_token() -> str:
    token = session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def request_origin_is_own(public_origin: str) -> bool:
    """False when the browser says the request comes from another origin."""
    own = {public_origin, f"{request.scheme}://{request.host}"}
    origin = request.headers.get("Origin")
    if origin == "null" and request.headers.get("Sec-Fetch-Site") == "same-origin":
        # Pages sent with Referrer-Policy: no-referrer post their forms with Origin: null;
        # Sec-Fetch-Site, which no page script can set, still vouches for the origin.
        return True
    if origin is not None:
        return origin in own
    referer = request.headers.get("Referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" in own
    return True


def csrf_token_is_valid(submitted: str | None) -> bool:
    expected = session.get(SESSION_KEY)
    return bool(expected and submitted) and hmac.compare_digest(str(submitted), str(expected))
