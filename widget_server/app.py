"""The application factory."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from quart import Quart

from .accounts.views import blueprint as accounts_blueprint
from .chatpage import blueprint as chatpage_blueprint
from .collector import QuietCollector
from .config import Config
from .context import init_app as init_user_context
from .conversations import init_app as init_conversations
from .devapi.account import blueprint as devapi_account_blueprint
from .devapi.views import blueprint as devapi_blueprint
from .developer import blueprint as developer_blueprint
from .gateway import EXTRAS_KEY as GATEWAY_KEY
from .gateway import init_app as init_gateway
from .knowledge import init_app as init_knowledge
from .oauth.views import blueprint as oauth_blueprint
from .releases import blueprint as releases_blueprint
from .security.csrf import csrf_token
from .security.secret_key import resolve_secret_key
from .services import Services
from .storage.maintenance import purge_periodically
from .storage.migrate import upgrade
from .web.connections import finish_reading_body
from .web.errors import register_error_handlers
from .web.headers import apply_default_headers
from .web.pages import blueprint as pages_blueprint
from .web.sessions import PagesOnlySessionInterface
from .web.uploads import request_class as upload_request_class
from .widget import blueprint as widget_blueprint


def create_app(config: Config | None = None) -> Quart:
    """Build the app. Connections open when serving starts, not here."""
    config = config or Config.from_env()
    app = Quart(__name__)
    app.config.update(
        LEGION=config,
        MAX_CONTENT_LENGTH=config.limits.max_json_bytes,
        MAX_FORM_MEMORY_SIZE=config.limits.max_form_bytes,
        SESSION_COOKIE_NAME="legion_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=config.lifetimes.session),
    )
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.session_interface = PagesOnlySessionInterface()
    app.request_class = upload_request_class(config.max_upload_bytes)

    @app.before_serving
    async def start_services() -> None:
        services = Services.start(config)
        await upgrade(services.db)
        await services.heartbeat.beat()  # this process holds nothing before its row exists
        app.secret_key = await resolve_secret_key(config, services.db)
        app.extensions["legion"] = services
        services.extras["purge_task"] = asyncio.create_task(purge_periodically(services.db))

    @app.after_serving
    async def stop_services() -> None:
        services = app.extensions.pop("legion", None)
        if services is not None:
            services.extras["purge_task"].cancel()
            if "collector" in services.extras:
                await services.extras["collector"].stop()
            await services.close()

    for blueprint in (pages_blueprint, accounts_blueprint, oauth_blueprint, widget_blueprint):
        app.register_blueprint(blueprint)
    app.register_blueprint(releases_blueprint)
    app.register_blueprint(chatpage_blueprint)
    app.register_blueprint(developer_blueprint)
    app.register_blueprint(devapi_blueprint)
    app.register_blueprint(devapi_account_blueprint)
    init_gateway(app)  # after start_services: the gateway's hooks rely on it
    init_conversations(app)  # after the gateway, whose objects it asks through
    init_user_context(app)  # after the gateway: asks still running record their questions
    init_knowledge(app)

    @app.before_serving
    async def start_heartbeat() -> None:
        """Last: every concern has registered what it recovers from dead processes."""
        services = app.extensions["legion"]
        services.heartbeat.start_beating()
        gateway = services.extras[GATEWAY_KEY]
        collector = QuietCollector(
            busy=lambda: bool(gateway.in_flight), started=lambda: gateway.answers_started
        )
        collector.start()  # last: what start-up made is frozen out of the collector's sight
        services.extras["collector"] = collector

    register_error_handlers(app)
    app.after_request(apply_default_headers)
    app.after_request(finish_reading_body)
    _drop_flask_template_processors(app)
    logging.getLogger("widget_server").setLevel(logging.INFO)
    return app


def _drop_flask_template_processors(app: Quart) -> None:
    """Quart's blueprints inherit Flask's, which each register Flask's own template
    context processor: a plain function (so Quart runs it on a thread of its executor,
    once per blueprint on every page rendered) that reads Flask's request context, which
    Quart never sets, and so adds nothing."""
    for processors in app.template_context_processors.values():
        processors[:] = [
            processor for processor in processors if processor.__module__ != "flask.templating"
        ]
