"""The per-app objects that views need: config, database, rate limiter, upstream clients.

Created once when the server starts (``before_serving``) and reached through
:func:`services`, so nothing lives at module level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quart import current_app

from .config import Config
from .security.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from .storage import Database


@dataclass
class Services:
    config: Config
    db: Database
    limiter: RateLimiter
    # Filled in by concerns that need long-lived objects (the gateway's HTTP clients, ...).
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls, config: Config) -> Services:
        limiter: RateLimiter = (
            RedisRateLimiter(config.redis_url) if config.redis_url else MemoryRateLimiter()
        )
        return cls(config=config, db=Database(config.database_url), limiter=limiter)

    async def close(self) -> None:
        await self.limiter.close()
        await self.db.dispose()


def services() -> Services:
    return current_app.extensions["legion"]
