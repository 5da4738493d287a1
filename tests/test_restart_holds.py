"""A server stopped while answers stream: no money stays held for them.

SIGTERM (a deploy, ``systemctl restart``) lets the streams in flight finish within the
grace period, then ends the rest as if their clients had left: what was generated is
charged and the holds are released before the process exits. ``kill -9`` leaves its holds
behind, and the next server (or any other worker) releases them once the dead process's
heartbeat is old. Real processes, real signals, a real database file.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import pytest

from tests.fakes.fixtures import new_visitor
from tests.support.databases import TestDatabase
from tests.support.server import ServerProcess

MODEL = "claude-sonnet-4-5"
STREAMS = 10
HEARTBEAT_S = "1"  # a dead process's holds go after 3 heartbeats


def open_streams(visitor, count: int, opened: threading.Barrier) -> list[dict]:
    """Start ``count`` streamed answers; each records its text and whether it ended."""
    results = [{"text": "", "done": False, "error": None} for _ in range(count)]

    def one(result: dict) -> None:
        waiting = True
        body = {
            "model": MODEL,
            "stream": True,
            "messages": [{"role": "user", "content": "Tell me a long story"}],
        }
        try:
            with httpx.stream(
                "POST",
                visitor.server.local_url + "/v1/chat/completions",
                headers=visitor.headers,
                json=body,
                timeout=60,
            ) as response:
                for line in response.iter_lines():
                    if waiting and line.startswith("data:"):
                        waiting = False
                        opened.wait()
                    result["text"] += line + "\n"
                    result["done"] = result["done"] or line == "data: [DONE]"
        except httpx.HTTPError as error:
            result["error"] = error
        finally:
            if waiting:
                opened.abort()

    threads = [threading.Thread(target=one, args=(r,), daemon=True) for r in results]
    for thread in threads:
        thread.start()
    results.append({"threads": threads})
    return results


def join(results: list[dict]) -> list[dict]:
    for thread in results.pop()["threads"]:
        thread.join(timeout=60)
    return results


@pytest.fixture
def database(backend):
    db = TestDatabase(backend)
    yield db
    db.close()


def start(database, fake, workers: int = 1, **env) -> ServerProcess:
    settings = {**fake.env, "LEGION_HEARTBEAT_INTERVAL": HEARTBEAT_S, **env}
    return ServerProcess(database.url, env=settings, workers=workers).start()


def signal_server(server: ServerProcess, signum: int) -> None:
    os.killpg(server.process.pid, signum)
    server.process.wait(timeout=60)
    server.stop()


def wallet(server: ServerProcess, email: str) -> dict:
    return server.cli_json("wallet", "show", "--email", email)


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_charges_the_answers_in_flight_and_releases_every_hold(
    database, fake, unique_email, workers
):
    """The signal goes to the whole process group, as systemd and container runtimes send
    it: with several workers, each still stops gracefully."""
    server = start(database, fake, workers, LEGION_SHUTDOWN_GRACE="1")
    visitor = new_visitor(server, unique_email(), credit="5")
    fake.set(reply=" ".join(["word"] * 400), delay=0.05)  # 20 s each: longer than the grace
    opened = threading.Barrier(STREAMS + 1)
    results = open_streams(visitor, STREAMS, opened)
    opened.wait(timeout=30)
    assert wallet(server, visitor.email)["reserved_micros"] > 0
    signal_server(server, signal.SIGTERM)
    results = join(results)
    # Settled before the process exited: nothing is held, and every partial answer is
    # in the ledger, charged for the words it got.
    money = wallet(server, visitor.email)
    assert money["reserved_micros"] == 0
    rows = server.cli_json("transactions", visitor.client_id)
    assert len(rows) == STREAMS
    assert all(0 < row["completion_tokens"] < 400 for row in rows)
    assert money["balance_micros"] == 5_000_000 - sum(row["total_micros"] for row in rows)
    assert not any(r["done"] for r in results)
    fake.reset()
    again = start(database, fake)
    try:
        assert visitor_chat(again, visitor).status_code == 200
    finally:
        again.stop()


def test_sigterm_lets_short_answers_finish_within_the_grace(database, fake, unique_email):
    server = start(database, fake, LEGION_SHUTDOWN_GRACE="20")
    visitor = new_visitor(server, unique_email(), credit="5")
    fake.set(reply=" ".join(["word"] * 40), delay=0.05)  # 2 s each
    opened = threading.Barrier(4)
    results = open_streams(visitor, 3, opened)
    opened.wait(timeout=30)
    signal_server(server, signal.SIGTERM)
    results = join(results)
    assert all(r["done"] and r["error"] is None for r in results), results
    rows = server.cli_json("transactions", visitor.client_id)
    assert sorted(row["completion_tokens"] for row in rows) == [40, 40, 40]
    assert wallet(server, visitor.email)["reserved_micros"] == 0
    fake.reset()


def test_holds_of_a_killed_process_are_released_by_the_next_one(database, fake, unique_email):
    server = start(database, fake)
    visitor = new_visitor(server, unique_email(), credit="5")
    fake.set(reply=" ".join(["word"] * 400), delay=0.05)
    opened = threading.Barrier(STREAMS + 1)
    results = open_streams(visitor, STREAMS, opened)
    opened.wait(timeout=30)
    signal_server(server, signal.SIGKILL)
    join(results)
    assert wallet(server, visitor.email)["reserved_micros"] > 0  # left behind by the dead
    fake.reset()
    again = start(database, fake)
    try:
        deadline = time.monotonic() + 60
        while wallet(again, visitor.email)["reserved_micros"] and time.monotonic() < deadline:
            time.sleep(0.25)
        money = wallet(again, visitor.email)
        assert money["reserved_micros"] == 0
        # The dead process could book nothing: the wallet is whole, the ledger empty.
        assert money["balance_micros"] == 5_000_000
        assert again.cli_json("transactions", visitor.client_id) == []
        assert visitor_chat(again, visitor).status_code == 200
    finally:
        again.stop()


def visitor_chat(server: ServerProcess, visitor) -> httpx.Response:
    return httpx.post(
        server.local_url + "/v1/chat/completions",
        headers=visitor.headers,
        json={"model": MODEL, "messages": [{"role": "user", "content": "Still there?"}]},
        timeout=30,
    )
