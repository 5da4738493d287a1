"""The conversation API apart from generation (SPEC §11), on SQLite and PostgreSQL: the app's
public info, conversations and their branches, listing and paging, messages, the save form,
feedback, deletion, full-text search, export, who may see what, CORS and bad input.

Asking, streaming, resuming, stopping and retries are tested in
``test_conversations_answers.py``; here a plain ask only makes a branch to look at.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.fixtures import REDIRECT_URI, SITE_ORIGIN, connect_again, new_visitor
from tests.support.conversations import ChatClient

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
CONVERSATION_FIELDS = {
    "id",
    "object",
    "title",
    "created_at",
    "updated_at",
    "archived",
    "message_count",
    "current_message_id",
}
MESSAGE_FIELDS = {
    "id",
    "object",
    "conversation_id",
    "parent_id",
    "role",
    "content",
    "status",
    "model",
    "usage",
    "cost_micros",
    "feedback",
    "sources",
    "created_at",
    "updated_at",
}
CONVERSATION_LIST_FIELDS = {"object", "data", "total", "has_more", "next_cursor"}
MESSAGE_LIST_FIELDS = {"object", "data", "total", "limit", "offset", "has_more", "next_cursor"}
SEARCH_FIELDS = {"object", "data", "has_more", "next_cursor"}
OTHER_ORIGIN = "https://other.example"
FOREIGN_ORIGIN = "https://evil.example"
MODEL = "gpt-4o-mini"
MAX_CONTENT = 100_000


# ---------------------------------------------------------------- helpers


class Chat(ChatClient):
    """A visitor's view of ``/v1/chat/{client_id}``, with the calls these tests repeat."""

    def save(self, conversation_id: str, *items) -> list[dict]:
        """Save messages (strings alternate user/assistant; dicts go as given)."""
        messages = [
            item if isinstance(item, dict) else {"role": _role(i), "content": item}
            for i, item in enumerate(items)
        ]
        response = self.request(
            "POST", f"/conversations/{conversation_id}/messages", json={"messages": messages}
        )
        assert response.status_code == 201, response.text
        return response.json()["messages"]

    def conversations(self, **params) -> dict:
        response = self.request("GET", "/conversations", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def messages(self, conversation_id: str, **params) -> dict:
        response = self.request("GET", f"/conversations/{conversation_id}/messages", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def search(self, q: str, **params) -> dict:
        response = self.request("GET", "/search", params={"q": q, **params})
        assert response.status_code == 200, (q[:50], response.text)
        return response.json()

    def found(self, q: str) -> set[str]:
        """Ids of every message a search finds, through all its pages."""
        ids: list[str] = []
        cursor = None
        while True:
            page = self.search(q, limit=100, **({"cursor": cursor} if cursor else {}))
            ids += [hit["message"]["id"] for hit in page["data"]]
            if not page["has_more"]:
                break
            cursor = page["next_cursor"]
        assert len(ids) == len(set(ids)), "a search page repeated a hit"
        return set(ids)

    def patch(self, conversation_id: str, **changes) -> httpx.Response:
        return self.request("PATCH", f"/conversations/{conversation_id}", json=changes)


def _role(index: int) -> str:
    return "user" if index % 2 == 0 else "assistant"


def _email(server, label: str) -> str:
    return f"conv-{label}-{server.backend}-{secrets.token_hex(4)}@example.com"


def fresh(server, label: str, **options) -> Chat:
    """A new user with an app of their own: for tests that count or list everything."""
    return Chat(new_visitor(server, _email(server, label), **options))


def word() -> str:
    """A word no other message has (letters and digits: one token to both indexes)."""
    return "zq" + secrets.token_hex(5)


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"message", "type", "code"} <= set(error), error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str) and error["type"]
    assert error["code"] == code, error
    return error


def assert_names(error: dict, field: str) -> None:
    assert field in error["message"] or error.get("param") == field, error


def assert_timestamp(value: str) -> datetime:
    assert ISO_MS.match(value), value
    moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=5), value  # UTC, not local
    return moment


def assert_message_shape(message: dict) -> None:
    assert set(message) == MESSAGE_FIELDS, sorted(message)
    assert message["object"] == "message"
    assert message["role"] in ("user", "assistant")
    assert message["status"] in ("complete", "in_progress", "stopped", "failed")
    assert isinstance(message["sources"], list)
    assert isinstance(message["cost_micros"], int)
    assert_timestamp(message["created_at"])
    assert_timestamp(message["updated_at"])


def model_calls(fake) -> list[dict]:
    return [r for r in fake.requests if r["path"].endswith(("/chat/completions", "/messages"))]


def ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


def walk(fetch, limit: int) -> list[dict]:
    """Every item of a cursor-paged list, a page of ``limit`` at a time."""
    items: list[dict] = []
    cursor = None
    for _ in range(1000):
        page = fetch(limit=limit, **({"cursor": cursor} if cursor else {}))
        assert len(page["data"]) <= limit
        items += page["data"]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return items
        assert len(page["data"]) == limit
        cursor = page["next_cursor"]
        assert isinstance(cursor, str) and cursor
    raise AssertionError("the pages never ended")


def branched(chat: Chat, fake) -> tuple[str, dict[str, str]]:
    """A conversation with two branches after the first answer:

    u1 - a1 - u2 - a2          (saved)
            \\ u2b - a2b       (asked later with parent_id = a1: the current branch)
    """
    conversation = chat.new_conversation("Branches")
    u1, a1, u2, a2 = chat.save(
        conversation, "First question", "First answer", "Second question", "Second answer"
    )
    fake.set(reply="The edited answer")
    asked = chat.ask(conversation, "Second question, edited", parent_id=a1["id"])
    assert asked.status_code == 201, asked.text
    u2b, a2b = asked.json()["messages"]
    return conversation, {
        "u1": u1["id"],
        "a1": a1["id"],
        "u2": u2["id"],
        "a2": a2["id"],
        "u2b": u2b["id"],
        "a2b": a2b["id"],
    }


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def alice(gateway_server) -> Chat:
    return fresh(gateway_server, "alice", name="Alice's site", app_type="chat")


@pytest.fixture(scope="module")
def bob(gateway_server) -> Chat:
    """Another user, with an app of his own registered for another origin."""
    return fresh(gateway_server, "bob", redirect_uri=OTHER_ORIGIN + "/legion-callback")


@pytest.fixture(scope="module")
def alice_elsewhere(gateway_server, alice) -> Chat:
    """Alice again, connected to a second app (same origin as her first)."""
    client_id = gateway_server.create_app(REDIRECT_URI)["client_id"]
    return Chat(connect_again(alice.visitor, client_id))


@pytest.fixture(scope="module")
def alices_things(alice) -> dict[str, str]:
    """One conversation of Alice's with a question and an answer, left untouched."""
    conversation = alice.new_conversation("Alice's secret plans")
    question, answer = alice.save(conversation, "What is the plan?", "The plan is secret.")
    return {"c": conversation, "m": question["id"], "a": answer["id"]}


