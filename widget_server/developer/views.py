"""The developer dashboard (SPEC §12): a user's own apps, and a quick way to a chat app.

``/developer`` lists the user's apps and creates new ones (the client secret is shown in
the answer to that POST only); ``/developer/apps/<client_id>`` shows and edits one, rotates
its secret (shown once, likewise), deletes it, and shows its stats and latest ledger rows.
``/register-chat`` creates a ``chat`` app from the five fields that matter for one. An
app's page also holds its knowledge base (SPEC §15): upload files (several at once; the
page's one script adds drag and drop), follow their statuses (as JSON, for that script),
delete them.

Every page needs a session (without one: the login page, then back); every form is
CSRF-protected and same-origin checked. Another user's app, like an unknown one, is 404
to GETs and POSTs alike, after those checks and before anything is read or written.
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from quart import Blueprint, jsonify, redirect, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..accounts.views import checked_form, csrf_failure, see_other
from ..apps import registry
from ..apps.registry import App
from ..billing.ledger import app_stats, list_transactions
from ..billing.money import format_usd
from ..errors import NotFoundError, ValidationError
from ..gateway.catalog import load_catalog
from ..knowledge import knowledge_base
from ..knowledge.ingest import UploadRefused
from ..knowledge.store import document_out
from ..services import services
from ..web.auth import current_user
from ..web.errors import html_error
from ..web.uploads import file_size, upload_body_limit
from .forms import TYPE_LABELS, AppForm, sentence

blueprint = Blueprint("developer", __name__)

LATEST_TRANSACTIONS = 20
_APP_MESSAGES = {  # ?done=ready has a card of its own
    "saved": "Changes saved.",
    "uploaded": "Uploaded. The files are being read; their status shows below.",
    "context_deleted": "Document deleted from the knowledge base.",
}
APP_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_DASHBOARD_MESSAGES = {"deleted": "App deleted. Its connections and tokens no longer work."}


def _login_url(path: str) -> str:
    return f"/login?next={quote(path, safe='/')}"


def _page_of(client_id: str | None) -> str:
    """The page a dashboard form was on, to come back to after logging in."""
    if client_id:
        return f"/developer/apps/{client_id}"
    return "/developer" if request.path.startswith("/developer") else request.path


def dashboard_form(view):
    """For the dashboard's POSTs: CSRF and same-origin checked, then a session required.
    The view is called with the user and the form first."""

    @functools.wraps(view)
    async def checked(*args, **kwargs):
        form = await checked_form()
        if form is None:
            return await csrf_failure()
        user = await current_user()
        if user is None:
            return see_other(_login_url(_page_of(kwargs.get("client_id"))))
        return await view(user, form, *args, **kwargs)

    return checked


async def _own_app(user, client_id: str) -> App | None:
    """The app, only if this user owns it: others' apps and unknown ids look the same."""
    app = await registry.get_app(services().db, client_id)
    return app if app is not None and app.owner_user_id == user.id else None


async def _not_found():
    return await html_error(404, "Not found", "You have no app with this client id.")


def _page_globals() -> dict:
    config = services().config
    return {
        "models": _models_by_provider(),
        "model_ids": set(load_catalog().models),
        "server_default_model": config.default_model,
        "type_labels": TYPE_LABELS,
        "public_url": config.public_url.rstrip("/"),
        "usd": format_usd,
    }


_PROVIDER_NAMES = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "xai": "xAI",
    "demo": "Demo",
}


def _models_by_provider() -> list[tuple[str, list[str]]]:
    """The catalog's models in its order, grouped by provider (the ``<optgroup>``s)."""
    grouped: dict[str, list[str]] = {}
    for model in load_catalog().models.values():
        name = _PROVIDER_NAMES.get(model.provider, model.provider)
        grouped.setdefault(name, []).append(model.id)
    return list(grouped.items())


# ---------------------------------------------------------------- the list, and create


@blueprint.get("/developer")
async def dashboard():
    user = await current_user()
    if user is None:
        return redirect(_login_url("/developer"))
    return await _render_dashboard(user, message=_DASHBOARD_MESSAGES.get(request.args.get("done")))


