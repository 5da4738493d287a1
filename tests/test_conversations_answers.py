"""Asking in conversations (SPEC §11): answers billed as completions are, event streams,
branches, failures, clients that leave, stop, resume and retries, on both backends."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.fakes.fixtures import new_visitor
from tests.support.conversations import ChatClient, OpenStream, text_of


@pytest.fixture
def chat(gateway_server, unique_email):
    return ChatClient(new_visitor(gateway_server, unique_email()))


def model_requests(fake) -> list[dict]:
    return [r for r in fake.requests if r["path"].endswith(("/chat/completions", "/messages"))]


# ---------------------------------------------------------------- asking


def test_an_ask_saves_both_messages_and_bills_them_as_a_completion(chat, fake):
    fake.set(reply="Four words of answer", prompt_tokens=7, completion_tokens=4)
    conversation = chat.new_conversation()
    response = chat.ask(conversation, "How are you?")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["conversation_id"] == conversation
    question, answer = body["messages"]
    assert (question["role"], question["content"], question["status"]) == (
        "user",
        "How are you?",
        "complete",
    )
    assert question["parent_id"] is None and question["model"] is None
    assert question["usage"] is None and question["cost_micros"] == 0
    assert answer["parent_id"] == question["id"]
    assert (answer["role"], answer["content"], answer["status"]) == (
        "assistant",
        "Four words of answer",
        "complete",
    )
    assert answer["model"] == "gpt-4o-mini"
    assert answer["usage"] == {"prompt_tokens": 7, "completion_tokens": 4}
    # The same ledger as /v1/chat/completions: one row, the price the answer says.
    [row] = chat.visitor.transactions()
    assert (row["prompt_tokens"], row["completion_tokens"]) == (7, 4)
    assert row["total_micros"] == answer["cost_micros"] > 0
    assert row["model"] == "gpt-4o-mini"
    shown = chat.conversation(conversation)
    assert shown["current_message_id"] == answer["id"]
    assert [m["id"] for m in shown["messages"]] == [question["id"], answer["id"]]
    assert shown["message_count"] == 2


def test_the_branch_goes_to_the_model_oldest_first(chat, fake):
    conversation = chat.new_conversation()
    fake.set(reply="First answer")
    chat.ask(conversation, "First question")
    fake.set(reply="Second answer")
    chat.ask(conversation, "Second question")
    sent = model_requests(fake)[-1]["json"]["messages"]
    assert [(m["role"], m["content"]) for m in sent] == [
        ("user", "First question"),
        ("assistant", "First answer"),
        ("user", "Second question"),
    ]


def test_the_first_question_names_the_conversation(chat):
    conversation = chat.new_conversation()
    long_line = "Tell me everything about the history of the Roman empire and its many emperors"
    chat.ask(conversation, long_line + "\nsecond line")
    title = chat.conversation(conversation)["title"]
    assert long_line.startswith(title) and len(title) <= 60 and not title.endswith(" ")
    assert long_line[len(title)] == " "  # cut at a word boundary
    chat.ask(conversation, "Another question")
    assert chat.conversation(conversation)["title"] == title  # only the first names it
    kept = chat.new_conversation()
    chat.ask(kept, "Do not rename", generate_title=False)
    assert chat.conversation(kept)["title"] == "New Conversation"


def test_a_streamed_ask_sends_the_question_the_chunks_and_the_saved_answer(chat, fake):
    fake.set(reply="one two three", delay=0.01)
    conversation = chat.new_conversation()
    status, events = chat.stream(
        f"/conversations/{conversation}/messages", {"content": "Count", "stream": True}
    )
    assert status == 200
    types = [e.type for e in events]
    assert types == ["user_message", "ai_chunk", "ai_chunk", "ai_chunk", "ai_complete", "[DONE]"]
    assert [e.id for e in events[:-1]] == [1, 2, 3, 4, 5]
    assert events[0].data["message"]["content"] == "Count"
    answer = events[-2].data["message"]
    assert text_of(events) == answer["content"] == "one two three"
    assert answer["status"] == "complete" and answer["cost_micros"] > 0
    assert answer["usage"]["completion_tokens"] == 3
    assert all(e.data["message_id"] == answer["id"] for e in events if e.type == "ai_chunk")
    assert chat.message(conversation, answer["id"]) == answer


def test_the_stream_door_and_the_create_door_start_as_the_spec_says(chat, fake):
    fake.set(reply="Hi")
    conversation = chat.new_conversation()
    _, events = chat.stream(f"/conversations/{conversation}/messages/stream", {"content": "A"})
    assert [e.type for e in events] == ["user_message", "ai_chunk", "ai_complete", "[DONE]"]
    status, events = chat.stream("/conversations/stream", {"content": "Hello", "title": "Mine"})
    assert status == 200
    assert [e.type for e in events] == [
        "conversation_created",
        "user_message",
        "ai_chunk",
        "ai_complete",
        "[DONE]",
    ]
    assert [e.id for e in events[:-1]] == [1, 2, 3, 4]
    created = events[0].data
    assert created["conversation"]["title"] == "Mine"
    assert created["user_message"]["content"] == "Hello"
    assert created["user_message"] == events[1].data["message"]
    assert chat.conversation(created["conversation"]["id"])["message_count"] == 2


def test_the_seed_door_asks_in_a_new_or_a_given_conversation(chat, fake):
    fake.set(reply="Seed answer")
    response = chat.request("POST", "/messages", json={"content": "Hi", "model": "gpt-4o-mini"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["response"] == "Seed answer" == body["message"]["content"]
    conversation = body["conversation_id"]
    again = chat.request(
        "POST",
        "/messages",
        json={"content": "More", "conversation_id": conversation, "model": "gpt-4o-mini"},
    )
    assert again.json()["conversation_id"] == conversation
    assert chat.conversation(conversation)["message_count"] == 4
    _status, events = chat.stream("/messages", {"content": "Streamed", "stream": True})
    assert events[0].type == "conversation_created"


# ---------------------------------------------------------------- branches


def test_regenerate_makes_a_sibling_and_switching_branches_shows_each(chat, fake):
    conversation = chat.new_conversation()
    fake.set(reply="First try")
    question, first = chat.ask(conversation, "Question").json()["messages"]
    fake.set(reply="Second try")
    path = f"/conversations/{conversation}/messages/{first['id']}/regenerate"
    response = chat.request("POST", path, json={"model": "gpt-4o-mini"})
    assert response.status_code == 201, response.text
    [second] = response.json()["messages"]
    assert second["parent_id"] == question["id"] and second["content"] == "Second try"
    sent = model_requests(fake)[-1]["json"]["messages"]
    assert [(m["role"], m["content"]) for m in sent] == [("user", "Question")]
    shown = chat.conversation(conversation)
    assert shown["current_message_id"] == second["id"]
    assert [m["id"] for m in shown["messages"]] == [question["id"], second["id"]]
    assert shown["message_count"] == 3
    switched = chat.request(
        "PATCH", f"/conversations/{conversation}", json={"current_message_id": first["id"]}
    )
    assert switched.json()["current_message_id"] == first["id"]
    assert [m["id"] for m in chat.conversation(conversation)["messages"]] == [
        question["id"],
        first["id"],
    ]
    fake.set(reply="Third")
    _, events = chat.stream(path, {"stream": True})
    assert [e.type for e in events] == ["ai_chunk", "ai_complete", "[DONE]"]
    assert [e.id for e in events[:-1]] == [1, 2]


def test_editing_a_question_and_asking_again_is_a_sibling_branch(chat, fake):
    conversation = chat.new_conversation()
    first_q, first_a = chat.ask(conversation, "One").json()["messages"]
    second_q, _ = chat.ask(conversation, "Two").json()["messages"]
    edited_q, edited_a = chat.ask(
        conversation, "Two, edited", parent_id=second_q["parent_id"]
    ).json()["messages"]
    assert edited_q["parent_id"] == first_a["id"] == second_q["parent_id"]
    shown = chat.conversation(conversation)
    assert [m["content"] for m in shown["messages"]][:3] == [
        "One",
        first_a["content"],
        "Two, edited",
    ]
    sent = model_requests(fake)[-1]["json"]["messages"]
    assert [m["content"] for m in sent] == ["One", first_a["content"], "Two, edited"]
    assert shown["message_count"] == 6
    # Switching to the first question's branch reaches the newest leaf below it.
    chat.request(
        "PATCH", f"/conversations/{conversation}", json={"current_message_id": first_q["id"]}
    )
    assert chat.conversation(conversation)["current_message_id"] == edited_a["id"]


def test_a_parent_from_another_conversation_is_404_and_saves_nothing(chat):
    one, other = chat.new_conversation(), chat.new_conversation()
    foreign = chat.ask(other, "Elsewhere").json()["messages"][0]["id"]
    response = chat.ask(one, "Here", parent_id=foreign)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert chat.conversation(one)["message_count"] == 0


# ---------------------------------------------------------------- refusals and failures


def test_refused_asks_save_and_charge_nothing(gateway_server, fake, unique_email):
    poor = ChatClient(new_visitor(gateway_server, unique_email(), credit="0.000001"))
    conversation = poor.new_conversation()
    response = poor.ask(conversation, "Expensive", model="claude-opus-4-6")
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_funds"
    unknown = poor.ask(conversation, "Which model?", model="no-such-model")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    status, _ = poor.stream("/conversations/stream", {"content": "New", "model": "claude-opus-4-6"})
    assert status == 402
    listing = poor.request("GET", "/conversations").json()
    assert listing["total"] == 1 and listing["data"][0]["message_count"] == 0
    assert model_requests(fake) == []
    assert poor.visitor.transactions() == []


def test_a_provider_failure_mid_answer_saves_it_failed_and_charges_nothing(chat, fake):
    conversation = chat.new_conversation()
    fake.set(reply="one two three four five", delay=0.01, fail="error", fail_after=2)
    _, events = chat.stream(
        f"/conversations/{conversation}/messages", {"content": "Go", "stream": True}
    )
    assert [e.type for e in events] == ["user_message", "ai_chunk", "ai_chunk", "error", "[DONE]"]
    assert events[-2].data["error"]["code"] == "upstream_error"
    answer_id = chat.conversation(conversation)["current_message_id"]
    answer = chat.message(conversation, answer_id)
    assert answer["status"] == "failed" and answer["content"] == "one two"
    assert answer["cost_micros"] == 0
    fake.set(fail="529", fail_after=0)
    response = chat.ask(conversation, "Again")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "upstream_overloaded"
    assert chat.visitor.transactions() == []
    assert chat.visitor.wallet()["reserved_micros"] == 0
    # The failed answer is not history for the next question.
    fake.reset()
    chat.ask(conversation, "Third")
    sent = model_requests(fake)[-1]["json"]["messages"]
    assert [m["role"] for m in sent] == ["user", "user", "user"]


def test_a_client_that_leaves_does_not_stop_the_answer(chat, fake):
    fake.set(reply=" ".join(f"w{i}" for i in range(30)), delay=0.03)
    conversation = chat.new_conversation()
    stream = OpenStream(
        chat, f"/conversations/{conversation}/messages", {"content": "Long", "stream": True}
    )
    events = stream.read(3)
    answer_id = events[1].data["message_id"]
    stream.close()
    answer = chat.wait_for_status(conversation, answer_id)
    assert answer["status"] == "complete"
    assert answer["content"] == " ".join(f"w{i}" for i in range(30))
    [row] = chat.visitor.transactions()
    assert row["completion_tokens"] == 30 and row["total_micros"] == answer["cost_micros"]


def test_editing_an_answer_still_being_written_is_a_conflict(chat, fake):
    fake.set(reply="slow answer here", delay=0.2)
    conversation = chat.new_conversation()
    stream = OpenStream(
        chat, f"/conversations/{conversation}/messages", {"content": "Q", "stream": True}
    )
    answer_id = stream.read(2)[1].data["message_id"]
    path = f"/conversations/{conversation}/messages/{answer_id}"
    response = chat.request("PATCH", path, json={"content": "mine"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    stream.rest()
    stream.close()
    assert chat.request("PATCH", path, json={"content": "mine"}).json()["content"] == "mine"


# ---------------------------------------------------------------- stop


def test_stop_ends_the_answer_charges_what_was_generated_and_ends_open_streams(chat, fake):
    fake.set(reply=" ".join(f"w{i}" for i in range(200)), delay=0.05)
    conversation = chat.new_conversation()
    stream = OpenStream(
        chat, f"/conversations/{conversation}/messages", {"content": "Go", "stream": True}
    )
    answer_id = stream.read(4)[1].data["message_id"]
    path = f"/conversations/{conversation}/messages/{answer_id}/stop"
    response = chat.request("POST", path)
    assert response.status_code == 200, response.text
    stopped = response.json()
    assert stopped["status"] == "stopped" and stopped["id"] == answer_id
    assert stopped["content"].startswith("w0 w1 w2") and len(stopped["content"].split()) < 200
    assert stopped["cost_micros"] > 0
    events = stream.rest()
    stream.close()
    assert [e.type for e in events[-2:]] == ["ai_complete", "[DONE]"]
    assert events[-2].data["message"]["status"] == "stopped"
    assert text_of(events) == stopped["content"]
    [row] = chat.visitor.transactions()
    assert row["total_micros"] == stopped["cost_micros"]
    again = chat.request("POST", path)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert chat.visitor.wallet()["reserved_micros"] == 0


# ---------------------------------------------------------------- resume


def test_resume_during_generation_continues_from_the_last_event(chat, fake):
    fake.set(reply=" ".join(f"w{i}" for i in range(40)), delay=0.03)
    conversation = chat.new_conversation()
    stream = OpenStream(
        chat, f"/conversations/{conversation}/messages", {"content": "Go", "stream": True}
    )
    first = stream.read(5)
    stream.close()  # the page navigated away after event 5
    answer_id = first[1].data["message_id"]
    resumed = chat.events(conversation, answer_id, after=first[-1].id)
    assert resumed[0].id == first[-1].id + 1
    ids = [e.id for e in resumed if e.id is not None]
    assert ids == list(range(first[-1].id + 1, first[-1].id + 1 + len(ids)))
    assert resumed[-1].type == "[DONE]" and resumed[-2].type == "ai_complete"
    assert text_of(first) + text_of(resumed) == " ".join(f"w{i}" for i in range(40))


def test_resume_after_the_end_merges_the_rest_into_one_chunk(chat, fake):
    fake.set(reply="a b c d e f")
    conversation = chat.new_conversation()
    _, events = chat.stream(
        f"/conversations/{conversation}/messages", {"content": "Go", "stream": True}
    )
    answer = events[-2].data["message"]
    replay = chat.events(conversation, answer["id"], after=3)
    assert [e.type for e in replay] == ["ai_chunk", "ai_complete", "[DONE]"]
    assert replay[0].id == 7 and replay[0].data["content"] == " c d e f"
    assert replay[1].id == 8 and replay[1].data["message"] == answer
    whole = chat.events(conversation, answer["id"])
    assert [e.type for e in whole] == ["user_message", "ai_chunk", "ai_complete", "[DONE]"]
    assert whole[1].data["content"] == "a b c d e f"
    by_query = chat.request(
        "GET", f"/conversations/{conversation}/messages/{answer['id']}/events?after=8"
    )
    assert [e.type for e in parse(by_query.text)] == ["[DONE]"]


def parse(text):
    from tests.support.conversations import parse_events

    return parse_events(text)


def test_a_failed_answer_resumes_to_its_error(chat, fake):
    fake.set(reply="x y z", fail="error", fail_after=1)
    conversation = chat.new_conversation()
    _, events = chat.stream(
        f"/conversations/{conversation}/messages", {"content": "Go", "stream": True}
    )
    answer_id = events[1].data["message_id"]
    replay = chat.events(conversation, answer_id, after=1)
    assert [e.type for e in replay] == ["ai_chunk", "error", "[DONE]"]
    assert replay[1].data["error"]["code"] == "upstream_error"


# ---------------------------------------------------------------- retries


def test_a_retried_ask_is_answered_once_and_charged_once(chat, fake):
    conversation = chat.new_conversation()
    key = {"Idempotency-Key": "retry-1"}
    first = chat.ask(conversation, "Once", headers=key)
    again = chat.ask(conversation, "Once", headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(model_requests(fake)) == 1
    assert len(chat.visitor.transactions()) == 1
    other = chat.ask(conversation, "Another body", headers=key)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_conflict"
    _status, events = chat.stream(
        f"/conversations/{conversation}/messages",
        {"content": "Once", "stream": True},
        headers=key,
    )
    assert next(e.type for e in events) == "user_message" and events[-1].type == "[DONE]"
    assert events[-2].data["message"] == first.json()["messages"][1]
    bad = chat.ask(conversation, "x", headers={"Idempotency-Key": "k" * 256})
    assert bad.status_code == 400
    assert chat.conversation(conversation)["message_count"] == 2


def test_a_retry_that_races_the_first_call_attaches_to_its_answer(chat, fake):
    fake.set(reply=" ".join(f"w{i}" for i in range(20)), delay=0.03)
    conversation = chat.new_conversation()
    key = {"Idempotency-Key": "race-1"}
    body = {"content": "Racing", "stream": True}
    path = f"/conversations/{conversation}/messages"
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: chat.stream(path, dict(body), headers=key), range(4)))
    answers = {events[-2].data["message"]["id"] for _, events in results}
    assert len(answers) == 1
    texts = {text_of(events) for _, events in results}
    assert texts == {" ".join(f"w{i}" for i in range(20))}
    assert len(model_requests(fake)) == 1
    assert len(chat.visitor.transactions()) == 1
    assert chat.conversation(conversation)["message_count"] == 2


def test_a_conversation_deleted_while_answering_still_pays_the_provider_once(chat, fake):
    fake.set(reply=" ".join(f"w{i}" for i in range(100)), delay=0.03)
    conversation = chat.new_conversation()
    stream = OpenStream(
        chat, f"/conversations/{conversation}/messages", {"content": "Go", "stream": True}
    )
    stream.read(4)
    assert chat.request("DELETE", f"/conversations/{conversation}").status_code == 204
    events = stream.rest()
    stream.close()
    assert events[-1].type == "[DONE]"
    deadline = time.monotonic() + 10
    while not chat.visitor.server.cli_json("transactions", chat.visitor.client_id):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    [row] = chat.visitor.transactions()
    assert 0 < row["completion_tokens"] < 100
    assert chat.visitor.wallet()["reserved_micros"] == 0


def test_concurrent_asks_in_one_conversation_each_get_their_answer(chat, fake):
    fake.set(reply="ok", delay=0.01)
    conversation = chat.new_conversation()
    barrier = threading.Barrier(5)

    def ask(i):
        barrier.wait()
        return chat.ask(conversation, f"q{i}")

    with ThreadPoolExecutor(5) as pool:
        responses = list(pool.map(ask, range(5)))
    assert all(r.status_code == 201 for r in responses)
    assert chat.conversation(conversation)["message_count"] == 10
    assert len(chat.visitor.transactions()) == 5


async def _age_and_purge(url: str) -> None:
    """Push every answer's end and every idempotency key two days back, then purge."""
    from datetime import timedelta

    from sqlalchemy import update

    from widget_server.clock import utcnow
    from widget_server.storage import Database
    from widget_server.storage.maintenance import purge_expired
    from widget_server.storage.schema import idempotency_keys, messages

    db = Database(url)
    try:
        async with db.transaction() as conn:
            old = utcnow() - timedelta(days=2)
            await conn.execute(update(messages).values(updated_at=old))
            await conn.execute(update(idempotency_keys).values(created_at=old))
        await purge_expired(db)
    finally:
        await db.dispose()


