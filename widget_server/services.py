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
from .storage.heartbeat import Heartbeat


@dataclass
class Services:
    config: Config
    db: Database
    limiter: RateLimiter
    heartbeat: Heartbeat
    # Filled in by concerns that need long-lived objects (the gateway's HTTP clients, ...).
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls, config: Config) -> Services:
        limiter: RateLimiter = (
            RedisRateLimiter(config.redis_url) if config.redis_url else MemoryRateLimiter()
        )
        db = Database(config.database_url)
        heartbeat = Heartbeat(db, config.heartbeat_interval_s)
        return cls(config=config, db=db, limiter=limiter, heartbeat=heartbeat)

    async def close(self) -> None:
        """Once this process's work has ended (the gateway closes first)."""
        await self.heartbeat.stop()
        await self.limiter.close()
        await self.db.dispose()


def services() -> Services:
    return current_app.extensions["legion"]
