"""Per-token and per-user chat limits (429 with Retry-After), shared by workers through
Redis; an empty wallet is a 402 even when the limit is also hit."""

from __future__ import annotations

import os
import socket
import time

import pytest

from tests.fakes.fixtures import new_visitor
from tests.support.databases import run_async
from tests.support.tools import missing
from widget_server.security.ratelimit import MemoryRateLimiter, RedisRateLimiter, sliding_wait

REDIS_URL = os.environ.get("LEGION_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip() -> str:
    host, port = "127.0.0.1", 6379
    try:
        with socket.create_connection((host, port), timeout=1):
            return REDIS_URL
    except OSError as error:
        missing(f"Redis not reachable on 127.0.0.1:6379 ({error})")


def limited_server(make_server, fake, workers: int, per_token: int, per_user: int, redis: bool):
    env = {
        **fake.env,
        "LEGION_CHAT_RATE_LIMIT_PER_TOKEN": str(per_token),
        "LEGION_CHAT_RATE_LIMIT_PER_USER": str(per_user),
    }
    if redis:
        env["LEGION_REDIS_URL"] = redis_or_skip()
    return make_server(env=env, workers=workers)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_token_limit_is_shared_by_two_workers_through_redis(backend, make_server, fake):
    server = limited_server(make_server, fake, workers=2, per_token=3, per_user=100, redis=True)
    visitor = new_visitor(server, f"rl-token-{os.getpid()}@example.com")
    statuses = []
    for _ in range(8):  # new connections, so both workers answer some
        visitor.http.close()
        visitor.http = type(visitor.http)(timeout=30)
        statuses.append(visitor.chat(model="gpt-4o-mini"))
    assert [r.status_code for r in statuses].count(200) == 3
    limited = [r for r in statuses if r.status_code == 429]
    assert len(limited) == 5
    for response in limited:
        assert response.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(response.headers["Retry-After"]) <= 120  # two slots at most
    assert len(fake.requests) == 3


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_user_limit_counts_every_token_of_the_user(backend, make_server, fake):
    from tests.fakes.fixtures import connect_again

    server = limited_server(make_server, fake, workers=1, per_token=100, per_user=4, redis=False)
    first = new_visitor(server, f"rl-user-{os.getpid()}@example.com")
    other_app = server.create_app("https://other.example/cb")
    second = connect_again(first, other_app["client_id"], "https://other.example/cb")
    codes = [v.chat(model="gpt-4o-mini").status_code for v in (first, second) * 3]
    assert codes == [200, 200, 200, 200, 429, 429]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_empty_wallet_over_the_limit_is_still_402(backend, make_server, fake):
    server = limited_server(make_server, fake, workers=1, per_token=1, per_user=100, redis=False)
    visitor = new_visitor(server, f"rl-poor-{os.getpid()}@example.com", credit="0.000001")
    codes = [visitor.chat(model="gpt-4o").status_code for _ in range(3)]
    assert codes == [402, 402, 402]


def test_a_burst_across_a_window_boundary_is_still_limited():
    """Two requests at 59.9 s and two at 60.1 s with a limit of 2 a minute: fixed windows
    would let all four through; the sliding estimate lets two."""
    now = [59.9]
    limiter = MemoryRateLimiter(clock=lambda: now[0])
    waits = [run_async(limiter.hit("k", 2, 60)) for _ in range(2)]
    now[0] = 60.1
    waits += [run_async(limiter.hit("k", 2, 60)) for _ in range(2)]
    assert waits[:2] == [None, None]
    assert all(wait is not None and 0 < wait <= 120 for wait in waits[2:])
    now[0] = 60.1 + waits[3]  # the wait it gave: then one more request passes
    assert run_async(limiter.hit("k", 2, 60)) is None


@pytest.mark.parametrize(
    ("limit", "count", "previous", "now"),
    [(2, 3, 0, 0.0), (2, 3, 0, 30.0), (2, 1, 4, 10.0), (5, 4, 9, 50.0), (3, 7, 2, 1.0)],
)
def test_the_wait_given_is_when_the_next_request_passes(limit, count, previous, now):
    wait = sliding_wait(limit, count, previous, now, 60)
    assert wait is not None
    later = now + wait
    if later < 60:  # still this slot: one more request, the previous slot fading
        estimate = count + 1 + previous * (1 - later / 60)
    else:  # the next slot: that request alone, this slot fading
        estimate = 1 + count * (1 - (later - 60) / 60)
    assert estimate <= limit + 1e-9
    just_before = now + wait * 0.95
    if just_before < 60:
        assert count + 1 + previous * (1 - just_before / 60) > limit
    else:
        assert 1 + count * (1 - (just_before - 60) / 60) > limit


def test_redis_weighs_the_previous_slot_too():
    """The previous slot's count, as another worker left it in Redis, limits this one."""
    from redis import Redis

    url, window = redis_or_skip(), 86_400
    prefix = f"legion:test:{os.getpid()}:{time.time_ns()}:"
    now = time.time()
    slot, elapsed = int(now // window), (now % window) / window
    previous = int(3 / (1 - elapsed)) + 1  # weighs more than 2 for the rest of this slot
    client = Redis.from_url(url)
    client.set(f"{prefix}k:{window}:{slot - 1}", previous, ex=60)

    async def first_hits() -> tuple:
        weighed = RedisRateLimiter(url, prefix=prefix)
        fresh = RedisRateLimiter(url, prefix=prefix + "other:")
        try:
            return await weighed.hit("k", 2, window), await fresh.hit("k", 2, window)
        finally:
            await weighed.close()
            await fresh.close()

    try:
        wait, without_it = run_async(first_hits())
    finally:
        client.delete(*client.keys(f"{prefix}*"))
        client.close()
    assert wait is not None and wait > 0
    assert without_it is None  # the same first hit, with no previous slot, passes
