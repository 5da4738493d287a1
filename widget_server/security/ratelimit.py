"""Request counters over a sliding window, in process memory or shared through Redis.

Each window counts in fixed slots, and a request is weighed against this slot's count plus
the share of the previous slot's that still lies within one window of now (the usual
sliding-window estimate). Plain fixed windows let a client send twice the limit across a
slot boundary.

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


def sliding_wait(limit: int, count: int, previous: int, now: float, window_s: int) -> float | None:
    """The seconds until one more request would be within ``limit``, given this slot's
    ``count`` (this request included) and the previous slot's; None when this one is."""
    start = (now // window_s) * window_s
    elapsed = (now - start) / window_s
    if count + previous * (1 - elapsed) <= limit:
        return None
    if count < limit and previous:  # later in this slot, as the previous one fades
        at = start + window_s * (1 - (limit - count - 1) / previous)
    else:  # in the next slot, as this one fades
        at = start + window_s * (2 - max(limit - 1, 0) / count)
    return max(at - now, 0.001)


class MemoryRateLimiter:
    """Counters for one process; slots older than the previous one are dropped."""

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
            for stale in [k for k in self._counts if k[0] == window_s and k[1] < slot - 1]:
                del self._counts[stale]
        count = self._counts.get((window_s, slot, key), 0) + 1
        self._counts[(window_s, slot, key)] = count
        previous = self._counts.get((window_s, slot - 1, key), 0)
        return sliding_wait(limit, count, previous, now, window_s)

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
            pipe.expire(redis_key, 2 * window_s + 1)  # the next slot still weighs it
            pipe.get(f"{self._prefix}{key}:{window_s}:{slot - 1}")
            count, _, previous = await pipe.execute()
        return sliding_wait(limit, count, int(previous or 0), now, window_s)

    async def close(self) -> None:
        await self._redis.aclose()


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
