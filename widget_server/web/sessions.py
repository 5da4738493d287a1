"""Signed session cookies only where a session is used.

The API (``/v1/...``) is bearer-token only, but Quart opens the session cookie for every
request: an itsdangerous serializer built and a signature checked per call on the chat hot
path. API requests get the null session instead, except the hosted chat page's token door
(``/v1/chat/<client_id>/connect``), which is same-origin and session-based.
"""

from __future__ import annotations

from quart import Quart
from quart.sessions import SecureCookieSession, SecureCookieSessionInterface
from quart.wrappers import BaseRequestWebsocket


class PagesOnlySessionInterface(SecureCookieSessionInterface):
    async def open_session(
        self, app: Quart, request: BaseRequestWebsocket
    ) -> SecureCookieSession | None:
        path = request.path
        if path.startswith("/v1/") and not path.endswith("/connect"):
            return self.null_session_class()
        return await super().open_session(app, request)
