"""Register, log in, log out, and the account page (SPEC §3)."""

from __future__ import annotations

import functools

from quart import Blueprint, redirect, render_template, request

from ..apps.registry import list_apps
from ..billing.money import format_usd, parse_usd
from ..billing.wallet import get_wallet, set_monthly_limit
from ..context import question_recorder
from ..context.history import clear_history, read_summary
from ..context.profile import FIELDS as PROFILE_FIELDS
from ..context.profile import ProfileError, get_profile, save_profile
from ..context.sections import summary_lines
from ..devapi.tokens import DEFAULT_LIFETIME, list_developer_tokens
from ..errors import NotFoundError, ValidationError
from ..oauth.connections import deactivate_connection, list_connections, revoke_connection
from ..security.csrf import FIELD, csrf_token_is_valid, request_origin_is_own
from ..services import services
from ..web.auth import current_user, log_in, log_out, safe_next
from ..web.errors import html_error
from . import throttle
from .users import MIN_PASSWORD_LENGTH, authenticate, create_user, set_preferences

blueprint = Blueprint("accounts", __name__)


def see_other(location: str):
    """POST-redirect-GET: 303 so the browser never re-sends the form."""
    return redirect(location, 303)


async def checked_form():
    """The submitted form, after the CSRF and same-origin checks; None when they fail."""
    form = await request.form
    if not request_origin_is_own(services().config.public_origin):
        return None
    if not csrf_token_is_valid(form.get(FIELD)):
        return None
    return form


async def csrf_failure():
    return await html_error(
        403,
        "Form expired",
        "This form could not be verified (it may have expired or come from another site). "
        "Go back, reload the page and try again.",
    )


def account_form(view):
    """For the account page's POSTs: CSRF and same-origin checked, a session required.
    The view is called with the user and the form first."""

    @functools.wraps(view)
    async def checked(*args, **kwargs):
        form = await checked_form()
        if form is None:
            return await csrf_failure()
        user = await current_user()
        if user is None:
            return see_other("/login?next=/account")
        return await view(user, form, *args, **kwargs)

    return checked


def client_address() -> str:
    """The address that throttles count: the peer, or what trusted proxies forwarded
    (``LEGION_TRUSTED_PROXY_HOPS``, applied by the ASGI wrapper before we see it)."""
    return request.remote_addr or "unknown"


def _about(seconds: int) -> str:
    """A wait in words, for the 429 pages (``Retry-After`` has the exact seconds)."""
    if seconds < 60:
        return "under a minute"
    return f"about {round(seconds / 60)} minute(s)"


@blueprint.get("/register")
async def register_page():
    return await render_template(
        "register.html",
        next=safe_next(request.args.get("next")),
        min_password=MIN_PASSWORD_LENGTH,
        user=await current_user(),
    )


@blueprint.post("/register")
async def register():
    form = await checked_form()
    if form is None:
        return await csrf_failure()
    db, config = services().db, services().config
    email, next_url = form.get("email", ""), safe_next(form.get("next"))

    async def refused(message: str, status: int):
        page = await render_template(
            "register.html",
            error=message,
            email=email,
            next=next_url,
            min_password=MIN_PASSWORD_LENGTH,
            user=None,
        )
        return page, status

    wait = await throttle.start_registration(db, config.limits, client_address())
    if wait:
        message = f"Too many accounts created from here. Try again in {_about(wait)}."
        return (*await refused(message, 429), {"Retry-After": str(wait)})
    try:
        user = await create_user(db, email=email, password=form.get("password", ""))
    except ValidationError as error:
        return await refused(error.message, 400)
    await log_in(user)
    return see_other(next_url)


@blueprint.get("/login")
async def login_page():
    return await render_template(
        "login.html", next=safe_next(request.args.get("next")), user=await current_user()
    )


@blueprint.post("/login")
async def login():
    form = await checked_form()
    if form is None:
        return await csrf_failure()
    db, config = services().db, services().config
    email, next_url = form.get("email", ""), safe_next(form.get("next"))

    async def failed(message: str, status: int):
        page = await render_template(
            "login.html", error=message, email=email, next=next_url, user=None
        )
        return page, status

    attempt = await throttle.start_login(db, config.limits, email, client_address())
    if attempt.wait_s:
        message = f"Too many failed logins. Try again in {_about(attempt.wait_s)}."
        return (*await failed(message, 429), {"Retry-After": str(attempt.wait_s)})
    user = None
    try:
        user = await authenticate(db, email, form.get("password", ""))
    finally:
        await throttle.finish_login(db, config.limits, attempt, email, succeeded=user is not None)
    if user is None:
        return await failed("Wrong email or password.", 401)
    await log_in(user)
    return see_other(next_url)


