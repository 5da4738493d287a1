"""The three upstream stacks (LEGION_UPSTREAM_TRANSPORT), and the default one on uvloop
(LEGION_WORKER_CLASS), behave alike: answers, streams, failures mapped to the same errors,
and a client that leaves closes the provider's stream."""

from __future__ import annotations

import pytest

from tests.fakes.fixtures import new_visitor, streamed_text
from tests.support.databases import TestDatabase
from tests.support.server import ServerProcess, free_port

# Each upstream stack on asyncio, and the default one on uvloop (LEGION_WORKER_CLASS, the
# `uvloop` extra).
STACKS = [
    ("aiohttp", "asyncio"),
    ("httpx-aiohttp", "asyncio"),
    ("httpx", "asyncio"),
    ("aiohttp", "uvloop"),
]


TRANSPORTS = [transport for transport, worker_class in STACKS if worker_class == "asyncio"]


@pytest.fixture(scope="module", params=STACKS, ids=["/".join(stack) for stack in STACKS])
def transport_server(request, fake):
    transport, worker_class = request.param
    database = TestDatabase("sqlite")
    env = {
        **fake.env,
        "LEGION_UPSTREAM_TRANSPORT": transport,
        "LEGION_WORKER_CLASS": worker_class,
        "LEGION_UPSTREAM_READ_TIMEOUT": "1",
    }
    with ServerProcess(database.url, env=env) as server:
        yield server
    database.close()


@pytest.fixture(scope="module")
def visitor(transport_server):
    return new_visitor(transport_server, f"transport-{transport_server.port}@example.com")


def test_answers_and_streams(visitor, fake):
    fake.set(reply="one two three", delay=0.01)
    answer = visitor.chat(model="gpt-4o-mini")
    assert answer.status_code == 200
    assert answer.json()["choices"][0]["message"]["content"] == "one two three"
    for model in ("gpt-4o-mini", "claude-haiku-4-5", "gemini-2.5-flash"):
        response, events = visitor.stream(model=model)
        assert response.status_code == 200 and events[-1] == "[DONE]"
        assert streamed_text(events) == "one two three"


@pytest.mark.parametrize(
    ("fail", "status", "code"),
    [
        ("500", 502, "upstream_error"),
        ("529", 503, "upstream_overloaded"),
        ("hang", 504, "upstream_timeout"),
    ],
)
def test_failures_map_to_the_same_errors(visitor, fake, fail, status, code):
    fake.set(fail=fail)
    response = visitor.chat(model="gpt-4o-mini")
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_a_cut_mid_stream_ends_with_an_error_event(visitor, fake):
    fake.set(reply="a b c d e f", delay=0.01, fail="cut", fail_after=2)
    _, events = visitor.stream(model="gpt-4o-mini")
    assert events[-1] == "[DONE]"
    assert events[-2]["error"]["code"] == "upstream_error"


def test_a_client_that_leaves_closes_the_providers_stream(visitor, fake):
    fake.set(reply=" ".join(["w"] * 200), delay=0.05)
    with visitor.http.stream(
        "POST",
        visitor.server.url + "/v1/chat/completions",
        headers=visitor.headers,
        json={
            "model": "gpt-4o-mini",
            "stream": True,
            "messages": [{"role": "user", "content": "x"}],
        },
    ) as response:
        for line in response.iter_lines():
            if '"content":"w"' in line:
                break
    seen = fake.wait_for(lambda requests: requests and requests[-1]["disconnected"])
    assert seen[-1]["chunks_sent"] < 200


def test_an_unreachable_provider_is_a_502(fake):
    database = TestDatabase("sqlite")
    env = {**fake.env, "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"}
    for transport in TRANSPORTS:
        with ServerProcess(
            database.url, env={**env, "LEGION_UPSTREAM_TRANSPORT": transport}
        ) as server:
            visitor = new_visitor(server, f"unreachable-{transport}@example.com")
            response = visitor.chat(model="gpt-4o-mini")
            assert response.status_code == 502, (transport, response.text)
            assert "Could not connect" in response.json()["error"]["message"]
    database.close()


def test_a_bad_transport_name_is_refused(server):
    result = server.cli("migrate", check=False, env={"LEGION_UPSTREAM_TRANSPORT": "curl"})
    assert result.returncode == 1 and "LEGION_UPSTREAM_TRANSPORT" in result.stderr
