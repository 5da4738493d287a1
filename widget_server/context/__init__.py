"""User context (SPEC §15): the profile, the summary of a user's own questions, and the
sections of context given to the model (``sections.py``).

``init_app(app)`` starts, for the life of the server, the recorder that counts every
question and refreshes the summaries (``recorder.py``); :func:`question_recorder` reaches
it from a request.
"""

from __future__ import annotations

from quart import Quart

EXTRAS_KEY = "user_context"


def init_app(app: Quart) -> None:
    from .recorder import QuestionRecorder

    @app.before_serving
    async def start_recorder() -> None:
        services = app.extensions["legion"]
        recorder = QuestionRecorder(services.db, services.config.user_context_refresh_s)
        recorder.start()
        services.extras[EXTRAS_KEY] = recorder

    async def stop_recorder() -> None:
        services = app.extensions.get("legion")
        recorder = services.extras.pop(EXTRAS_KEY, None) if services else None
        if recorder is not None:
            await recorder.close()

    # After the gateway's stop (its answers may still record), before the database closes.
    app.after_serving_funcs.insert(1, stop_recorder)


def question_recorder():
    from ..services import services

    return services().extras[EXTRAS_KEY]
