"""ASGI entry point for hypercorn workers: ``hypercorn 'widget_server.asgi:app'``."""

from hypercorn.middleware import ProxyFixMiddleware

from .app import create_app
from .config import Config


def build_asgi_app(config: Config | None = None):
    """The app, behind ProxyFixMiddleware when ``LEGION_TRUSTED_PROXY_HOPS`` says so."""
    config = config or Config.from_env()
    app = create_app(config)
    if config.trusted_proxy_hops:
        return ProxyFixMiddleware(app, mode="legacy", trusted_hops=config.trusted_proxy_hops)
    return app


app = build_asgi_app()