# ---------------------------------------------------------------- info


def test_info_is_public_and_names_the_app(alice):
    response = httpx.get(f"{alice.base}/info")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "client_id": alice.visitor.client_id,
        "name": "Alice's site",
        "description": "",
        "type": "chat",
        "has_system_prompt": False,
    }


def test_info_of_an_unknown_app_is_404(gateway_server):
    response = httpx.get(f"{gateway_server.url}/v1/chat/no-such-app/info")
    assert_error(response, 404, "not_found")


# ---------------------------------------------------------------- conversations


def test_create_answers_201_with_every_field_and_the_default_title(alice):
    response = alice.request("POST", "/conversations", json={})
    assert response.status_code == 201, response.text
    conversation = response.json()
    assert set(conversation) == CONVERSATION_FIELDS
    assert isinstance(conversation["id"], str) and conversation["id"]
    assert conversation["object"] == "conversation"
    assert conversation["title"] == "New Conversation"
    assert conversation["archived"] is False
    assert conversation["message_count"] == 0
    assert conversation["current_message_id"] is None
    assert_timestamp(conversation["created_at"])
    assert_timestamp(conversation["updated_at"])
    assert conversation["created_at"] <= conversation["updated_at"]
    # An empty body is the same as {}.
    response = alice.request("POST", "/conversations")
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "New Conversation"


def test_create_keeps_a_title_of_1_to_200_characters(alice):
    for title in ("x", "T" * 200, "Ünïcödé ✓ 検索"):
        response = alice.request("POST", "/conversations", json={"title": title})
        assert response.status_code == 201, response.text
        assert response.json()["title"] == title
        assert alice.conversation(response.json()["id"])["title"] == title


def test_create_refuses_an_empty_or_too_long_title_and_saves_nothing(gateway_server):
    chat = fresh(gateway_server, "titles")
    for title in ("", "T" * 201, 5, ["x"]):
        error = assert_error(
            chat.request("POST", "/conversations", json={"title": title}), 400, "invalid_request"
        )
        assert_names(error, "title")
    assert chat.conversations()["total"] == 0
    assert chat.conversations(archived="true")["total"] == 0


def test_get_shows_the_conversation_and_its_current_branch_oldest_first(alice, fake):
    conversation, m = branched(alice, fake)
    shown = alice.conversation(conversation)
    assert set(shown) == CONVERSATION_FIELDS | {"messages"}
    assert shown["id"] == conversation and shown["object"] == "conversation"
    assert shown["message_count"] == 6  # every branch counts
    assert shown["current_message_id"] == m["a2b"]
    assert ids(shown["messages"]) == [m["u1"], m["a1"], m["u2b"], m["a2b"]]
    for message in shown["messages"]:
        assert_message_shape(message)
        assert message["conversation_id"] == conversation
    parents = [msg["parent_id"] for msg in shown["messages"]]
    assert parents == [None, m["u1"], m["a1"], m["u2b"]]


def test_patch_current_message_switches_branch_following_the_newest_child(alice, fake):
    conversation, m = branched(alice, fake)
    # Any message of the older branch shows that branch, down to its leaf.
    response = alice.patch(conversation, current_message_id=m["u2"])
    assert response.status_code == 200, response.text
    assert set(response.json()) == CONVERSATION_FIELDS
    assert response.json()["current_message_id"] == m["a2"]
    shown = alice.conversation(conversation)
    assert ids(shown["messages"]) == [m["u1"], m["a1"], m["u2"], m["a2"]]
    assert shown["message_count"] == 6
    # Above the fork, the newest child is taken at each level: the later branch.
    for start in ("a1", "u1"):
        response = alice.patch(conversation, current_message_id=m[start])
        assert response.json()["current_message_id"] == m["a2b"], start
    assert ids(alice.conversation(conversation)["messages"]) == [
        m["u1"],
        m["a1"],
        m["u2b"],
        m["a2b"],
    ]
    # A leaf is its own leaf.
    assert (
        alice.patch(conversation, current_message_id=m["a2"]).json()["current_message_id"]
        == (m["a2"])
    )


def test_patch_current_message_to_an_unknown_or_foreign_message_is_404(alice, alices_things):
    conversation = alice.new_conversation()
    [kept] = alice.save(conversation, "Only message")
    for bad in ("msg_does_not_exist", alices_things["m"]):  # the other is another conversation's
        assert_error(alice.patch(conversation, current_message_id=bad), 404, "not_found")
    assert alice.conversation(conversation)["current_message_id"] == kept["id"]


def test_patch_changes_title_and_archived_and_touches_updated_at(alice):
    conversation = alice.new_conversation("Before")
    before = alice.conversation(conversation)
    response = alice.patch(conversation, title="After")
    assert response.status_code == 200, response.text
    after = response.json()
    assert set(after) == CONVERSATION_FIELDS
    assert (after["title"], after["archived"]) == ("After", False)
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] >= before["updated_at"]
    after = alice.patch(conversation, archived=True).json()
    assert (after["title"], after["archived"]) == ("After", True)
    after = alice.patch(conversation, archived=False, title="Again").json()
    assert (after["title"], after["archived"]) == ("Again", False)
    shown = alice.conversation(conversation)
    assert (shown["title"], shown["archived"]) == ("Again", False)


def test_patch_refuses_bad_values_and_changes_nothing(alice):
    conversation = alice.new_conversation("Unchanged")
    for body, field in (
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 7}, "title"),
        ({"archived": "yes"}, "archived"),
        ({"current_message_id": 12}, "current_message_id"),
        ({"title": "New", "colour": "red"}, "colour"),
    ):
        error = assert_error(alice.patch(conversation, **body), 400, "invalid_request")
        assert_names(error, field)
    shown = alice.conversation(conversation)
    assert (shown["title"], shown["archived"]) == ("Unchanged", False)


def test_delete_a_conversation_answers_204_then_it_is_gone(alice):
    conversation = alice.new_conversation("Doomed")
    [message] = alice.save(conversation, "Bye")
    response = alice.request("DELETE", f"/conversations/{conversation}")
    assert response.status_code == 204
    assert response.content == b""
    assert_error(alice.request("GET", f"/conversations/{conversation}"), 404, "not_found")
    assert_error(alice.request("GET", f"/conversations/{conversation}/messages"), 404, "not_found")
    assert_error(
        alice.request("GET", f"/conversations/{conversation}/messages/{message['id']}"),
        404,
        "not_found",
    )
    assert_error(alice.request("DELETE", f"/conversations/{conversation}"), 404, "not_found")
    assert conversation not in ids(alice.conversations(limit=100, q="Doomed")["data"])


