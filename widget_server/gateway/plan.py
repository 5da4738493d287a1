"""Which model a request runs on, and the output cap sent upstream (SPEC §5.2).

Planned twice when it must be: once before anything is held, from the app settings the
token cache knows (so that a 404 comes before a 429 or a 402), and again inside the hold
if the app's default model has changed since (see ``charging.hold``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Model
from .request import ChatRequest, invalid
from .state import Gateway

OPENAI_COMPATIBLE = ("openai", "xai")


@dataclass(frozen=True)
class Plan:
    model: Model
    max_tokens: int  # the output cap sent upstream: the reservation's worst case
    app_default_model: str | None  # what it was planned with (when the request names none)


def plan_call(gateway: Gateway, chat: ChatRequest, app_default_model: str | None) -> Plan:
    """Resolve the model (404) and check the request suits it (400)."""
    model = gateway.resolve_model(chat.model, app_default_model)
    _check_features(chat, model)
    max_tokens = chat.max_tokens or min(gateway.config.default_max_tokens, model.max_output_tokens)
    return Plan(model, max_tokens, app_default_model)


def _check_features(chat: ChatRequest, model: Model) -> None:
    if model.provider in OPENAI_COMPATIBLE:
        return
    feature = chat.uses_openai_only_features
    if feature:
        raise invalid(
            f"{feature} is supported only by OpenAI-compatible models, not {model.id}.",
            feature.split(" ")[0],
        )