async def _render_dashboard(
    user, *, form=None, errors=None, error=None, created=None, message=None, status=200
):
    page = await render_template(
        "developer/index.html",
        user=user,
        apps=await registry.list_apps(services().db, owner_user_id=user.id),
        form=form or AppForm.blank(),
        errors=errors or {},
        error=error,
        created=created,
        message=message,
        **_page_globals(),
    )
    return page, status


@blueprint.post("/developer/apps")
@dashboard_form
async def create(user, submitted):
    form = AppForm.blank().updated_by(submitted)
    app, secret, refused = await _create(user, form)
    if refused:
        return await _render_dashboard(user, form=form, status=400, **refused)
    # The secret is in this answer only (never stored, never redirected to): no 303 here.
    return await _render_dashboard(user, created=(app, secret))


async def _create(user, form: AppForm):
    """The app and its secret, or what to show instead (field errors or one message)."""
    errors = form.problems(creating=True)
    if errors:
        return None, None, {"errors": errors, "error": "The app was not created: see below."}
    try:
        app, secret = await registry.create_app(
            services().db,
            name=form.name,
            redirect_uris=form.uri_list(),
            app_type=form.type,
            margin=form.margin_or_default,
            default_model=form.default_model,
            owner_user_id=user.id,
            description=form.description,
            system_prompt=form.system_prompt,
            public_url=services().config.public_url,
        )
    except ValidationError as error:
        return None, None, {"error": f"The app was not created. {sentence(error.message)}"}
    return app, secret, None


# ---------------------------------------------------------------- one app


@blueprint.get("/developer/apps/<client_id>")
async def app_page(client_id: str):
    user = await current_user()
    if user is None:
        return redirect(_login_url(f"/developer/apps/{client_id}"))
    app = await _own_app(user, client_id)
    if app is None:
        return await _not_found()
    return await _render_app(user, app, message=_APP_MESSAGES.get(request.args.get("done")))


async def _render_app(
    user, app: App, *, form=None, errors=None, error=None, secret=None, message=None, status=200
):
    db = services().db
    page = await render_template(
        "developer/app.html",
        user=user,
        app=app,
        form=form or AppForm.of_app(app),
        errors=errors or {},
        error=error,
        new_secret=secret,
        message=message,
        ready=request.args.get("done") == "ready",
        stats=await app_stats(db, app.client_id, app.id),
        transactions=await list_transactions(db, app.client_id, limit=LATEST_TRANSACTIONS),
        documents=await knowledge_base().documents(app.id),
        upload_limit_mb=_megabytes(services().config.max_upload_bytes),
        **_page_globals(),
    )
    # The knowledge base's drag and drop and live statuses: one script, from this server.
    return page, status, {"Content-Security-Policy": APP_PAGE_CSP}


@blueprint.post("/developer/apps/<client_id>")
@dashboard_form
async def edit(user, submitted, client_id: str):
    app = await _own_app(user, client_id)
    if app is None:
        return await _not_found()
    form = AppForm.of_app(app).updated_by(submitted, fixed=("type",))
    errors = form.problems(creating=False)
    if errors:
        refused = "Nothing was saved: see below."
        return await _render_app(user, app, form=form, errors=errors, error=refused, status=400)
    try:
        await registry.update_app(
            services().db,
            client_id,
            name=form.name,
            redirect_uris=form.uri_list(),
            margin=form.margin,
            default_model=form.default_model,
            description=form.description,
            system_prompt=form.system_prompt,
        )
    except ValidationError as error:
        refused = f"Nothing was saved. {sentence(error.message)}"
        return await _render_app(user, app, form=form, error=refused, status=400)
    except NotFoundError:  # deleted meanwhile, in another tab
        return await _not_found()
    return see_other(f"/developer/apps/{client_id}?done=saved")


@blueprint.post("/developer/apps/<client_id>/rotate-secret")
@dashboard_form
async def rotate_secret(user, submitted, client_id: str):
    if await _own_app(user, client_id) is None:
        return await _not_found()
    try:
        app, secret = await registry.rotate_secret(services().db, client_id)
    except NotFoundError:
        return await _not_found()
    # Like creation: the new secret is in this answer only.
    return await _render_app(user, app, secret=secret)