def test_delete_all_removes_only_the_callers_conversations_with_this_app(
    gateway_server, alice, bob, alices_things
):
    chat = fresh(gateway_server, "delete-all")
    elsewhere = Chat(
        connect_again(chat.visitor, bob.visitor.client_id, OTHER_ORIGIN + "/legion-callback")
    )
    kept_elsewhere = elsewhere.new_conversation("Kept with the other app")
    marker = word()
    doomed = [chat.new_conversation(f"Doomed {i}") for i in range(3)]
    chat.save(doomed[0], f"{marker} one", "two")
    chat.patch(doomed[1], archived=True)
    response = chat.request("DELETE", "/conversations")
    assert response.status_code == 204
    assert response.content == b""
    assert chat.conversations()["total"] == 0
    assert chat.conversations(archived="true")["total"] == 0  # archived ones went too
    for conversation in doomed:
        assert_error(chat.request("GET", f"/conversations/{conversation}"), 404, "not_found")
    assert chat.found(marker) == set()
    # The same user's conversations with another app, and other users', stay.
    assert elsewhere.conversation(kept_elsewhere)["title"] == "Kept with the other app"
    assert ids(elsewhere.conversations()["data"]) == [kept_elsewhere]
    _assert_untouched(alice, alices_things)


# ---------------------------------------------------------------- listing


def test_list_has_its_shape_and_puts_the_most_recently_updated_first(gateway_server):
    chat = fresh(gateway_server, "order")
    first, second, third = (chat.new_conversation(name) for name in ("First", "Second", "Third"))
    page = chat.conversations()
    assert set(page) == CONVERSATION_LIST_FIELDS
    assert page["object"] == "list"
    assert (page["total"], page["has_more"], page["next_cursor"]) == (3, False, None)
    assert ids(page["data"]) == [third, second, first]
    for conversation in page["data"]:
        assert set(conversation) == CONVERSATION_FIELDS
    chat.save(first, "A message touches its conversation")
    assert ids(chat.conversations()["data"]) == [first, third, second]
    chat.patch(second, title="Renamed")
    assert ids(chat.conversations()["data"]) == [second, first, third]
    updated = [c["updated_at"] for c in chat.conversations()["data"]]
    assert updated == sorted(updated, reverse=True)


@pytest.fixture(scope="module")
def crowd(gateway_server) -> tuple[Chat, list[str]]:
    """A user with 45 conversations (read-only), and their ids as the full list shows them."""
    chat = fresh(gateway_server, "crowd")
    for i in range(45):
        chat.new_conversation(f"Crowd {i:02d}")
    every = chat.conversations(limit=100)
    assert every["total"] == 45 and len(every["data"]) == 45 and not every["has_more"]
    return chat, ids(every["data"])


def test_list_limit_defaults_to_20_and_must_be_1_to_100(crowd):
    chat, every = crowd
    page = chat.conversations()
    assert ids(page["data"]) == every[:20]
    assert (page["total"], page["has_more"]) == (45, True)
    assert isinstance(page["next_cursor"], str) and page["next_cursor"]
    assert ids(chat.conversations(limit=1)["data"]) == every[:1]
    assert ids(chat.conversations(limit=100)["data"]) == every
    for bad in ("0", "101", "-1", "ten", "2.5"):
        error = assert_error(
            chat.request("GET", "/conversations", params={"limit": bad}), 400, "invalid_request"
        )
        assert_names(error, "limit")


def test_list_cursor_pages_never_skip_or_repeat(crowd):
    chat, every = crowd
    for limit in (10, 7, 45, 100):
        assert ids(walk(chat.conversations, limit)) == every, limit
    page = chat.conversations(limit=45)
    assert (page["has_more"], page["next_cursor"]) == (False, None)


def test_list_offset_pages(crowd):
    chat, every = crowd
    assert ids(chat.conversations(limit=10, offset=0)["data"]) == every[:10]
    page = chat.conversations(limit=10, offset=40)
    assert ids(page["data"]) == every[40:]
    assert (page["total"], page["has_more"]) == (45, False)
    assert ids(chat.conversations(limit=10, offset=17)["data"]) == every[17:27]
    assert chat.conversations(offset=45)["data"] == []


@pytest.mark.parametrize("offset", ["5", "0"])
def test_list_refuses_cursor_and_offset_together(crowd, offset):
    chat, _ = crowd
    cursor = chat.conversations(limit=5)["next_cursor"]
    response = chat.request(
        "GET", "/conversations", params={"limit": 5, "cursor": cursor, "offset": offset}
    )
    assert_error(response, 400, "invalid_request")


def test_list_refuses_a_bad_cursor(crowd, alice):
    chat, _ = crowd
    conversation = alice.new_conversation()
    alice.save(conversation, *[f"m{i}" for i in range(3)])
    messages_cursor = alice.messages(conversation, limit=1)["next_cursor"]
    for bad in ("garbage", "!!!", "eyJ4IjoxfQ", "W10", messages_cursor):
        response = chat.request("GET", "/conversations", params={"cursor": bad})
        assert_error(response, 400, "invalid_request")


def test_list_cursor_does_not_skip_or_repeat_when_new_conversations_arrive(gateway_server):
    chat = fresh(gateway_server, "arrivals")
    for i in range(12):
        chat.new_conversation(f"Old {i}")
    every = ids(chat.conversations(limit=100)["data"])
    seen: list[str] = []
    page = chat.conversations(limit=4)
    seen += ids(page["data"])
    while page["has_more"]:
        chat.new_conversation("Arrived while paging")  # lands on top: not in later pages
        page = chat.conversations(limit=4, cursor=page["next_cursor"])
        seen += ids(page["data"])
    assert seen == every


def test_list_archived_true_lists_only_archived_ones(gateway_server):
    chat = fresh(gateway_server, "archive")
    shown = [chat.new_conversation(f"Shown {i}") for i in range(3)]
    hidden = [chat.new_conversation(f"Hidden {i}") for i in range(2)]
    for conversation in hidden:
        assert chat.patch(conversation, archived=True).json()["archived"] is True
    default = chat.conversations()
    assert set(ids(default["data"])) == set(shown) and default["total"] == 3
    assert chat.conversations(archived="false")["total"] == 3
    archived = chat.conversations(archived="true")
    assert set(ids(archived["data"])) == set(hidden) and archived["total"] == 2
    assert all(c["archived"] is True for c in archived["data"])
    assert all(c["archived"] is False for c in default["data"])


def test_list_q_filters_titles_case_insensitively(gateway_server):
    chat = fresh(gateway_server, "titlefilter")
    holiday = chat.new_conversation("Holiday plans")
    shouted = chat.new_conversation("MY HOLIDAY BUDGET")
    chat.new_conversation("Work notes")
    percent = chat.new_conversation("50% off")
    chat.new_conversation("500 things")
    underscore = chat.new_conversation("a_b")
    chat.new_conversation("axb")
    found = chat.conversations(q="holiday")
    assert set(ids(found["data"])) == {holiday, shouted} and found["total"] == 2
    assert set(ids(chat.conversations(q="HoLiDaY PLANS")["data"])) == {holiday}
    # LIKE's wildcards are plain characters here.
    assert ids(chat.conversations(q="50%")["data"]) == [percent]
    assert ids(chat.conversations(q="%")["data"]) == [percent]
    assert ids(chat.conversations(q="a_b")["data"]) == [underscore]
    assert chat.conversations(q="nothing like this")["total"] == 0


