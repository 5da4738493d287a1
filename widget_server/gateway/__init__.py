"""The OpenAI-compatible chat gateway (SPEC §5): models, providers, streaming, billing.

``init_app(app)`` registers the endpoints and, for the life of the server, the pooled
upstream HTTP client and the provider adapters (in ``services().extras``). It must be
called after the core start-up hook is registered, which it relies on.
"""

from __future__ import annotations

from quart import Quart

from .state import EXTRAS_KEY, Gateway


def init_app(app: Quart) -> None:
    from .views import blueprint

    app.register_blueprint(blueprint)

    @app.before_serving
    async def start_gateway() -> None:
        services = app.extensions["legion"]
        services.extras[EXTRAS_KEY] = Gateway.start(services)

    async def stop_gateway() -> None:
        services = app.extensions.get("legion")
        gateway = services.extras.pop(EXTRAS_KEY, None) if services else None
        if gateway is not None:
            await gateway.close()

    # First of the after-serving hooks: settlements still running need the database,
    # which the core hook closes.
    app.after_serving_funcs.insert(0, stop_gateway)