@blueprint.post("/developer/apps/<client_id>/delete")
@dashboard_form
async def delete(user, submitted, client_id: str):
    app = await _own_app(user, client_id)
    if app is None:
        return await _not_found()
    if submitted.get("confirm") != "yes":
        refused = "Not deleted: tick the box to confirm that the app and its connections go."
        return await _render_app(user, app, error=refused, status=400)
    try:
        await registry.delete_app(services().db, client_id)
    except NotFoundError:
        return await _not_found()
    return see_other("/developer?done=deleted")


# ---------------------------------------------------------------- a chat app in one step


@blueprint.get("/register-chat")
async def register_chat_page():
    user = await current_user()
    if user is None:
        return redirect(_login_url("/register-chat"))
    return await _render_register_chat(user)


async def _render_register_chat(user, *, form=None, errors=None, error=None, status=200):
    page = await render_template(
        "developer/register_chat.html",
        user=user,
        form=form or AppForm.blank("chat"),
        errors=errors or {},
        error=error,
        **_page_globals(),
    )
    return page, status


@blueprint.post("/register-chat")
@dashboard_form
async def register_chat(user, submitted):
    # A chat app, whose own page is its only redirect URI.
    form = AppForm.blank("chat").updated_by(submitted, fixed=("type", "redirect_uris"))
    app, _secret, refused = await _create(user, form)
    if refused:
        return await _render_register_chat(user, form=form, status=400, **refused)
    # A hosted chat app needs no secret (its page is a public client): a plain redirect.
    return see_other(f"/developer/apps/{app.client_id}?done=ready")


# ---------------------------------------------------------------- the knowledge base (SPEC §15)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.0f}" if size >= 2**20 else f"{size / 2**20:.2f}"


async def _too_large():
    limit = _megabytes(services().config.max_upload_bytes)
    return await html_error(
        413, "File too large", f"Files may be at most {limit} MB. Nothing was uploaded."
    )


@blueprint.post("/developer/apps/<client_id>/context")
async def upload_context(client_id: str):
    """Files into the app's knowledge base (a plain multipart form; the page's script only
    adds drag and drop). Each accepted file is ``processing`` until read."""
    limit = services().config.max_upload_bytes
    if (request.content_length or 0) > upload_body_limit(limit):
        return await _too_large()  # refused before a byte of it is read
    try:
        submitted = await checked_form()
        files = await request.files
    except RequestEntityTooLarge:
        return await _too_large()
    if submitted is None:
        return await csrf_failure()
    user = await current_user()
    if user is None:
        return see_other(_login_url(_page_of(client_id)))
    app = await _own_app(user, client_id)
    if app is None:
        return await _not_found()
    chosen = [file for file in files.getlist("file") if file.filename]
    if not chosen:
        return await _render_app(user, app, error="Choose a file to upload.", status=400)
    if any(file_size(file) > limit for file in chosen):
        return await _too_large()
    refusals = []
    for file in chosen:
        try:
            await knowledge_base().ingestor.accept(
                app.id, file.filename, file.mimetype, file.stream
            )
        except UploadRefused as refusal:
            refusals.append(refusal)
    if refusals:
        message = " ".join(refusal.message for refusal in refusals)
        accepted = len(chosen) - len(refusals)
        if accepted:
            message = f"{accepted} file(s) uploaded. {message}"
        return await _render_app(user, app, error=message, status=refusals[0].status)
    return see_other(f"/developer/apps/{client_id}?done=uploaded#knowledge")


@blueprint.get("/developer/apps/<client_id>/context")
async def context_statuses(client_id: str):
    """The documents as JSON, for the page's script to follow their processing."""
    user = await current_user()
    app = await _own_app(user, client_id) if user is not None else None
    if app is None:
        return jsonify({"error": "not_found"}), 404
    documents = await knowledge_base().documents(app.id)
    response = jsonify({"data": [document_out(row) for row in documents]})
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/developer/apps/<client_id>/context/<context_id>/delete")
@dashboard_form
async def delete_context(user, submitted, client_id: str, context_id: str):
    app = await _own_app(user, client_id)
    if app is None or not await knowledge_base().delete(app.id, context_id):
        return await _not_found()
    return see_other(f"/developer/apps/{client_id}?done=context_deleted#knowledge")