# ---------------------------------------------------------------- messages list


@pytest.fixture(scope="module")
def hundred(alice) -> tuple[str, list[dict]]:
    """A conversation of 100 messages saved at once (so they share one timestamp)."""
    conversation = alice.new_conversation("A hundred")
    saved = alice.save(conversation, *[f"message {i}" for i in range(100)])
    assert len(saved) == 100
    return conversation, saved


def test_messages_list_has_its_shape_and_creation_order(alice, hundred):
    conversation, saved = hundred
    page = alice.messages(conversation, limit=200)
    assert set(page) == MESSAGE_LIST_FIELDS
    assert page["object"] == "list"
    assert (page["total"], page["limit"], page["offset"]) == (100, 200, 0)
    assert (page["has_more"], page["next_cursor"]) == (False, None)
    assert ids(page["data"]) == ids(saved)
    assert [m["content"] for m in page["data"]] == [f"message {i}" for i in range(100)]
    for message in page["data"]:
        assert_message_shape(message)
    assert ids(alice.messages(conversation, limit=200, order="asc")["data"]) == ids(saved)
    assert ids(alice.messages(conversation, limit=200, order="desc")["data"]) == ids(saved)[::-1]


def test_messages_limit_defaults_to_50_and_must_be_1_to_200(alice, hundred):
    conversation, saved = hundred
    page = alice.messages(conversation)
    assert ids(page["data"]) == ids(saved)[:50]
    assert (page["total"], page["limit"], page["has_more"]) == (100, 50, True)
    assert len(alice.messages(conversation, limit=1)["data"]) == 1
    assert len(alice.messages(conversation, limit=200)["data"]) == 100
    path = f"/conversations/{conversation}/messages"
    for bad in ("0", "201", "-3", "many"):
        error = assert_error(
            alice.request("GET", path, params={"limit": bad}), 400, "invalid_request"
        )
        assert_names(error, "limit")


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_message_pages_never_skip_or_repeat_with_equal_timestamps(alice, hundred, order):
    conversation, saved = hundred
    expected = ids(saved) if order == "asc" else ids(saved)[::-1]
    walked = walk(lambda **p: alice.messages(conversation, order=order, **p), 7)
    assert ids(walked) == expected
    full = alice.messages(conversation, limit=200, order=order)["data"]
    assert walked == full


def test_message_offset_pages(alice, hundred):
    conversation, saved = hundred
    page = alice.messages(conversation, limit=10, offset=95)
    assert ids(page["data"]) == ids(saved)[95:]
    assert (page["offset"], page["has_more"]) == (95, False)
    page = alice.messages(conversation, limit=10, offset=20, order="desc")
    assert ids(page["data"]) == ids(saved)[::-1][20:30]


def test_messages_list_has_every_branch(alice, fake):
    conversation, m = branched(alice, fake)
    page = alice.messages(conversation)
    assert page["total"] == 6
    assert ids(page["data"]) == [m[k] for k in ("u1", "a1", "u2", "a2", "u2b", "a2b")]


# ---------------------------------------------------------------- one message


def test_get_a_message(alice):
    conversation = alice.new_conversation()
    sources = [{"url": "https://example.org/a", "title": "A", "extra": {"n": [1, 2]}}, "plain"]
    question, answer = alice.save(
        conversation,
        {"role": "user", "content": "Where is it?"},
        {"role": "assistant", "content": "Over there.", "sources": sources},
    )
    got = alice.message(conversation, answer["id"])
    assert_message_shape(got)
    assert got == answer
    assert got["conversation_id"] == conversation
    assert got["parent_id"] == question["id"]
    assert (got["role"], got["content"], got["status"]) == ("assistant", "Over there.", "complete")
    assert got["sources"] == sources
    assert got["feedback"] is None
    got = alice.message(conversation, question["id"])
    assert got["parent_id"] is None
    assert (got["model"], got["usage"], got["cost_micros"], got["sources"]) == (None, None, 0, [])


def test_patch_a_message_edits_its_text_in_place(alice):
    conversation = alice.new_conversation()
    question, answer = alice.save(conversation, "Original question", "Original answer")
    path = f"/conversations/{conversation}/messages/{answer['id']}"
    response = alice.request("PATCH", path, json={"content": "Edited answer"})
    assert response.status_code == 200, response.text
    edited = response.json()
    assert_message_shape(edited)
    assert edited["id"] == answer["id"]
    assert edited["content"] == "Edited answer"
    assert edited["parent_id"] == question["id"]
    assert edited["created_at"] == answer["created_at"]
    assert edited["updated_at"] >= answer["updated_at"]
    assert alice.message(conversation, answer["id"]) == edited
    shown = alice.conversation(conversation)
    assert shown["message_count"] == 2
    assert [m["content"] for m in shown["messages"]] == ["Original question", "Edited answer"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"rating": "up"}, {"rating": "up", "text": None}),
        ({"rating": "down", "text": "Wrong"}, {"rating": "down", "text": "Wrong"}),
        ({"rating": "thumbsUp"}, {"rating": "up", "text": None}),
        ({"rating": "thumbsDown", "text": "Meh"}, {"rating": "down", "text": "Meh"}),
    ],
)
def test_feedback_is_saved_normalized_and_answered(alice, body, expected):
    conversation = alice.new_conversation()
    _, answer = alice.save(conversation, "Q", "A")
    path = f"/conversations/{conversation}/messages/{answer['id']}/feedback"
    response = alice.request("PUT", path, json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "message_id": answer["id"],
        "conversation_id": conversation,
        "feedback": expected,
    }
    assert alice.message(conversation, answer["id"])["feedback"] == expected


def test_feedback_null_clears_it_and_bad_ratings_are_400(alice):
    conversation = alice.new_conversation()
    _, answer = alice.save(conversation, "Q", "A")
    path = f"/conversations/{conversation}/messages/{answer['id']}/feedback"
    assert alice.request("PUT", path, json={"rating": "up", "text": "Nice"}).status_code == 200
    for body, field in (
        ({"rating": "sideways"}, "rating"),
        ({"rating": 1}, "rating"),
        ({}, "rating"),
        ({"rating": "up", "stars": 5}, "stars"),
    ):
        error = assert_error(alice.request("PUT", path, json=body), 400, "invalid_request")
        assert_names(error, field)
    assert alice.message(conversation, answer["id"])["feedback"] == {"rating": "up", "text": "Nice"}
    response = alice.request(
        "PUT", path, content=b"null", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "message_id": answer["id"],
        "conversation_id": conversation,
        "feedback": None,
    }
    assert alice.message(conversation, answer["id"])["feedback"] is None


