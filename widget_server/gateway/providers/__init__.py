"""Provider adapters, one module per wire format, and the table of those configured."""

from __future__ import annotations

from ...config import Config
from ..catalog import DEMO_PROVIDER
from .anthropic import Anthropic
from .base import Call, Completion, Meter, Provider, Usage
from .demo import Demo
from .gemini import Gemini
from .openai import OpenAICompatible
from .transport import UpstreamClient

__all__ = ["Call", "Completion", "Meter", "Provider", "Usage", "build_providers"]


def build_providers(config: Config, client: UpstreamClient) -> dict[str, Provider]:
    """An adapter for every provider with a key, plus the demo (free, local)."""
    providers: dict[str, Provider] = {DEMO_PROVIDER: Demo()}
    for name, settings in config.providers.items():
        if not settings.configured:
            continue
        if name in ("openai", "xai"):
            providers[name] = OpenAICompatible(name, settings, client)
        elif name == "anthropic":
            providers[name] = Anthropic(settings, client)
        elif name == "google":
            providers[name] = Gemini(settings, client)
    return providers
