"""The model catalog: which models exist, who serves them, and what their tokens cost.

Prices are data (``catalog.json`` beside this module), in integer micro-dollars per
million tokens, read once. Which of the models a server offers depends on which providers
have a key (SPEC §2, §5.1); the built-in ``demo`` model is offered only when the server runs
with ``--demo`` or has no provider at all, so that a production server never answers with
a canned reply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..config import Config

DEMO_PROVIDER = "demo"
PROVIDERS = ("openai", "anthropic", "google", "xai")
# The organisation shown as ``owned_by`` in /v1/models.
OWNERS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "xai": "xai",
    DEMO_PROVIDER: "legion",
}


CAP_FIELDS = ("max_tokens", "max_completion_tokens")


@dataclass(frozen=True)
class Model:
    id: str
    provider: str
    input_micros_per_mtok: int
    output_micros_per_mtok: int
    max_output_tokens: int
    created: int
    # The fields an OpenAI-compatible model takes for its output cap, preferred first.
    # OpenAI's reasoning models refuse ``max_tokens`` wherever the request is relayed
    # from, so this is the model's property, not the base URL's.
    output_cap_fields: tuple[str, ...] = CAP_FIELDS

    def output_cap_field(self, sent: str | None) -> str:
        """The field to send the cap in: the client's own choice where the model takes it."""
        return sent if sent in self.output_cap_fields else self.output_cap_fields[0]

    def listing(self) -> dict:
        return {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": OWNERS[self.provider],
        }


@dataclass(frozen=True)
class Catalog:
    models: dict[str, Model]

    def get(self, model_id: str) -> Model | None:
        return self.models.get(model_id)

    def available(self, config: Config) -> list[Model]:
        """The models this server can answer with, in catalog order."""
        return [m for m in self.models.values() if provider_available(m.provider, config)]


def provider_available(provider: str, config: Config) -> bool:
    if provider == DEMO_PROVIDER:
        return config.demo or not any(
            config.providers[name].configured for name in PROVIDERS if name in config.providers
        )
    settings = config.providers.get(provider)
    return settings is not None and settings.configured


@cache
def load_catalog() -> Catalog:
    raw = json.loads(resources.files(__package__).joinpath("catalog.json").read_text("utf-8"))
    models = {}
    for entry in raw["models"]:
        model = Model(
            id=entry["id"],
            provider=entry["provider"],
            input_micros_per_mtok=int(entry["input_micros_per_mtok"]),
            output_micros_per_mtok=int(entry["output_micros_per_mtok"]),
            max_output_tokens=int(entry["max_output_tokens"]),
            created=int(entry["created"]),
            output_cap_fields=tuple(entry.get("output_cap_fields", CAP_FIELDS)),
        )
        if not model.output_cap_fields or set(model.output_cap_fields) - set(CAP_FIELDS):
            raise ValueError(f"catalog.json: output_cap_fields of {model.id} must be {CAP_FIELDS}")
        if model.provider not in OWNERS:
            raise ValueError(f"catalog.json: unknown provider {model.provider!r} for {model.id}")
        if model.input_micros_per_mtok < 0 or model.output_micros_per_mtok < 0:
            raise ValueError(f"catalog.json: negative price for {model.id}")
        models[model.id] = model
    return Catalog(models)


def is_known_model(model_id: str) -> bool:
    return load_catalog().get(model_id) is not None
