"""Per-token and per-user request limits for chat (429 with ``Retry-After``).

The counters live in the server's rate limiter: process memory, or Redis when
``LEGION_REDIS_URL`` is set, so that several workers share them.
"""

from __future__ import annotations

from ..errors import ApiError
from ..security.ratelimit import retry_after_header
from .auth import Caller
from .state import Gateway

WINDOW_S = 60


async def seconds_to_wait(gateway: Gateway, caller: Caller) -> float | None:
    """Count this request; the wait when a limit is exceeded, else None."""
    limits = gateway.config.limits
    waits = [
        await gateway.limiter.hit(
            f"chat:token:{caller.token_hash[:32]}",
            limits.chat_requests_per_minute_per_token,
            WINDOW_S,
        ),
        await gateway.limiter.hit(
            f"chat:user:{caller.user_id}", limits.chat_requests_per_minute_per_user, WINDOW_S
        ),
    ]
    found = [wait for wait in waits if wait is not None]
    return max(found) if found else None


def rate_limited(wait: float) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        "Too many chat requests; slow down and try again shortly.",
        headers={"Retry-After": retry_after_header(wait)},
    )
