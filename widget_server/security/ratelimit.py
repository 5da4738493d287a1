"""Fixed-window request counters, in process memory or shared through Redis.

One process needs nothing more than memory; several workers or hosts set
``LEGION_REDIS_URL`` so that a limit means the same thing whichever worker answers.
"""

from __future__ import annotations

import math
import time
from typing import Protocol


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_s: int) -> float | None:
        """Count one request; return the seconds to wait when over ``limit``, else None.

        A ``limit`` of 0 means unlimited.
        """

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """Counters for one process. A window's counters are dropped when the next one starts."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._counts: dict[tuple[int, int, str], int] = {}
        self._current_slot: dict[int, int] = {}

    async def hit(self, key: str, limit: int, window_s: int) -> float | None:
        if limit <= 0:
            return None
        now = self._clock()
        slot = int(now // window_s)
        if self._current_slot.get(window_s) != slot:
            self._current_slot[window_s] = slot
            for stale in [k for k in self._counts if k[0] == window_s and k[1] < slot]:
                del self._counts[stale]
        count = self._counts.get((window_s, slot, key), 0) + 1
        self._counts[(window_s, slot, key)] = count
        if count > limit:
            return max((slot + 1) * window_s - now, 0.001)
        return None

    async def close(self) -> None:
        self._counts.clear()


class RedisRateLimiter:
    """Counters shared by every worker through Redis (``INCR`` + ``EXPIRE``)."""

    def __init__(self, url: str, prefix: str = "legion:rl:") -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url)
        self._prefix = prefix

    async def hit(self, key: str, limit: int, window_s: int) -> float | None:
        if limit <= 0:
            return None
        now = time.time()
        slot = int(now // window_s)
        redis_key = f"{self._prefix}{key}:{window_s}:{slot}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(redis_key)
            pipe.expire(redis_key, window_s + 1)
            count, _ = await pipe.execute()
        if count > limit:
            return max((slot + 1) * window_s - now, 0.001)
        return None

    async def close(self) -> None:
        await self._redis.aclose()


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
