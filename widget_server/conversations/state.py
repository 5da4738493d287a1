"""The conversation API's long-lived objects in one process: the gateway it asks through,
and the answers this process is generating."""

from __future__ import annotations

from dataclasses import dataclass

from ..gateway.state import Gateway
from ..services import services
from .generation import Generations

EXTRAS_KEY = "conversations"


@dataclass
class Conversations:
    gateway: Gateway
    generations: Generations


def conversations_state() -> Conversations:
    return services().extras[EXTRAS_KEY]
