"""Answers across processes (SPEC §11): resumed and stopped from another server process on
the same database, from the other worker of ``--workers 2``, and never left
``in_progress`` by a process killed with ``kill -9``. No Redis: the database is the log."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.fakes.fixtures import new_visitor
from tests.support.conversations import ChatClient, OpenStream, text_of
from tests.support.databases import TestDatabase
from tests.support.server import ServerProcess

WORDS = " ".join(f"w{i}" for i in range(60))


@pytest.fixture
def database(backend):
    db = TestDatabase(backend)
    yield db
    db.close()


def serve(database, fake, **options) -> ServerProcess:
    env = {**fake.env, "LEGION_HEARTBEAT_INTERVAL": "1"}
    return ServerProcess(database.url, env=env, **options).start()


def test_another_process_resumes_and_stops_an_answer_it_is_not_writing(
    database, fake, unique_email
):
    writer, reader = serve(database, fake), serve(database, fake)
    try:
        visitor = new_visitor(writer, unique_email())
        here, there = ChatClient(visitor), ChatClient(visitor, reader.url)
        fake.set(reply=WORDS, delay=0.05)
        conversation = here.new_conversation()
        path = f"/conversations/{conversation}/messages"
        stream = OpenStream(here, path, {"content": "Go", "stream": True})
        seen = stream.read(6)
        answer_id = seen[1].data["message_id"]
        # Read from the other process while the first one writes: from event 6 on, live.
        resumed = there.events(conversation, answer_id, after=seen[-1].id)
        ids = [e.id for e in resumed if e.id is not None]
        assert ids == list(range(seen[-1].id + 1, seen[-1].id + 1 + len(ids)))
        assert resumed[-2].type == "ai_complete"
        assert text_of(seen) + text_of(resumed) == WORDS
        stream.close()
        # Stopped from the other process: the writer sees it at its next flush.
        stream = OpenStream(here, path, {"content": "Again", "stream": True})
        answer_id = stream.read(4)[1].data["message_id"]
        stopped = there.request("POST", f"/conversations/{conversation}/messages/{answer_id}/stop")
        assert stopped.status_code == 200, stopped.text
        assert stopped.json()["status"] == "stopped"
        events = stream.rest()
        stream.close()
        assert events[-2].data["message"]["status"] == "stopped"
        assert text_of(events) == stopped.json()["content"]
    finally:
        writer.stop()
        reader.stop()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_resume_works_from_either_worker(database, fake, unique_email):
    server = serve(database, fake, workers=2)
    try:
        chat = ChatClient(new_visitor(server, unique_email()))
        fake.set(reply=WORDS, delay=0.03)
        conversation = chat.new_conversation()
        stream = OpenStream(
            chat, f"/conversations/{conversation}/messages", {"content": "Go", "stream": True}
        )
        seen = stream.read(5)
        stream.close()
        answer_id = seen[1].data["message_id"]

        def resume(after):
            events = ChatClient(chat.visitor).events(conversation, answer_id, after=after)
            return after, events

        # Enough readers at once that both workers serve some.
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(resume, [seen[-1].id] * 4 + [2] * 4))
        for after, events in results:
            assert events[-1].type == "[DONE]" and events[-2].type == "ai_complete"
            assert events[0].id == after + 1
            text = text_of(seen[:after]) + text_of(events)
            assert text == WORDS
    finally:
        server.stop()


def test_an_answer_of_a_killed_process_is_marked_failed_with_its_text(database, fake, unique_email):
    server = serve(database, fake)
    visitor = new_visitor(server, unique_email())
    chat = ChatClient(visitor)
    fake.set(reply=WORDS, delay=0.05)
    conversation = chat.new_conversation()
    stream = OpenStream(
        chat, f"/conversations/{conversation}/messages", {"content": "Go", "stream": True}
    )
    seen = stream.read(8)
    answer_id = seen[1].data["message_id"]
    time.sleep(0.3)  # a flush or two reached the log
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()
    server.stop()
    stream.close()
    fake.reset()
    again = serve(database, fake)
    try:
        chat = ChatClient(visitor, again.url)
        answer = chat.wait_for_status(conversation, answer_id, ("failed", "stopped"), timeout=60)
        assert answer["status"] == "failed"
        assert WORDS.startswith(answer["content"]) and len(answer["content"].split()) >= 6
        assert answer["cost_micros"] == 0
        replay = chat.events(conversation, answer_id, after=0)
        assert replay[-2].type == "error" and replay[-1].type == "[DONE]"
        shown = chat.conversation(conversation)
        assert shown["messages"][-1]["status"] == "failed"
        assert again.cli_json("wallet", "show", "--email", visitor.email)["reserved_micros"] == 0
        assert chat.ask(conversation, "Still there?").status_code == 201
    finally:
        again.stop()


def test_sigterm_stops_answers_in_flight_charges_them_and_saves_them(database, fake, unique_email):
    env = {**fake.env, "LEGION_HEARTBEAT_INTERVAL": "1", "LEGION_SHUTDOWN_GRACE": "1"}
    server = ServerProcess(database.url, env=env).start()
    visitor = new_visitor(server, unique_email())
    chat = ChatClient(visitor)
    fake.set(reply=WORDS, delay=0.1)
    conversation = chat.new_conversation()
    stream = OpenStream(
        chat, f"/conversations/{conversation}/messages", {"content": "Go", "stream": True}
    )
    answer_id = stream.read(4)[1].data["message_id"]
    os.killpg(server.process.pid, signal.SIGTERM)
    server.process.wait(timeout=60)
    server.stop()
    stream.close()
    fake.reset()
    again = ServerProcess(database.url, env=env).start()
    try:
        chat = ChatClient(visitor, again.url)
        answer = chat.message(conversation, answer_id)
        assert answer["status"] == "stopped" and answer["cost_micros"] > 0
        [row] = again.cli_json("transactions", visitor.client_id)
        assert row["total_micros"] == answer["cost_micros"]
        assert again.cli_json("wallet", "show", "--email", visitor.email)["reserved_micros"] == 0
    finally:
        again.stop()
