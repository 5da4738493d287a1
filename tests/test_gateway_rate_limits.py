"""Per-token and per-user chat limits (429 with Retry-After), shared by workers through
Redis; an empty wallet is a 402 even when the limit is also hit."""

from __future__ import annotations

import os
import socket

import pytest

from tests.fakes.fixtures import new_visitor
from tests.support.tools import missing

REDIS_URL = os.environ.get("LEGION_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip() -> str:
    host, port = "127.0.0.1", 6379
    try:
        with socket.create_connection((host, port), timeout=1):
            return REDIS_URL
    except OSError as error:
        missing(f"Redis not reachable on 127.0.0.1:6379 ({error})")


@pytest.fixture(autouse=True)
def fresh_fake(fake):
    fake.reset()


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
        assert 1 <= int(response.headers["Retry-After"]) <= 60
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
