"""The official OpenAI Python client, pointed at the server, gets the same objects it gets
from an OpenAI-compatible provider, streaming included, and errors it knows."""

from __future__ import annotations

import openai
import pytest

from tests.fakes.fixtures import new_visitor


@pytest.fixture(scope="module")
def visitor(gateway_sqlite):
    return new_visitor(gateway_sqlite, "openai-client@example.com")


def clients(visitor, fake):
    ours = openai.OpenAI(base_url=visitor.server.url + "/v1", api_key=visitor.token, max_retries=0)
    theirs = openai.OpenAI(
        base_url=fake.env["OPENAI_BASE_URL"], api_key=fake.env["OPENAI_API_KEY"], max_retries=0
    )
    return ours, theirs


def shape(value):
    """The structure of a parsed object: field names and types, not values."""
    if isinstance(value, openai.BaseModel):
        return {k: shape(v) for k, v in value}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


MESSAGES = [{"role": "user", "content": "Hello"}]


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku-4-5", "gemini-2.5-flash"])
def test_completion_objects_match_openai(visitor, fake, model):
    ours, theirs = clients(visitor, fake)
    fake.set(reply="Same answer", prompt_tokens=4, completion_tokens=2)
    got = ours.chat.completions.create(model=model, messages=MESSAGES)
    expected = theirs.chat.completions.create(model=model, messages=MESSAGES)
    assert isinstance(got, openai.types.chat.ChatCompletion)
    assert got.choices[0].message.content == expected.choices[0].message.content
    assert got.choices[0].finish_reason == expected.choices[0].finish_reason == "stop"
    assert got.usage.prompt_tokens == 4 and got.usage.completion_tokens == 2
    assert got.model == model and got.object == "chat.completion"
    top = ("id", "object", "created", "model", "choices", "usage")
    assert {k: shape(getattr(got, k)) for k in top if k != "usage"} == {
        k: shape(getattr(expected, k)) for k in top if k != "usage"
    }


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku-4-5", "gemini-2.5-flash"])
def test_streamed_chunks_match_openai(visitor, fake, model):
    ours, theirs = clients(visitor, fake)
    fake.set(reply="one two three", delay=0.01)
    options = {"include_usage": True}
    got = list(
        ours.chat.completions.create(
            model=model, messages=MESSAGES, stream=True, stream_options=options
        )
    )
    expected = list(
        theirs.chat.completions.create(
            model=model, messages=MESSAGES, stream=True, stream_options=options
        )
    )
    assert all(isinstance(c, openai.types.chat.ChatCompletionChunk) for c in got)
    text = "".join(c.choices[0].delta.content or "" for c in got if c.choices)
    assert text == "one two three"
    assert [c.choices[0].finish_reason for c in got if c.choices][-1] == "stop"
    assert got[-1].choices == [] and got[-1].usage.completion_tokens == 3
    assert len(got) == len(expected)
    assert [shape(c.choices) for c in got] == [shape(c.choices) for c in expected]


def test_client_errors_map_to_openai_exceptions(visitor, fake, gateway_sqlite):
    ours, _ = clients(visitor, fake)
    with pytest.raises(openai.NotFoundError) as not_found:
        ours.chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert not_found.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError):
        ours.chat.completions.create(model="gpt-4o-mini", messages=[])
    fake.set(fail="529")
    with pytest.raises(openai.InternalServerError) as overloaded:
        ours.chat.completions.create(model="claude-haiku-4-5", messages=MESSAGES)
    assert overloaded.value.status_code == 503
    fake.set(fail="error", fail_after=1, reply="a b c")
    with pytest.raises(openai.APIError):
        list(ours.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    fake.reset()
    stranger = openai.OpenAI(
        base_url=gateway_sqlite.url + "/v1", api_key="lat_unknown", max_retries=0
    )
    with pytest.raises(openai.AuthenticationError):
        stranger.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def test_empty_wallet_is_a_402_status_error_not_a_retried_429(gateway_sqlite, fake):
    poor = new_visitor(gateway_sqlite, "openai-client-poor@example.com", credit="0.000001")
    client = openai.OpenAI(base_url=gateway_sqlite.url + "/v1", api_key=poor.token)
    with pytest.raises(openai.APIStatusError) as error:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert error.value.status_code == 402
    assert error.value.code == "insufficient_funds"
    assert fake.requests == []


def test_models_list_through_the_client(visitor, fake):
    ours, _ = clients(visitor, fake)
    ids = [m.id for m in ours.models.list()]
    assert "gpt-5-nano" in ids and "claude-opus-4-6" in ids and "gemini-3-pro-preview" in ids
    assert "grok-4-0709" in ids and "demo" not in ids
    assert ours.models.retrieve("gpt-4o").owned_by == "openai"


def test_the_fake_refuses_what_openai_refuses_for_reasoning_models(fake):
    """The double is as strict as the real API, so the next test can fail."""
    direct = openai.OpenAI(
        base_url=fake.env["OPENAI_BASE_URL"], api_key=fake.env["OPENAI_API_KEY"], max_retries=0
    )
    for refused in ({"max_tokens": 10}, {"temperature": 0.2}):
        with pytest.raises(openai.BadRequestError) as error:
            direct.chat.completions.create(model="gpt-5-nano", messages=MESSAGES, **refused)
        assert error.value.param == next(iter(refused))
    answer = direct.chat.completions.create(
        model="gpt-5-nano", messages=MESSAGES, max_completion_tokens=10, temperature=1
    )
    assert answer.choices[0].message.content


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("cap", [{}, {"max_tokens": 40}, {"max_completion_tokens": 40}])
def test_reasoning_models_get_their_cap_field_behind_any_base_url(visitor, fake, stream, cap):
    """gpt-5 behind a base URL that is not OpenAI's own host (a proxy, a replaying server):
    the cap goes as max_completion_tokens whichever field the client used, or none."""
    ours, _ = clients(visitor, fake)
    fake.set(reply="Reasoned answer")
    answer = ours.chat.completions.create(
        model="gpt-5-nano", messages=MESSAGES, stream=stream, **cap
    )
    chunks = list(answer) if stream else None
    text = (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        if stream
        else answer.choices[0].message.content
    )
    assert text == "Reasoned answer"
    sent = fake.requests[-1]["json"]
    assert "max_tokens" not in sent
    assert sent["max_completion_tokens"] == (40 if cap else 8192)


def test_a_model_the_catalog_leaves_open_keeps_the_clients_field(visitor, fake):
    """gpt-4o takes both fields: the client's choice goes through as sent."""
    ours, _ = clients(visitor, fake)
    ours.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=30)
    assert fake.requests[-1]["json"]["max_tokens"] == 30
    assert "max_completion_tokens" not in fake.requests[-1]["json"]


def test_temperature_for_a_reasoning_model_is_the_visitors_400(visitor, fake):
    ours, _ = clients(visitor, fake)
    with pytest.raises(openai.BadRequestError) as error:
        ours.chat.completions.create(model="gpt-5-nano", messages=MESSAGES, temperature=0.3)
    assert error.value.code == "invalid_request"
    assert "temperature" in error.value.message
