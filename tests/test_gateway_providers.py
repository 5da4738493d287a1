"""Each provider, streamed and not, through the real server to real fake upstreams: the
OpenAI shapes the client gets, and what the provider was sent."""

from __future__ import annotations

import pytest

from tests.fakes.fixtures import new_visitor, streamed_text

MODELS = {
    "openai": "gpt-4o-mini",
    "xai": "grok-4-fast-non-reasoning",
    "anthropic": "claude-haiku-4-5",
    "gemini": "gemini-2.5-flash",
}


@pytest.fixture
def visitor(gateway_sqlite, fake, unique_email):
    fake.reset()
    return new_visitor(gateway_sqlite, unique_email("providers"))


@pytest.mark.parametrize("provider", MODELS)
def test_whole_answer_has_openai_shape_and_usage(visitor, fake, provider):
    fake.set(reply="Hello from upstream", prompt_tokens=11, completion_tokens=3)
    response = visitor.chat(model=MODELS[provider])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert body["model"] == MODELS[provider]
    choice = body["choices"][0]
    assert choice["message"] == {**choice["message"], "role": "assistant"}
    assert choice["message"]["content"] == "Hello from upstream"
    assert choice["finish_reason"] == "stop"
    assert body["usage"]["prompt_tokens"] == 11
    assert body["usage"]["completion_tokens"] == 3
    assert body["usage"]["total_tokens"] == 14
    assert [r["provider"] for r in fake.requests] == [provider]