@blueprint.post("/logout")
async def logout():
    form = await checked_form()
    if form is None:
        return await csrf_failure()
    await log_out()
    return see_other("/login")


@blueprint.get("/account")
async def account_page():
    user = await current_user()
    if user is None:
        return redirect("/login?next=/account")
    return await render_account(user, message=request.args.get("done"))


async def render_account(
    user,
    *,
    message=None,
    error=None,
    status=200,
    profile=None,
    profile_errors=None,
    new_developer_token=None,
):
    """``new_developer_token``: (token, secret) just made, shown this once (devapi)."""
    db = services().db
    wallet = await get_wallet(db, user.id)
    limit = wallet.monthly_limit_micros
    summary, computed_at = await db.read_call(lambda conn: read_summary(conn, user.id))
    page = await render_template(
        "account.html",
        user=user,
        wallet=wallet,
        connections=await list_connections(db, user.id),
        owned_apps=await list_apps(db, owner_user_id=user.id),
        usd=format_usd,
        limit_value="" if limit is None else f"{limit / 1_000_000:.2f}",
        message=_ACCOUNT_MESSAGES.get(message or ""),
        error=error,
        profile=profile or await get_profile(db, user.id),
        profile_fields=PROFILE_FIELDS,
        profile_errors=profile_errors or {},
        context_lines=summary_lines(summary) if summary else [],
        context_known=computed_at is not None,
        refresh_minutes=max(1, round(services().config.user_context_refresh_s / 60)),
        developer_tokens=await list_developer_tokens(db, user.id),
        new_developer_token=new_developer_token,
        default_token_lifetime=DEFAULT_LIFETIME,
    )
    return page, status


_ACCOUNT_MESSAGES = {
    "limit": "Monthly limit saved.",
    "preferences": "Preferences saved.",
    "profile": "Profile saved.",
    "context_cleared": "Cleared: nothing is kept about your questions now. New ones are counted "
    "again from here on.",
    "deactivated": "Connection deactivated. The app can't use your wallet until you connect again.",
    "revoked": "Connection revoked. Its tokens no longer work.",
    "developer_token_revoked": "Developer token revoked. It no longer works.",
}


@blueprint.post("/account/limit")
@account_form
async def update_limit(user, form):
    raw = (form.get("monthly_limit") or "").strip()
    try:
        limit = None if raw == "" else parse_usd(raw, allow_zero=True)
    except ValidationError as error:
        return await render_account(user, error=f"Monthly limit: {error.message}", status=400)
    await set_monthly_limit(services().db, user.id, limit)
    return see_other("/account?done=limit")


@blueprint.post("/account/preferences")
@account_form
async def update_preferences(user, form):
    try:
        await set_preferences(services().db, user.id, form.get("preferences", ""))
    except ValidationError as error:
        return await render_account(user, error=error.message, status=400)
    return see_other("/account?done=preferences")


@blueprint.post("/account/profile")
@account_form
async def update_profile(user, form):
    try:
        await save_profile(services().db, user.id, form)
    except ProfileError as error:
        entered = {field.name: form.get(field.name, "") for field in PROFILE_FIELDS}
        return await render_account(
            user,
            error="The profile was not saved: see below.",
            status=400,
            profile=entered,
            profile_errors=error.problems,
        )
    return see_other("/account?done=profile")


@blueprint.post("/account/context/clear")
@account_form
async def clear_user_context(user, form):
    await question_recorder().forget(user.id)  # and waits for a flush under way
    await services().db.write(lambda conn: clear_history(conn, user.id))
    return see_other("/account?done=context_cleared")


@blueprint.post("/account/connections/<int:connection_id>/<any(deactivate, revoke):action>")
@account_form
async def change_connection(user, form, connection_id: int, action: str):
    change = deactivate_connection if action == "deactivate" else revoke_connection
    try:
        await change(services().db, user.id, connection_id)
    except NotFoundError:
        return await render_account(user, error="That connection does not exist.", status=404)
    return see_other(f"/account?done={action}d")
