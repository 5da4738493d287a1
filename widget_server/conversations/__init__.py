"""Conversations: server-side chat history, resumable answers and search (SPEC §11).

``init_app(app)`` registers the API under ``/v1/chat/{client_id}`` and, for the life of the
server, this process's running answers and the recovery of answers whose process died. It
must be called after the gateway's ``init_app``, whose objects it uses.
"""

from __future__ import annotations

from quart import Quart

from .state import EXTRAS_KEY, Conversations


def init_app(app: Quart) -> None:
    from ..gateway.state import EXTRAS_KEY as GATEWAY_KEY
    from .generation import Generations, fail_orphaned_answers
    from .views import blueprint

    app.register_blueprint(blueprint)

    @app.before_serving
    async def start_conversations() -> None:
        services = app.extensions["legion"]
        gateway = services.extras[GATEWAY_KEY]
        services.extras[EXTRAS_KEY] = Conversations(gateway, Generations(gateway))
        services.heartbeat.on_dead_processes(
            "answers", lambda alive_since: fail_orphaned_answers(services.db, alive_since)
        )
