"""Every error row of SPEC §5.2, in OpenAI's shape, and what each one costs (nothing)."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from tests.fakes.fixtures import SITE_ORIGIN, new_visitor, sse_payloads, streamed_text
from tests.support.databases import TestDatabase
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def shared(gateway_sqlite):
    """One user for the tests that must spend nothing (so its wallet never moves)."""
    return new_visitor(gateway_sqlite, "errors-shared@example.com")


@pytest.fixture(scope="module")
def spender(gateway_sqlite):
    """One user for tests that succeed (and so spend)."""
    return new_visitor(gateway_sqlite, "errors-spender@example.com")


@pytest.fixture
def visitor(gateway_sqlite, unique_email):
    """A user of one's own, for tests that change the connection."""
    return new_visitor(gateway_sqlite, unique_email("errors"))


def error_of(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str)
    return error


def assert_nothing_spent(visitor) -> None:
    wallet = visitor.wallet()
    assert wallet["balance_micros"] == 10_000_000
    assert wallet["reserved_micros"] == 0
    assert wallet["month_spend_micros"] == 0


# ------------------------------------------------------------------ 400


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"messages": []}',
        b'{"messages": [{"role": "wizard", "content": "hi"}]}',
        b'{"messages": [{"role": "user"}]}',
        b'{"messages": [{"role": "user", "content": 5}]}',
        b'{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}',
        b'{"messages": [{"role": "user", "content": "hi"}], "user_preferences": "yes"}',
        b'{"messages": [{"role": "user", "content": "hi"}], "user_information": 1}',
        b'{"messages": [{"role": "user", "content": "hi"}], "user_context": null, "n": 2}',
        b'{"messages": [{"role": "user", "content": "hi"}], "context_ids": "abc"}',
        b'{"messages": [{"role": "user", "content": "hi"}], "context_ids": [1, 2]}',
        b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}',
        b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": true}',
        b'{"messages": [{"role": "user", "content": "hi"}], "temperature": 9}',
        b'{"messages": [{"role": "user", "content": "hi"}], "stream": "yes"}',
        b'{"messages": [{"role": "user", "content": "hi"}], '
        b'"stream_options": {"include_usage": true}}',
        b'{"messages": [{"role": "user", "content": "hi"}], "frobnicate": 1}',
        b'{"messages": [{"role": "user", "content": "hi"}], "model": 42}',
        # Half a surrogate pair can't be sent on as UTF-8.
        b'{"messages": [{"role": "user", "content": "\\ud800"}]}',
        b'{"messages": [{"role": "user", "content": "hi"}], "stop": "\\udc00"}',
        # Numbers too big for a float, or for a wallet's worst case.
        b'{"messages": [{"role": "user", "content": "hi"}], "temperature": 1' + b"0" * 400 + b"}",
        b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 100000000000000000000}',
        b'{"messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 2147483648}',
        # Priority processing costs more than the catalog's price.
        b'{"messages": [{"role": "user", "content": "hi"}], "service_tier": "priority"}',
    ],
)
def test_malformed_body_is_400_and_costs_nothing(shared, fake, body):
    response = shared.http.post(
        shared.server.url + "/v1/chat/completions",
        headers={**shared.headers, "Content-Type": "application/json"},
        content=body,
    )
    error_of(response, 400, "invalid_request")
    assert fake.requests == []


def test_extra_fields_of_the_right_types_are_accepted(spender):
    response = spender.chat(
        model="gpt-4o-mini",
        user_preferences=False,
        user_information=True,
        user_context=False,
        context_ids=["page:12", "faq"],
    )
    assert response.status_code == 200, response.text


# ------------------------------------------------------------------ 401 / 403


def test_missing_and_unknown_tokens_are_401_with_www_authenticate(gateway_sqlite, fake):
    fake.reset()
    url = gateway_sqlite.url + "/v1/chat/completions"
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    for headers in ({}, {"Authorization": "Bearer lat_nope"}, {"Authorization": "Basic x"}):
        response = httpx.post(url, json=body, headers=headers)
        error_of(response, 401, "invalid_token")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert fake.requests == []


def test_revoked_token_stops_at_once_despite_the_cache(visitor, fake):
    assert visitor.chat(model="gpt-4o-mini").status_code == 200  # now cached
    revoke = httpx.post(visitor.server.url + "/v1/oauth/revoke", data={"token": visitor.token})
    assert revoke.status_code == 200
    error_of(visitor.chat(model="gpt-4o-mini"), 401, "invalid_token")
    assert len(fake.requests) == 1


def test_deactivated_connection_is_403_at_once(visitor, fake):
    assert visitor.chat(model="gpt-4o-mini").status_code == 200
    visitor.change_connection("deactivate")
    error_of(visitor.chat(model="gpt-4o-mini"), 403, "connection_inactive")
    assert len(fake.requests) == 1