def test_delete_a_message_takes_its_descendants_and_moves_the_current_leaf_up(alice, fake):
    conversation, m = branched(alice, fake)
    assert alice.conversation(conversation)["current_message_id"] == m["a2b"]
    response = alice.request("DELETE", f"/conversations/{conversation}/messages/{m['u2b']}")
    assert response.status_code == 204
    assert response.content == b""
    shown = alice.conversation(conversation)
    assert shown["message_count"] == 4  # the subtree had two
    assert shown["current_message_id"] == m["a1"]  # the leaf was inside: its parent
    assert ids(shown["messages"]) == [m["u1"], m["a1"]]
    assert ids(alice.messages(conversation)["data"]) == [m["u1"], m["a1"], m["u2"], m["a2"]]
    for gone in ("u2b", "a2b"):
        path = f"/conversations/{conversation}/messages/{m[gone]}"
        assert_error(alice.request("GET", path), 404, "not_found")
        assert_error(alice.request("DELETE", path), 404, "not_found")


def test_delete_a_message_off_the_current_branch_keeps_the_current_leaf(alice, fake):
    conversation, m = branched(alice, fake)
    response = alice.request("DELETE", f"/conversations/{conversation}/messages/{m['u2']}")
    assert response.status_code == 204
    shown = alice.conversation(conversation)
    assert (shown["message_count"], shown["current_message_id"]) == (4, m["a2b"])
    assert ids(shown["messages"]) == [m["u1"], m["a1"], m["u2b"], m["a2b"]]
    # The first message takes everything with it.
    response = alice.request("DELETE", f"/conversations/{conversation}/messages/{m['u1']}")
    assert response.status_code == 204
    shown = alice.conversation(conversation)
    assert (shown["message_count"], shown["current_message_id"], shown["messages"]) == (
        0,
        None,
        [],
    )
    assert alice.messages(conversation)["total"] == 0


# ---------------------------------------------------------------- the save form


def test_save_appends_to_the_current_branch_as_given_without_a_model_call(alice, fake):
    charges_before = len(alice.visitor.transactions())
    conversation = alice.new_conversation("Saved")
    sources = [{"title": "Doc", "url": "https://example.org/doc"}, 42, None, "text"]
    response = alice.request(
        "POST",
        f"/conversations/{conversation}/messages",
        json={
            "messages": [
                {"role": "user", "content": "Hello ✓"},
                {"role": "assistant", "content": "Hi there", "sources": sources},
            ]
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"conversation_id", "messages"}
    assert body["conversation_id"] == conversation
    first, second = body["messages"]
    for message in (first, second):
        assert_message_shape(message)
        assert (message["status"], message["cost_micros"], message["usage"]) == (
            "complete",
            0,
            None,
        )
        assert message["conversation_id"] == conversation
    assert (first["role"], first["content"], first["parent_id"]) == ("user", "Hello ✓", None)
    assert first["model"] is None and first["sources"] == []
    assert (second["role"], second["content"], second["parent_id"]) == (
        "assistant",
        "Hi there",
        first["id"],
    )
    assert second["sources"] == sources
    # A second save hangs from the current leaf.
    [third] = alice.save(conversation, {"role": "user", "content": "And again"})
    assert third["parent_id"] == second["id"]
    shown = alice.conversation(conversation)
    assert shown["current_message_id"] == third["id"]
    assert shown["message_count"] == 3
    assert ids(shown["messages"]) == [first["id"], second["id"], third["id"]]
    assert model_calls(fake) == []
    assert len(alice.visitor.transactions()) == charges_before


def test_save_follows_the_branch_shown(alice, fake):
    conversation, m = branched(alice, fake)
    alice.patch(conversation, current_message_id=m["u2"])
    [saved] = alice.save(conversation, "On the old branch")
    assert saved["parent_id"] == m["a2"]
    shown = alice.conversation(conversation)
    assert shown["current_message_id"] == saved["id"]
    assert shown["message_count"] == 7


def _count(chat: Chat, conversation: str) -> tuple[int, int]:
    return chat.conversation(conversation)["message_count"], chat.messages(conversation)["total"]


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("none", {"messages": []}),
        ("too many", {"messages": [{"role": "user", "content": "x"}] * 101}),
        ("both", {"content": "Hi", "model": MODEL, "messages": [{"role": "user", "content": "x"}]}),
        ("neither", {"model": MODEL}),
        ("bad role", {"messages": [{"role": "system", "content": "x"}]}),
        ("no role", {"messages": [{"content": "x"}]}),
        ("number", {"messages": [{"role": "user", "content": 5}]}),
        ("not a list", {"messages": "hello"}),
        ("unknown field", {"messages": [{"role": "user", "content": "x", "mood": "happy"}]}),
        (
            "too long",
            {
                "messages": [
                    {"role": "user", "content": "fine"},
                    {"role": "assistant", "content": "x" * (MAX_CONTENT + 1)},
                ]
            },
        ),
    ],
)
def test_a_refused_save_is_400_and_saves_nothing(alice, fake, name, body):
    conversation = alice.new_conversation()
    alice.save(conversation, "Already here")
    response = alice.request("POST", f"/conversations/{conversation}/messages", json=body)
    error = assert_error(response, 400, "invalid_request")
    if name == "unknown field":
        assert_names(error, "mood")
    assert _count(alice, conversation) == (1, 1)
    assert model_calls(fake) == []


def test_save_takes_1_to_100_messages_of_up_to_100000_characters(alice):
    conversation = alice.new_conversation()
    assert len(alice.save(conversation, "one")) == 1
    longest = alice.save(conversation, {"role": "assistant", "content": "y" * MAX_CONTENT})
    assert len(longest[0]["content"]) == MAX_CONTENT
    assert len(alice.save(conversation, *["z"] * 100)) == 100
    assert _count(alice, conversation) == (102, 102)


def test_content_over_100000_characters_is_400_in_asks_and_edits(alice, fake):
    conversation = alice.new_conversation()
    _, answer = alice.save(conversation, "Q", "A")
    too_long = "x" * (MAX_CONTENT + 1)
    error = assert_error(alice.ask(conversation, too_long), 400, "invalid_request")
    assert_names(error, "content")
    assert model_calls(fake) == []
    path = f"/conversations/{conversation}/messages/{answer['id']}"
    error = assert_error(
        alice.request("PATCH", path, json={"content": too_long}), 400, "invalid_request"
    )
    assert_names(error, "content")
    assert alice.message(conversation, answer["id"])["content"] == "A"
    assert _count(alice, conversation) == (2, 2)


# ---------------------------------------------------------------- search