def test_a_day_later_replays_keep_their_ids_and_keys_are_free_again(
    make_server, fake, unique_email
):
    from tests.support.databases import run_async

    server = make_server(env=fake.env)
    chat = ChatClient(new_visitor(server, unique_email()))
    fake.set(reply="a b c d")
    conversation = chat.new_conversation()
    key = {"Idempotency-Key": "daily"}
    _, events = chat.stream(
        f"/conversations/{conversation}/messages", {"content": "Go", "stream": True}, headers=key
    )
    answer = events[-2].data["message"]
    run_async(_age_and_purge(server.env["LEGION_DATABASE_URL"]))
    whole = chat.events(conversation, answer["id"])
    assert [(e.type, e.id) for e in whole] == [
        ("user_message", 1),
        ("ai_chunk", 5),
        ("ai_complete", 6),
        ("[DONE]", None),
    ]
    assert whole[1].data["content"] == "a b c d"
    later = chat.events(conversation, answer["id"], after=3)
    assert [(e.type, e.id) for e in later] == [("ai_complete", 6), ("[DONE]", None)]
    assert later[0].data["message"]["content"] == "a b c d"
    reused = chat.ask(conversation, "Another question", headers=key)
    assert reused.status_code == 201


def test_a_revoked_token_stops_reading_and_asking_at_once(chat):
    """Who a token speaks for is cached; whether it is live is checked in each call's own
    transaction, so revocation takes effect before the cache forgets it."""
    conversation = chat.new_conversation()
    assert chat.request("GET", f"/conversations/{conversation}").status_code == 200
    revoked = chat.http.post(
        chat.visitor.server.url + "/v1/oauth/revoke", data={"token": chat.visitor.token}
    )
    assert revoked.status_code == 200
    for method, path in (
        ("GET", f"/conversations/{conversation}"),
        ("GET", "/conversations"),
        ("GET", "/search?q=anything"),
        ("GET", "/export"),
        ("DELETE", f"/conversations/{conversation}"),
    ):
        response = chat.request(method, path)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]["code"] == "invalid_token"
    assert chat.ask(conversation, "Still?").status_code == 401
