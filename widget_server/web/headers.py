"""Security headers. HTML pages get a strict CSP and can't be framed; nothing sends
``Cross-Origin-Opener-Policy`` because the login and consent pages live in a popup that
must keep its ``window.opener`` (SPEC §4.2)."""

from __future__ import annotations

from quart import Response


def page_csp(form_action_origins: tuple[str, ...] = ()) -> str:
    form_action = " ".join(("'self'", *form_action_origins))
    return (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )


async def apply_default_headers(response: Response) -> Response:
    """Async, though it never waits: Quart runs a plain function hook on a thread of its
    executor, a hand-off there and back on every request (issue 14)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", page_csp())
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
    return response