def test_revoked_connection_is_401_at_once(visitor, fake):
    assert visitor.chat(model="gpt-4o-mini").status_code == 200
    visitor.change_connection("revoke")
    error_of(visitor.chat(model="gpt-4o-mini"), 401, "invalid_token")
    assert len(fake.requests) == 1


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_foreign_origin_is_refused_before_anything_is_spent(shared, fake, origin):
    response = shared.chat(model="gpt-4o-mini", headers={"Origin": origin})
    error_of(response, 403, "origin_not_allowed")
    assert "access-control-allow-origin" not in response.headers
    assert "Origin" in response.headers.get("vary", "")  # caches must not share the answer
    assert fake.requests == []
    assert_nothing_spent(shared)


def test_own_origin_gets_cors_on_answers_and_errors(spender):
    response = spender.chat(model="gpt-4o-mini", headers={"Origin": SITE_ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SITE_ORIGIN
    assert "Origin" in response.headers["vary"]
    unknown = spender.chat(model="nope", headers={"Origin": SITE_ORIGIN})
    assert unknown.status_code == 404
    assert unknown.headers["access-control-allow-origin"] == SITE_ORIGIN
    # A dead token's 401 is readable by a registered site, so its widget can refresh.
    dead = httpx.post(
        spender.server.url + "/v1/chat/completions",
        headers={"Authorization": "Bearer lat_dead", "Origin": SITE_ORIGIN},
        json={"messages": [{"role": "user", "content": "hi"}]},
    )
    assert dead.status_code == 401
    assert dead.headers["access-control-allow-origin"] == SITE_ORIGIN


def test_preflight_allows_registered_origins_only(spender):
    url = spender.server.url + "/v1/chat/completions"
    ok = httpx.options(
        url,
        headers={
            "Origin": SITE_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == SITE_ORIGIN
    assert "POST" in ok.headers["access-control-allow-methods"]
    assert "Authorization" in ok.headers["access-control-allow-headers"]
    for origin in ("https://evil.example", "null"):
        refused = httpx.options(url, headers={"Origin": origin})
        assert "access-control-allow-origin" not in refused.headers


# ------------------------------------------------------------------ 404


def test_unknown_model_is_404(shared, fake):
    error_of(shared.chat(model="gpt-9-ultra"), 404, "model_not_found")
    assert fake.requests == []


def test_model_of_an_unconfigured_provider_is_404(fake, unique_email):
    fake.reset()
    database = TestDatabase("sqlite")
    with ServerProcess(database.url, env=fake.env_for("anthropic")) as server:
        visitor = new_visitor(server, unique_email("only-anthropic"))
        error_of(visitor.chat(model="gpt-4o"), 404, "model_not_found")
        # No model named: the server default (gpt-5-nano) has no provider either.
        error_of(visitor.chat(), 404, "model_not_found")
        assert visitor.chat(model="claude-haiku-4-5").status_code == 200
        assert [r["provider"] for r in fake.requests] == ["anthropic"]


def test_app_default_model_is_used_when_the_request_names_none(gateway_sqlite, fake, unique_email):
    fake.reset()
    visitor = new_visitor(gateway_sqlite, unique_email("default"), default_model="gemini-2.0-flash")
    assert visitor.chat().json()["model"] == "gemini-2.0-flash"
    assert fake.requests[-1]["provider"] == "gemini"
    assert visitor.chat(model="gpt-4o-mini").json()["model"] == "gpt-4o-mini"


# ------------------------------------------------------------------ upstream failures


@pytest.mark.parametrize(
    ("model", "fail", "status", "code"),
    [
        ("gpt-4o-mini", "500", 502, "upstream_error"),
        ("claude-haiku-4-5", "401", 502, "upstream_error"),
        ("gemini-2.5-flash", "bad_json", 502, "upstream_error"),
        ("gpt-4o-mini", "cut", 502, "upstream_error"),
        ("claude-haiku-4-5", "529", 503, "upstream_overloaded"),
        ("gpt-4o-mini", "429", 503, "upstream_overloaded"),
        ("gemini-2.5-flash", "503", 503, "upstream_overloaded"),
        ("grok-4-0709", "hang", 504, "upstream_timeout"),
        ("gpt-4o-mini", "400", 400, "invalid_request"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_upstream_failure_before_first_chunk_is_a_json_error(
    shared,
    fake,
    model,
    fail,
    status,
    code,
    stream,
):
    fake.set(fail=fail)
    response = shared.chat(model=model, stream=stream)
    error = error_of(response, status, code)
    if status == 503:
        assert int(response.headers["Retry-After"]) >= 1
    # The provider's words reach site visitors only when they are about the request: what
    # it says of this server's key, limits or insides stays in the server's log.
    assert ("fake" in error["message"].lower()) is (fail == "400")
    assert_nothing_spent(shared)


def test_upstream_retry_after_is_passed_on(shared, fake):
    fake.set(fail="529", retry_after="7")
    response = shared.chat(model="claude-haiku-4-5")
    error_of(response, 503, "upstream_overloaded")
    assert response.headers["Retry-After"] == "7"


@pytest.mark.parametrize("retry_after", ["inf", "1e400", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_unusable_upstream_retry_after_becomes_ours(shared, fake, retry_after):
    fake.set(fail="529", retry_after=retry_after)
    response = shared.chat(model="claude-haiku-4-5")
    error_of(response, 503, "upstream_overloaded")
    assert response.headers["Retry-After"] == "2"
    assert_nothing_spent(shared)


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("gpt-4o-mini", "OPENAI_API_KEY"),
        ("claude-haiku-4-5", "ANTHROPIC_API_KEY"),
        ("gemini-2.5-flash", "GEMINI_API_KEY"),
    ],
)
def test_a_wrong_key_on_our_side_is_502_not_the_clients_fault(fake, unique_email, model, key):
    database = TestDatabase("sqlite")
    with ServerProcess(database.url, env={**fake.env, key: "wrong-key"}) as server:
        visitor = new_visitor(server, unique_email("badkey"))
        body = error_of(visitor.chat(model=model), 502, "upstream_error")
        assert "wrong-key" not in str(body)
        assert_nothing_spent(visitor)
    database.close()


def test_unreachable_provider_is_502(fake, unique_email):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    env = {**fake.env, "OPENAI_BASE_URL": f"http://127.0.0.1:{closed_port}/v1"}
    database = TestDatabase("sqlite")
    with ServerProcess(database.url, env=env) as server:
        visitor = new_visitor(server, unique_email("unreachable"))
        error_of(visitor.chat(model="gpt-4o-mini"), 502, "upstream_error")
        assert_nothing_spent(visitor)


@pytest.mark.parametrize(
    ("model", "fail", "code"),
    [
        ("claude-sonnet-4-6", "error", "upstream_overloaded"),  # overloaded_error event
        ("gpt-4o-mini", "error", "upstream_error"),
        ("gemini-2.5-flash", "error", "upstream_overloaded"),
        ("gpt-4o-mini", "cut", "upstream_error"),
        ("claude-haiku-4-5", "cut", "upstream_error"),
        ("gemini-2.5-flash", "cut", "upstream_error"),
        ("grok-4-0709", "bad_json", "upstream_error"),
        # JSON, but not an event of the provider's format.
        ("gpt-4o-mini", "bad_shape", "upstream_error"),
        ("claude-haiku-4-5", "bad_shape", "upstream_error"),
        ("gemini-2.5-flash", "bad_shape", "upstream_error"),
        ("claude-haiku-4-5", "stall", "upstream_timeout"),
    ],
)
def test_failure_mid_stream_ends_with_error_event_then_done(shared, fake, model, fail, code):
    fake.set(reply="one two three four five six", fail=fail, fail_after=3)
    response, events = shared.stream(model=model, stream_options={"include_usage": True})
    assert response.status_code == 200
    assert events[-1] == "[DONE]"
    assert events[-2]["error"]["code"] == code
    assert streamed_text(events[:-2]) == "one two three"
    assert_nothing_spent(shared)  # a failed upstream call costs nothing


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku-4-5", "gemini-2.5-flash"])
def test_first_event_of_the_wrong_shape_is_a_502_before_the_stream(shared, fake, model):
    fake.set(reply="one two", fail="bad_shape", fail_after=0)
    response, _ = shared.stream(model=model)
    error_of(response, 502, "upstream_error")
    assert_nothing_spent(shared)


def test_get_on_chat_endpoint_is_405_in_openai_shape(gateway_sqlite):
    response = httpx.get(gateway_sqlite.url + "/v1/chat/completions")
    error_of(response, 405, "method_not_allowed")


def test_raw_sse_framing(spender, fake):
    fake.set(reply="a b")
    with spender.http.stream(
        "POST",
        spender.server.url + "/v1/chat/completions",
        headers=spender.headers,
        json={
            "model": "claude-haiku-4-5",
            "stream": True,
            "messages": [{"role": "user", "content": "x"}],
        },
    ) as response:
        raw = response.read().decode()
    assert raw.endswith("data: [DONE]\n\n")
    assert all(block.startswith("data: ") for block in raw.strip().split("\n\n"))
    assert streamed_text(sse_payloads(raw)) == "a b"


@pytest.mark.parametrize(
    ("status", "body", "code", "shown"),
    [
        (400, b'{"error": {"message": "max_tokens: too large"}}', "invalid_request", True),
        # About this server's account, not the visitor's request: not shown, and a 502.
        (
            400,
            b'{"type": "error", "error": {"type": "invalid_request_error",'
            b' "message": "Your credit balance is too low to access the Anthropic API."}}',
            "upstream_error",
            False,
        ),
        (401, b'{"error": {"message": "Incorrect API key provided: sk-abc...wxyz"}}', None, False),
        (429, b'{"error": {"message": "Rate limit reached in organization org-123"}}', None, False),
    ],
)
def test_which_provider_messages_reach_the_client(status, body, code, shown):
    from widget_server.gateway.errors import from_status

    error = from_status("Example", status, body, None)
    if code:
        assert error.code == code
    detail = json.loads(body)["error"]["message"]
    assert (detail in error.message) is shown
