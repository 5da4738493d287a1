"""``/v1/models`` lists what the server can answer with; the demo model only where it is
the embedded default, and never for a request that names another model."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.fixtures import new_visitor, streamed_text
from tests.support.databases import TestDatabase
from tests.support.server import ServerProcess

SEED = {
    "openai": {"gpt-5-nano", "gpt-5-mini", "gpt-5-pro", "gpt-4o", "gpt-4o-mini"},
    "anthropic": {
        "claude-opus-4-6",
        "claude-sonnet-4-6",
        "claude-opus-4-5",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
    },
    "gemini": {
        "gemini-2.0-flash",
        "gemini-2.0-pro",
        "gemini-2.5-flash",
        "gemini-2.5-pro",
        "gemini-3.1-pro-preview",
        "gemini-3-flash-preview",
        "gemini-3-pro-preview",
    },
    "xai": {
        "grok-4-1-fast-reasoning",
        "grok-4-1-fast-non-reasoning",
        "grok-4-fast-reasoning",
        "grok-4-fast-non-reasoning",
        "grok-4-0709",
    },
}


def listed(server) -> set[str]:
    response = httpx.get(server.url + "/v1/models", headers={"Origin": "https://any.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    assert body["object"] == "list"
    for model in body["data"]:
        assert set(model) == {"id", "object", "created", "owned_by"}
        assert model["object"] == "model" and isinstance(model["created"], int)
    return {model["id"] for model in body["data"]}


def test_every_seed_model_is_listed_when_every_provider_is_configured(gateway_sqlite):
    assert listed(gateway_sqlite) == set().union(*SEED.values())


@pytest.mark.parametrize("provider", ["anthropic", "gemini"])
def test_only_configured_providers_are_listed(fake, provider):
    with ServerProcess(TestDatabase("sqlite").url, env=fake.env_for(provider)) as server:
        assert listed(server) == SEED[provider]


def test_no_provider_lists_and_serves_only_the_demo(fake, unique_email):
    fake.reset()
    with ServerProcess(TestDatabase("sqlite").url) as server:
        assert listed(server) == {"demo"}
        visitor = new_visitor(server, unique_email("demo"))
        missing = visitor.chat(model="gpt-5-nano")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "model_not_found"
        reply = visitor.chat(model="demo").json()["choices"][0]["message"]["content"]
        assert "demo" in reply and "OPENAI_API_KEY" in reply
        _, events = visitor.stream(model="demo")
        assert streamed_text(events) == reply and events[-1] == "[DONE]"
        [_, row] = visitor.transactions()
        assert row["model"] == "demo" and row["total_micros"] == 0
    assert fake.requests == []


def test_demo_server_with_providers_lists_both(fake):
    with ServerProcess(TestDatabase("sqlite").url, env=fake.env_for("xai"), demo=True) as server:
        assert listed(server) == SEED["xai"] | {"demo"}


def test_models_preflight_allows_any_origin(gateway_sqlite):
    response = httpx.options(
        gateway_sqlite.url + "/v1/models",
        headers={"Origin": "https://any.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"


def test_unknown_default_model_is_refused_by_create_app(gateway_sqlite):
    result = gateway_sqlite.cli(
        "create-app",
        "--name",
        "x",
        "--redirect-uris",
        "https://x.example/cb",
        "--default-model",
        "nope",
        check=False,
    )
    assert result.returncode == 1
    assert "unknown model 'nope'" in result.stderr
