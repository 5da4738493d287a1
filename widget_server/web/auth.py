"""The logged-in user of an HTML request, from the server-side session."""

from __future__ import annotations

from quart import g, session

from ..accounts.sessions import end_session, session_user_id, start_session
from ..accounts.users import User, get_user
from ..services import services

SESSION_ID_KEY = "sid"


async def current_user() -> User | None:
    if "current_user" in g:
        return g.current_user
    user = None
    session_id = session.get(SESSION_ID_KEY)
    if session_id:
        db = services().db
        user_id = await session_user_id(db, session_id)
        user = await get_user(db, user_id) if user_id is not None else None
        if user is None:
            session.pop(SESSION_ID_KEY, None)
    g.current_user = user
    return user


async def log_in(user: User) -> None:
    """Start a fresh session (a new id, so a planted cookie can't be fixed onto the user)."""
    await log_out()
    config = services().config
    session.clear()
    session[SESSION_ID_KEY] = await start_session(services().db, user.id, config.lifetimes.session)
    session.permanent = True
    g.current_user = user


async def log_out() -> None:
    session_id = session.pop(SESSION_ID_KEY, None)
    if session_id:
        await end_session(services().db, session_id)
    g.current_user = None


def safe_next(target: str | None, default: str = "/account") -> str:
    """Only same-site paths: no ``//host``, no ``/\\host``, no schemes."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch in target for ch in "\r\n\t\\") or len(target) > 8192:
        return default
    return target