CORPUS = [
    "The quick brown fox jumps over the lazy dog",
    "A QUICK reply about foxes",
    "Running runners run every morning",
    "A brown-bag lunch at noon",
    "Numbers like 2024 and model gpt4 matter",
    "今日は全文検索のテストをしています。",
    "検査の結果はまだです",
]
# Plain ASCII queries and the corpus lines they must find, on both backends.
PLAIN_QUERIES = {
    "quick": {0, 1},
    "QUICK": {0, 1},
    "Quick Brown": {0},
    "fox": {0},
    "foxes": {1},
    "run": {2},
    "running": {2},
    "brown": {0, 3},
    "brown-bag": {3},
    "noon": {3},
    "2024": {4},
    "gpt4": {4},
    "lazy dog": {0},
    "dog lazy": {0},
    "absent": set(),
    "quick absent": set(),
}
HOSTILE = [
    '"',
    '"quick',
    'quick"',
    "'",
    "NEAR",
    "quick NEAR brown",
    "NEAR(quick brown)",
    "NEAR/2",
    "*",
    "quick*",
    "*quick",
    "(",
    "(((",
    ")",
    "quick)",
    "(quick",
    "AND OR NOT",
    "NOT",
    "quick AND",
    "OR quick",
    "-quick",
    "^quick",
    "+",
    ":",
    "content:quick",
    "{quick}",
    "[",
    "a & b | !c",
    "<->",
    "quick <-> brown",
    "!!",
    "%",
    "_",
    "\\",
    "\\'",
    "'; DROP TABLE messages; --",
    "\x00",
    "quick\x00brown",
    "🦊",
    "مرحبا",
    "x" * 10_000,
    " ".join(["quick"] * 1700),
    "(" * 2000 + '"' * 2000,
]


@pytest.fixture(scope="module")
def corpus(gateway_server, bob, alice_elsewhere, alices_things) -> tuple[Chat, list[str], str]:
    """A user whose only messages are CORPUS plus 25 paging ones; other people (and the
    same user's other app) hold the same words."""
    chat = fresh(gateway_server, "search")
    conversation = chat.new_conversation("Corpus")
    saved = chat.save(conversation, *CORPUS)
    paging = chat.new_conversation("Paging")
    chat.save(paging, *[f"pagingword number {i}" for i in range(25)])
    for other in (bob,):
        elsewhere = other.new_conversation("Same words")
        other.save(elsewhere, *CORPUS, *["pagingword"] * 3)
    same_user = Chat(connect_again(chat.visitor, alice_elsewhere.visitor.client_id))
    same_user.save(same_user.new_conversation("Same user, other app"), *CORPUS, "pagingword")
    return chat, ids(saved), conversation


@pytest.mark.parametrize("query", list(PLAIN_QUERIES))
def test_search_finds_plain_words_case_insensitively_the_same_on_both_backends(corpus, query):
    chat, saved, _ = corpus
    assert chat.found(query) == {saved[i] for i in PLAIN_QUERIES[query]}


def test_search_hits_have_the_message_its_conversation_and_a_snippet(corpus):
    chat, saved, conversation = corpus
    page = chat.search("lazy")
    assert set(page) == SEARCH_FIELDS
    assert page["object"] == "list"
    assert (page["has_more"], page["next_cursor"]) == (False, None)
    [hit] = page["data"]
    assert set(hit) == {"message", "conversation", "snippet"}
    assert_message_shape(hit["message"])
    assert hit["message"] == chat.message(conversation, saved[0])
    assert hit["conversation"] == {"id": conversation, "title": "Corpus"}
    assert isinstance(hit["snippet"], str) and "lazy" in hit["snippet"].lower()


def test_search_of_japanese_finds_a_word_inside_a_sentence(corpus):
    chat, saved, _ = corpus
    assert chat.found("検索") == {saved[5]}
    assert chat.found("全文検索") == {saved[5]}
    assert chat.found("検査") == {saved[6]}
    assert chat.found("結果 検査") == {saved[6]}


def test_search_syntax_is_just_characters(corpus):
    chat, saved, _ = corpus
    for query in ('"quick"', "quick*", "(quick)", "quick)", '"quick', "+quick"):
        assert chat.found(query) == {saved[0], saved[1]}, query


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_search_never_errors_on_hostile_input(corpus, query):
    chat, _, _ = corpus
    page = chat.search(query)
    assert set(page) == SEARCH_FIELDS
    assert isinstance(page["data"], list)


@pytest.mark.parametrize("query", ["", None])
def test_search_with_an_empty_q_is_400(corpus, query):
    chat, _, _ = corpus
    params = {} if query is None else {"q": query}
    error = assert_error(chat.request("GET", "/search", params=params), 400, "invalid_request")
    assert_names(error, "q")


def test_search_pages_with_a_cursor(corpus):
    chat, _, _ = corpus
    every = {
        m["id"] for m in chat.messages(chat.conversations(q="Paging")["data"][0]["id"])["data"]
    }
    assert len(every) == 25
    walked = walk(lambda **p: chat.search("pagingword", **p), 10)
    assert len(walked) == 25
    assert {hit["message"]["id"] for hit in walked} == every
    for bad in ("0", "101"):
        response = chat.request("GET", "/search", params={"q": "pagingword", "limit": bad})
        assert_error(response, 400, "invalid_request")
    response = chat.request("GET", "/search", params={"q": "pagingword", "cursor": "garbage"})
    assert_error(response, 400, "invalid_request")


def test_deleting_messages_and_conversations_removes_them_from_search(alice):
    first, second, third = word(), word(), word()
    conversation = alice.new_conversation()
    kept, doomed = alice.save(conversation, f"keep {first}", f"drop {first} {second}")
    assert alice.found(first) == {kept["id"], doomed["id"]}
    alice.request("DELETE", f"/conversations/{conversation}/messages/{doomed['id']}")
    assert alice.found(first) == {kept["id"]}
    assert alice.found(second) == set()
    other = alice.new_conversation()
    alice.save(other, f"gone {third}")
    assert len(alice.found(third)) == 1
    assert alice.request("DELETE", f"/conversations/{other}").status_code == 204
    assert alice.found(third) == set()
    assert alice.request("DELETE", f"/conversations/{conversation}").status_code == 204
    assert alice.found(first) == set()


def test_an_edited_message_is_found_by_its_new_words_only(alice):
    old, new = word(), word()
    conversation = alice.new_conversation()
    [message] = alice.save(conversation, f"before {old}")
    path = f"/conversations/{conversation}/messages/{message['id']}"
    assert alice.request("PATCH", path, json={"content": f"after {new}"}).status_code == 200
    assert alice.found(old) == set()
    assert alice.found(new) == {message["id"]}


# ---------------------------------------------------------------- export


def _line_conversation(line: dict) -> dict:
    return line.get("conversation", line)