@pytest.mark.parametrize("provider", MODELS)
@pytest.mark.parametrize("include_usage", [True, False])
def test_stream_relays_chunks_and_usage_only_when_asked(visitor, fake, provider, include_usage):
    fake.set(reply="one two three four five", delay=0.01)
    response, events = visitor.stream(
        model=MODELS[provider], stream_options={"include_usage": include_usage}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert streamed_text(events) == "one two three four five"
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    usage_chunks = [c for c in chunks if c.get("usage")]
    if include_usage:
        assert len(usage_chunks) == 1 and usage_chunks[0] is chunks[-1]
        assert chunks[-1]["choices"] == []
        assert chunks[-1]["usage"]["completion_tokens"] == 5
    else:
        assert usage_chunks == []
    # We always need usage to bill, whatever the client asked for.
    sent = fake.requests[-1]["json"]
    if provider in ("openai", "xai"):
        assert sent["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("provider", MODELS)
def test_output_cap_reaches_provider_and_length_finish_comes_back(visitor, fake, provider):
    fake.set(reply="a b c d e f g h")
    response = visitor.chat(model=MODELS[provider], max_tokens=3)
    assert response.json()["choices"][0]["finish_reason"] == "length"
    assert response.json()["choices"][0]["message"]["content"] == "a b c"
    sent = fake.requests[-1]["json"]
    caps = {
        "openai": sent.get("max_tokens"),
        "xai": sent.get("max_tokens"),
        "anthropic": sent.get("max_tokens"),
        "gemini": (sent.get("generationConfig") or {}).get("maxOutputTokens"),
    }
    assert caps[provider] == 3
    response, events = visitor.stream(model=MODELS[provider], max_tokens=2)
    assert streamed_text(events) == "a b"
    assert [c for c in events[:-1] if c["choices"]][-1]["choices"][0]["finish_reason"] == "length"


def test_request_without_max_tokens_gets_the_server_cap(visitor, fake):
    visitor.chat(model="claude-haiku-4-5")
    assert fake.requests[-1]["json"]["max_tokens"] == 8192
    visitor.chat(model="gpt-4o-mini", max_completion_tokens=50)
    assert fake.requests[-1]["json"]["max_completion_tokens"] == 50
    assert "max_tokens" not in fake.requests[-1]["json"]


@pytest.mark.parametrize("stream", [False, True])
def test_server_without_usage_is_billed_by_estimate_and_reports_it(visitor, fake, stream):
    # Some OpenAI-compatible servers send no usage and ignore stream_options.
    fake.set(reply="one two three four", usage=False)
    messages = [{"role": "user", "content": "12345678"}]
    if stream:
        _, events = visitor.stream(
            model="gpt-4o-mini", messages=messages, stream_options={"include_usage": True}
        )
        assert events[-1] == "[DONE]"
        last = events[-2]
        assert last["object"] == "chat.completion.chunk" and last["choices"] == []
        assert last["id"] == events[0]["id"] and last["model"] == "gpt-4o-mini"
        usage = last["usage"]
    else:
        usage = visitor.chat(model="gpt-4o-mini", messages=messages).json()["usage"]
    # Four characters a token: 8 in, 18 out.
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (2, 5, 7)
    [row] = visitor.transactions()
    assert (row["prompt_tokens"], row["completion_tokens"]) == (2, 5)


def test_anthropic_gets_system_prompt_and_merged_turns(visitor, fake):
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": "Speak French."},
        {"role": "user", "content": "Hi"},
        {"role": "user", "content": [{"type": "text", "text": "there"}]},
        {"role": "assistant", "content": "Salut"},
        {"role": "user", "content": "Again"},
    ]
    visitor.chat(model="claude-sonnet-4-5", messages=messages, temperature=1.5, stop="END")
    sent = fake.requests[-1]
    assert sent["headers"]["x-api-key"] == "fake-anthropic-key"
    assert sent["headers"]["anthropic-version"] == "2023-06-01"
    body = sent["json"]
    assert body["system"] == "Be brief.\n\nSpeak French."
    assert body["messages"] == [
        {"role": "user", "content": "Hi\n\nthere"},
        {"role": "assistant", "content": "Salut"},
        {"role": "user", "content": "Again"},
    ]
    assert body["temperature"] == 1.0  # Anthropic's range ends at 1
    assert body["stop_sequences"] == ["END"]


def test_anthropic_thinking_is_billed_as_output_but_not_shown(visitor, fake):
    fake.set(reply="Visible answer", thoughts=40)
    body = visitor.chat(model="claude-opus-4-6").json()
    assert body["choices"][0]["message"]["content"] == "Visible answer"
    assert body["usage"]["completion_tokens"] == 42
    _, events = visitor.stream(model="claude-opus-4-6", stream_options={"include_usage": True})
    assert streamed_text(events) == "Visible answer"
    assert events[-2]["usage"]["completion_tokens"] == 42  # message_delta's cumulative count


def test_gemini_thought_tokens_count_as_output(visitor, fake):
    fake.set(reply="Short reply", thoughts=25, prompt_tokens=7)
    body = visitor.chat(model="gemini-2.5-pro").json()
    assert body["usage"]["completion_tokens"] == 2 + 25
    assert body["usage"]["completion_tokens_details"]["reasoning_tokens"] == 25
    assert body["usage"]["prompt_tokens"] == 7
    _, events = visitor.stream(model="gemini-2.5-pro", stream_options={"include_usage": True})
    assert events[-2]["usage"]["completion_tokens"] == 27
    assert visitor.transactions()[0]["completion_tokens"] == 27


def test_gemini_gets_contents_roles_and_system_instruction(visitor, fake):
    messages = [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Bye"},
    ]
    visitor.chat(model="gemini-2.0-flash", messages=messages, top_p=0.5, seed=4)
    sent = fake.requests[-1]
    assert sent["path"].endswith("/v1beta/models/gemini-2.0-flash:generateContent")
    assert sent["headers"]["x-goog-api-key"] == "fake-gemini-key"
    body = sent["json"]
    assert body["systemInstruction"] == {"parts": [{"text": "Be kind."}]}
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert body["generationConfig"]["topP"] == 0.5
    assert body["generationConfig"]["seed"] == 4
    visitor.stream(model="gemini-2.0-flash")
    assert fake.requests[-1]["path"].endswith(":streamGenerateContent")
    assert fake.requests[-1]["query"] == {"alt": "sse"}


def test_openai_request_is_forwarded_as_sent(visitor, fake):
    visitor.chat(
        model="gpt-4o",
        temperature=0.3,
        response_format={"type": "json_object"},
        seed=7,
        user_preferences=False,
        context_ids=["a", "b"],
    )
    sent = fake.requests[-1]
    assert sent["headers"]["authorization"] == "Bearer fake-openai-key"
    body = sent["json"]
    assert body["model"] == "gpt-4o"
    assert body["temperature"] == 0.3
    assert body["response_format"] == {"type": "json_object"}
    assert body["seed"] == 7
    # Legion's own fields stay with Legion.
    for name in ("user_preferences", "user_information", "user_context", "context_ids"):
        assert name not in body


def test_store_and_metadata_are_accepted_but_never_forwarded(visitor, fake):
    response = visitor.chat(model="gpt-4o", store=True, metadata={"visitor": "x"})
    assert response.status_code == 200, response.text
    body = fake.requests[-1]["json"]
    assert "store" not in body and "metadata" not in body


def test_openai_only_features_are_refused_for_other_providers(visitor, fake):
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    response = visitor.chat(model="claude-haiku-4-5", tools=tools)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert visitor.chat(model="gpt-4o-mini", tools=tools).status_code == 200
    assert [r["provider"] for r in fake.requests] == ["openai"]


def test_saved_preferences_join_the_first_system_message(visitor, fake):
    """SPEC §15: the preferences are appended to the request's own system message, after
    its text, so the provider sees one system message."""
    visitor.set_preferences("Answer in haiku.")
    messages = [{"role": "system", "content": "Site prompt."}, {"role": "user", "content": "Hi"}]
    visitor.chat(model="gpt-4o-mini", messages=messages)
    sent = fake.requests[-1]["json"]["messages"]
    assert sent == [
        {"role": "system", "content": "Site prompt.\n\n[User Preferences]\nAnswer in haiku."},
        {"role": "user", "content": "Hi"},
    ]
    visitor.chat(model="claude-haiku-4-5", messages=messages)
    system = fake.requests[-1]["json"]["system"]
    system_text = system if isinstance(system, str) else "".join(b["text"] for b in system)
    assert system_text.startswith("Site prompt.") and "Answer in haiku." in system_text
    visitor.chat(model="gpt-4o-mini", messages=messages, user_preferences=False)
    assert fake.requests[-1]["json"]["messages"] == messages


def test_preferences_saved_while_connected_apply_to_the_next_request(visitor, fake):
    visitor.chat(model="gpt-4o-mini")  # the token is known (and cached) from here on
    assert len(fake.requests[-1]["json"]["messages"]) == 1
    visitor.set_preferences("Answer like a pirate.")
    visitor.chat(model="gpt-4o-mini")
    sent = fake.requests[-1]["json"]["messages"]
    # No system message of the request's own: one is made at the start.
    assert sent[0] == {"role": "system", "content": "[User Preferences]\nAnswer like a pirate."}
    assert len(sent) == 2
    visitor.set_preferences("")
    visitor.chat(model="gpt-4o-mini")
    assert len(fake.requests[-1]["json"]["messages"]) == 1


def test_update_app_applies_to_the_next_request_of_a_known_token(visitor, fake):
    """The CLI runs in a process of its own; the server's token cache must not keep the
    app's old margin or default model."""
    server = visitor.server
    fake.set(prompt_tokens=1000, completion_tokens=1000)
    visitor.chat(model="gpt-4o-mini")
    server.cli("update-app", visitor.client_id, "--margin", "0", "--default-model", "grok-4-0709")
    assert visitor.chat().status_code == 200  # no model named: the app's new default
    assert fake.requests[-1]["provider"] == "xai"
    newer, older = visitor.transactions()
    assert (older["model"], older["margin_micros"]) == ("gpt-4o-mini", 375)
    assert (newer["model"], newer["margin_micros"]) == ("grok-4-0709", 0)
    server.cli("update-app", visitor.client_id, "--default-model", "demo")  # not served here
    response = visitor.chat()
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"
    assert visitor.wallet()["reserved_micros"] == 0


def test_demo_model_is_not_offered_when_providers_are_configured(visitor, fake):
    response = visitor.chat(model="demo")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"
    assert fake.requests == []


@pytest.mark.parametrize("reply", ["Hello from upstream", "Half a pair: \ud800 kept"])
def test_an_openai_answer_reaches_the_client_as_the_provider_sent_it(visitor, fake, reply):
    """Nothing in it must change, so it is not decoded and encoded again (issue 14), even
    with a lone surrogate escape, which the fast reader refuses and Python's takes."""
    fake.set(reply=reply, prompt_tokens=5, completion_tokens=4)
    response = visitor.chat(model="gpt-4o-mini")
    assert response.status_code == 200, response.text
    assert response.content == fake.requests[-1]["answer"].encode()
    assert response.headers["content-type"] == "application/json"
    [row] = visitor.transactions()
    assert (row["prompt_tokens"], row["completion_tokens"]) == (5, 4)