def test_export_is_ndjson_with_every_conversation_and_every_branch(
    gateway_server, fake, bob, alice_elsewhere
):
    chat = fresh(gateway_server, "export")
    branches, m = branched(chat, fake)
    archived = chat.new_conversation("Archived one")
    chat.save(archived, "Kept", "In the export")
    chat.patch(archived, archived=True)
    empty = chat.new_conversation("Empty")
    bob.save(bob.new_conversation("Bob's"), "Not in this export")
    same_user = Chat(connect_again(chat.visitor, alice_elsewhere.visitor.client_id))
    same_user.save(same_user.new_conversation("Other app's"), "Not in this export either")
    response = chat.request("GET", "/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0].strip() == "application/x-ndjson"
    lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    assert len(lines) == 3
    by_id = {_line_conversation(line)["id"]: line for line in lines}
    assert set(by_id) == {branches, archived, empty}
    for conversation_id, line in by_id.items():
        conversation = _line_conversation(line)
        assert set(conversation) >= CONVERSATION_FIELDS
        shown = chat.conversation(conversation_id)
        assert {k: conversation[k] for k in CONVERSATION_FIELDS} == {
            k: shown[k] for k in CONVERSATION_FIELDS
        }
        assert line["messages"] == chat.messages(conversation_id, limit=200)["data"]
    assert ids(by_id[branches]["messages"]) == [
        m[k] for k in ("u1", "a1", "u2", "a2", "u2b", "a2b")
    ]
    assert by_id[empty]["messages"] == []
    assert "Not in this export" not in response.text


def test_export_of_nothing_is_empty(gateway_server):
    chat = fresh(gateway_server, "export-empty")
    response = chat.request("GET", "/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.text.strip() == ""


# ---------------------------------------------------------------- who sees what

CONVERSATION_ROUTES = [
    ("GET", "/conversations/{c}", None),
    ("PATCH", "/conversations/{c}", {"title": "Taken over"}),
    ("DELETE", "/conversations/{c}", None),
    ("GET", "/conversations/{c}/messages", None),
    ("POST", "/conversations/{c}/messages", {"messages": [{"role": "user", "content": "Mine"}]}),
    ("POST", "/conversations/{c}/messages", {"content": "Mine now", "model": MODEL}),
    ("POST", "/conversations/{c}/messages/stream", {"content": "Mine now", "model": MODEL}),
    ("POST", "/messages", {"content": "Mine now", "conversation_id": "{c}", "model": MODEL}),
]
MESSAGE_ROUTES = [
    ("GET", "/conversations/{c}/messages/{m}", None),
    ("PATCH", "/conversations/{c}/messages/{m}", {"content": "Changed"}),
    ("PUT", "/conversations/{c}/messages/{m}/feedback", {"rating": "down"}),
    ("DELETE", "/conversations/{c}/messages/{m}", None),
    ("POST", "/conversations/{c}/messages/{a}/regenerate", {"model": MODEL}),
    ("POST", "/conversations/{c}/messages/{a}/stop", None),
    ("GET", "/conversations/{c}/messages/{a}/events", None),
    ("PATCH", "/conversations/{c}", {"current_message_id": "{m}"}),
    (
        "POST",
        "/conversations/{c}/messages",
        {"content": "Hang it there", "parent_id": "{m}", "model": MODEL},
    ),
]
OPEN_ROUTES = [
    ("GET", "/conversations", None),
    ("POST", "/conversations", {}),
    ("DELETE", "/conversations", None),
    ("GET", "/search?q=plan", None),
    ("GET", "/export", None),
]
EVERY_ROUTE = OPEN_ROUTES + CONVERSATION_ROUTES + MESSAGE_ROUTES


def _route_id(route) -> str:
    method, path, body = route
    return f"{method} {path}" + (f" {sorted(body)}" if body else "")


def _fill(value, things: dict[str, str]):
    if isinstance(value, str):
        return value.format(**things)
    if isinstance(value, dict):
        return {k: _fill(v, things) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, things) for v in value]
    return value


def _call(chat: Chat, route, things: dict[str, str], headers: dict | None = None):
    method, path, body = route
    kwargs = {} if body is None else {"json": _fill(body, things)}
    return chat.request(method, _fill(path, things), headers=headers, **kwargs)


def _assert_untouched(alice: Chat, things: dict[str, str]) -> None:
    shown = alice.conversation(things["c"])
    assert shown["title"] == "Alice's secret plans"
    assert shown["message_count"] == 2
    assert [(m["content"], m["feedback"]) for m in shown["messages"]] == [
        ("What is the plan?", None),
        ("The plan is secret.", None),
    ]


@pytest.mark.parametrize("route", CONVERSATION_ROUTES + MESSAGE_ROUTES, ids=_route_id)
def test_another_users_ids_are_404_on_every_route(alice, bob, alices_things, fake, route):
    assert_error(_call(bob, route, alices_things), 404, "not_found")
    _assert_untouched(alice, alices_things)
    assert model_calls(fake) == []


@pytest.mark.parametrize("route", MESSAGE_ROUTES, ids=_route_id)
def test_another_users_message_in_ones_own_conversation_is_404(
    alice, bob, alices_things, fake, route
):
    own = bob.new_conversation()
    bob.save(own, "Bob's question", "Bob's answer")
    assert_error(_call(bob, route, {**alices_things, "c": own}), 404, "not_found")
    _assert_untouched(alice, alices_things)
    assert bob.conversation(own)["message_count"] == 2
    assert model_calls(fake) == []


@pytest.mark.parametrize("route", MESSAGE_ROUTES, ids=_route_id)
def test_a_message_of_another_conversation_is_404(alice, alices_things, fake, route):
    own = alice.new_conversation()
    alice.save(own, "Another question", "Another answer")
    assert_error(_call(alice, route, {**alices_things, "c": own}), 404, "not_found")
    _assert_untouched(alice, alices_things)
    assert alice.conversation(own)["message_count"] == 2
    assert model_calls(fake) == []


@pytest.mark.parametrize("route", CONVERSATION_ROUTES + MESSAGE_ROUTES, ids=_route_id)
def test_the_same_users_ids_with_another_app_are_404(
    alice, alice_elsewhere, alices_things, fake, route
):
    assert_error(_call(alice_elsewhere, route, alices_things), 404, "not_found")
    _assert_untouched(alice, alices_things)
    assert model_calls(fake) == []


def test_the_same_users_conversations_with_another_app_are_invisible(
    alice, alice_elsewhere, alices_things
):
    marker = word()
    alice.save(alice.new_conversation(f"Title {marker}"), f"Text {marker}")
    listed = alice_elsewhere.conversations(limit=100)
    assert alices_things["c"] not in ids(listed["data"])
    assert alice_elsewhere.conversations(q=marker)["total"] == 0
    assert alice_elsewhere.found(marker) == set()
    assert len(alice.found(marker)) == 1


@pytest.mark.parametrize("route", EVERY_ROUTE, ids=_route_id)
def test_another_apps_token_on_this_apps_path_is_403_wrong_app(
    alice, bob, alices_things, fake, route
):
    intruder = Chat(bob.visitor)
    intruder.base = alice.base  # bob's token, alice's app
    assert_error(_call(intruder, route, alices_things), 403, "wrong_app")
    _assert_untouched(alice, alices_things)
    assert model_calls(fake) == []


@pytest.mark.parametrize("route", EVERY_ROUTE, ids=_route_id)
@pytest.mark.parametrize("token", [None, "not-a-real-token"], ids=["missing", "unknown"])
def test_without_a_valid_token_every_route_is_401(alice, alices_things, fake, route, token):
    method, path, body = route
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    kwargs = {} if body is None else {"json": _fill(body, alices_things)}
    response = httpx.request(
        method, alice.base + _fill(path, alices_things), headers=headers, **kwargs
    )
    assert_error(response, 401, "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    _assert_untouched(alice, alices_things)
    assert model_calls(fake) == []


@pytest.mark.parametrize("route", EVERY_ROUTE, ids=_route_id)
@pytest.mark.parametrize("origin", [FOREIGN_ORIGIN, OTHER_ORIGIN, "null"])
def test_a_foreign_origin_is_403_on_every_route(alice, alices_things, fake, route, origin):
    before = alice.conversations(limit=100)["total"]
    response = _call(alice, route, alices_things, headers={"Origin": origin})
    assert_error(response, 403, "origin_not_allowed")
    assert response.headers.get("Access-Control-Allow-Origin") in (None, "")
    _assert_untouched(alice, alices_things)
    assert alice.conversations(limit=100)["total"] == before
    assert model_calls(fake) == []


def test_the_apps_own_origin_is_allowed_and_echoed(alice, alices_things):
    response = alice.request(
        "GET", f"/conversations/{alices_things['c']}", headers={"Origin": SITE_ORIGIN}
    )
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert "origin" in response.headers["Vary"].lower()


@pytest.mark.parametrize(
    "path", ["/conversations", "/conversations/c1/messages/m1/feedback", "/search", "/export"]
)
def test_a_preflight_from_the_apps_origin_allows_the_methods_and_headers(alice, path):
    response = httpx.options(
        alice.base + path,
        headers={
            "Origin": SITE_ORIGIN,
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert response.status_code in (200, 204), response.text
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    methods = {
        m.strip().upper() for m in response.headers["Access-Control-Allow-Methods"].split(",")
    }
    assert {"GET", "POST", "PATCH", "PUT", "DELETE"} <= methods
    allowed = {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert {"authorization", "content-type", "idempotency-key", "last-event-id"} <= allowed


def test_a_preflight_from_a_foreign_origin_is_not_granted(alice):
    response = httpx.options(
        alice.base + "/conversations",
        headers={"Origin": FOREIGN_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers


# ---------------------------------------------------------------- bad input

JSON_BODY_ROUTES = [
    ("POST", "/conversations"),
    ("PATCH", "/conversations/{c}"),
    ("POST", "/conversations/{c}/messages"),
    ("PATCH", "/conversations/{c}/messages/{m}"),
    ("PUT", "/conversations/{c}/messages/{a}/feedback"),
]


@pytest.mark.parametrize(("method", "path"), JSON_BODY_ROUTES)
@pytest.mark.parametrize(
    "raw", [b"{", b'{"title": }', b"not json", b"[1, 2", b"\xff\xfe"], ids=range(5)
)
def test_malformed_json_is_400_invalid_request(alice, alices_things, fake, method, path, raw):
    response = alice.request(
        method,
        path.format(**alices_things),
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "invalid_request")
    _assert_untouched(alice, alices_things)
    assert model_calls(fake) == []


@pytest.mark.parametrize(("method", "path"), JSON_BODY_ROUTES)
@pytest.mark.parametrize("body", [[], "text", 5, True], ids=["array", "string", "number", "bool"])
def test_a_body_that_is_not_an_object_is_400(alice, alices_things, method, path, body):
    response = alice.request(method, path.format(**alices_things), json=body)
    assert_error(response, 400, "invalid_request")
    _assert_untouched(alice, alices_things)


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/conversations", {"title": "Ok", "folder": "x"}, "folder"),
        ("PATCH", "/conversations/{c}", {"pinned": True}, "pinned"),
        (
            "POST",
            "/conversations/{c}/messages",
            {"messages": [{"role": "user", "content": "x"}], "color": "red"},
            "color",
        ),
        ("POST", "/conversations/{c}/messages", {"content": "x", "colour": "red"}, "colour"),
        ("PATCH", "/conversations/{c}/messages/{m}", {"content": "x", "role": "user"}, "role"),
        ("PUT", "/conversations/{c}/messages/{a}/feedback", {"rating": "up", "why": 1}, "why"),
    ],
)
def test_unknown_fields_are_400_naming_the_field(
    alice, alices_things, fake, method, path, body, field
):
    response = alice.request(method, path.format(**alices_things), json=body)
    error = assert_error(response, 400, "invalid_request")
    assert_names(error, field)
    _assert_untouched(alice, alices_things)
    assert model_calls(fake) == []


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "/conversations/{c}", {"archived": 1}, "archived"),
        ("POST", "/conversations/{c}/messages", {"content": 12, "model": MODEL}, "content"),
        ("POST", "/conversations/{c}/messages", {"messages": {"role": "user"}}, "messages"),
        ("PATCH", "/conversations/{c}/messages/{m}", {"content": ["x"]}, "content"),
        ("PATCH", "/conversations/{c}/messages/{m}", {}, "content"),
        ("PUT", "/conversations/{c}/messages/{a}/feedback", {"rating": "up", "text": 3}, "text"),
    ],
)
def test_wrong_types_are_400_naming_the_field(
    alice, alices_things, fake, method, path, body, field
):
    response = alice.request(method, path.format(**alices_things), json=body)
    error = assert_error(response, 400, "invalid_request")
    assert_names(error, field)
    _assert_untouched(alice, alices_things)
    assert model_calls(fake) == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/conversations/conv_nope", None),
        ("PATCH", "/conversations/conv_nope", {"title": "x"}),
        ("DELETE", "/conversations/conv_nope", None),
        ("GET", "/conversations/conv_nope/messages", None),
        (
            "POST",
            "/conversations/conv_nope/messages",
            {"messages": [{"role": "user", "content": "x"}]},
        ),
        ("GET", "/conversations/{c}/messages/msg_nope", None),
        ("PATCH", "/conversations/{c}/messages/msg_nope", {"content": "x"}),
        ("PUT", "/conversations/{c}/messages/msg_nope/feedback", {"rating": "up"}),
        ("DELETE", "/conversations/{c}/messages/msg_nope", None),
        ("GET", "/conversations/{c}/messages/msg_nope/events", None),
        ("POST", "/conversations/{c}/messages/msg_nope/stop", None),
    ],
)
def test_unknown_ids_are_404_not_found(alice, alices_things, method, path, body):
    kwargs = {} if body is None else {"json": body}
    response = alice.request(method, path.format(**alices_things), **kwargs)
    assert_error(response, 404, "not_found")
    _assert_untouched(alice, alices_things)


def test_a_bad_order_is_400(alice, alices_things):
    path = f"/conversations/{alices_things['c']}/messages"
    response = alice.request("GET", path, params={"order": "sideways"})
    assert_error(response, 400, "invalid_request")
