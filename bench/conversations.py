"""Conversation benchmark (SPEC §11): asks against plain completions, at rest and under
load; history pages and search at scale; resume; and the stream log's flush interval.

    .venv/bin/python bench/conversations.py [--quick] [--backend sqlite|postgres] [--json FILE]

Starts the fake providers (their own process) and real Legion servers (``widget-server
serve``, one worker) on one database, and measures in the same run:

1. one at a time, interleaved: time to the first chunk of a streamed ask against the same
   prompt through ``/v1/chat/completions`` (same server, same fake upstream);
2. N streamed asks against N completion streams at 50 chunks/s, started over 8 s: first
   chunk p50/p99 and failures, for each flush interval in ``--flush`` (one server each),
   with the stream-log rows written per second;
3. a conversation of 10,000 messages and a user with 1,000 conversations: a page of 50
   messages, a page of 20 conversations (p50/p99);
4. search over 100,000 messages of one user (p50/p99, rare and common words);
5. resume: first replayed event of an ended answer, and of one being written.

Numbers, not pass/fail; bench/README.md keeps them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.gateway import pct, raise_fd_limit, start_fake  # noqa: E402
from tests.fakes.fixtures import new_visitor  # noqa: E402
from tests.fakes.server import provider_env  # noqa: E402
from tests.support.databases import TestDatabase  # noqa: E402
from tests.support.server import ServerProcess, free_port  # noqa: E402

MODEL = "gpt-4o-mini"
WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
]


class Api:
    def __init__(self, session: aiohttp.ClientSession, server: ServerProcess, visitor) -> None:
        self.session = session
        self.server = server
        self.base = f"{server.url}/v1/chat/{visitor.client_id}"
        self.headers = {"Authorization": f"Bearer {visitor.token}"}

    async def json(self, method: str, path: str, body=None):
        async with self.session.request(
            method, self.base + path, json=body, headers=self.headers
        ) as response:
            data = await response.read()
            if response.status >= 400:
                raise RuntimeError(f"{method} {path}: HTTP {response.status} {data[:200]!r}")
            return json.loads(data) if data else None

    async def conversation(self) -> str:
        return (await self.json("POST", "/conversations", {}))["id"]

    async def first_chunk(self, url: str, body: dict, marker: bytes) -> float:
        """Seconds to the first line holding ``marker``; reads the stream to its end."""
        started = time.perf_counter()
        first = None
        async with self.session.post(url, json=body, headers=self.headers) as response:
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {(await response.read())[:200]!r}")
            async for line in response.content:
                if first is None and marker in line:
                    first = time.perf_counter() - started
        return first if first is not None else float("nan")

    async def ask_ttfc(self, conversation: str, text: str) -> float:
        body = {"content": text, "model": MODEL, "stream": True, "max_tokens": 500}
        url = f"{self.base}/conversations/{conversation}/messages"
        return await self.first_chunk(url, body, b'"type":"ai_chunk"')

    async def completion_ttfc(self, text: str) -> float:
        body = {
            "model": MODEL,
            "stream": True,
            "max_tokens": 500,
            "messages": [{"role": "user", "content": text}],
        }
        url = self.server.url + "/v1/chat/completions"
        return await self.first_chunk(url, body, b'"content":"')


# ---------------------------------------------------------------- scenarios


async def one_at_a_time(api: Api, count: int) -> dict:
    conversations = [await api.conversation() for _ in range(count + 10)]
    for i in range(10):  # warm up
        await api.ask_ttfc(conversations[i], "warm up")
        await api.completion_ttfc("warm up")
    asks, completions = [], []
    for i in range(count):
        text = "[[fake chunks=5]] Hello there"
        asks.append(await api.ask_ttfc(conversations[10 + i], text))
        completions.append(await api.completion_ttfc(text))
    return _compare(asks, completions)


def _compare(asks: list[float], completions: list[float]) -> dict:
    return {
        "completion_p50_ms": pct(completions, 50) * 1000,
        "completion_p99_ms": pct(completions, 99) * 1000,
        "ask_p50_ms": pct(asks, 50) * 1000,
        "ask_p99_ms": pct(asks, 99) * 1000,
        "added_p50_ms": (pct(asks, 50) - pct(completions, 50)) * 1000,
        "added_p99_ms": (pct(asks, 99) - pct(completions, 99)) * 1000,
    }


async def under_load(api: Api, count: int, seconds: float) -> dict:
    chunks = int(seconds * 50)
    text = f"[[fake chunks={chunks} delay=0.02]] stream please"
    conversations = [await api.conversation() for _ in range(count)]

    async def run(kind: str) -> tuple[list[float], int]:
        async def one(i: int):
            await asyncio.sleep(i * seconds / count)
            if kind == "ask":
                return await api.ask_ttfc(conversations[i], text)
            return await api.completion_ttfc(text)

        results = await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
        good = [r for r in results if isinstance(r, float)]
        return good, len(results) - len(good)

    completions, completion_failed = await run("completion")
    await asyncio.sleep(2)
    rows_before = await _log_rows(api)
    started = time.perf_counter()
    asks, ask_failed = await run("ask")
    elapsed = time.perf_counter() - started
    rows = await _log_rows(api) - rows_before
    return {
        "streams": count,
        **_compare(asks, completions),
        "failed": f"{completion_failed}/{ask_failed}",
        "log_rows_per_s": rows / elapsed,
    }


async def _log_rows(api: Api) -> int:
    """Stream-log rows written so far (counted in the database, not through the API)."""
    from sqlalchemy import func, select

    from widget_server.storage import Database
    from widget_server.storage.schema import message_chunks

    db = Database(api.server.env["LEGION_DATABASE_URL"])
    try:
        async with db.read() as conn:
            return (await conn.execute(select(func.count()).select_from(message_chunks))).scalar()
    finally:
        await db.dispose()


async def history_pages(api: Api, messages: int, conversations: int, samples: int) -> dict:
    big = await api.conversation()
    for start in range(0, messages, 100):
        batch = [
            {"role": "user" if i % 2 == 0 else "assistant", "content": _sentence(start + i)}
            for i in range(min(100, messages - start))
        ]
        await api.json("POST", f"/conversations/{big}/messages", {"messages": batch})
    for _ in range(conversations - 1):
        await api.conversation()
    message_pages, conversation_pages = [], []
    cursors = [None]
    page = await api.json("GET", f"/conversations/{big}/messages?limit=50")
    while page["has_more"] and len(cursors) < 200:
        cursors.append(page["next_cursor"])
        page = await api.json("GET", f"/conversations/{big}/messages?limit=50&cursor={cursors[-1]}")
    for i in range(samples):
        cursor = cursors[i % len(cursors)]
        query = f"?limit=50&cursor={cursor}" if cursor else "?limit=50"
        started = time.perf_counter()
        await api.json("GET", f"/conversations/{big}/messages{query}")
        message_pages.append(time.perf_counter() - started)
        started = time.perf_counter()
        await api.json("GET", "/conversations?limit=20")
        conversation_pages.append(time.perf_counter() - started)
    return {
        "messages_page_p50_ms": pct(message_pages, 50) * 1000,
        "messages_page_p99_ms": pct(message_pages, 99) * 1000,
        "conversations_page_p50_ms": pct(conversation_pages, 50) * 1000,
        "conversations_page_p99_ms": pct(conversation_pages, 99) * 1000,
    }


def _sentence(n: int) -> str:
    rng = random.Random(n)
    words = [rng.choice(WORDS) for _ in range(12)]
    if n % 1000 == 7:
        words.append("zanzibar")  # a rare word: 1 message in 1,000
    return " ".join(words)


async def search(api: Api, total: int, samples: int) -> dict:
    conversation = await api.conversation()
    for start in range(0, total, 100):
        batch = [
            {"role": "user", "content": _sentence(start + i)}
            for i in range(min(100, total - start))
        ]
        await api.json("POST", f"/conversations/{conversation}/messages", {"messages": batch})
    timings: dict[str, list[float]] = {"rare": [], "common": [], "two words": []}
    queries = {"rare": "zanzibar", "common": "alpha", "two words": "alpha bravo"}
    for _ in range(samples):
        for kind, query in queries.items():
            started = time.perf_counter()
            await api.json("GET", f"/search?q={query.replace(' ', '+')}&limit=20")
            timings[kind].append(time.perf_counter() - started)
    return {
        f"{kind}_{q}_ms": pct(values, int(q[1:])) * 1000
        for kind, values in timings.items()
        for q in ("p50", "p99")
    }


async def resume(api: Api, samples: int) -> dict:
    conversation = await api.conversation()
    body = {"content": "[[fake chunks=30]] go", "model": MODEL}
    ended = await api.json("POST", f"/conversations/{conversation}/messages", body)
    answer = ended["messages"][1]["id"]
    path = f"{api.base}/conversations/{conversation}/messages/{answer}/events"
    finished, live = [], []
    for _ in range(samples):
        finished.append(await _first_event(api, path, {"Last-Event-ID": "3"}))
    for _ in range(max(5, samples // 10)):
        stream_body = {
            "content": "[[fake chunks=200 delay=0.02]] go",
            "model": MODEL,
            "stream": True,
        }
        url = f"{api.base}/conversations/{conversation}/messages"
        async with api.session.post(url, json=stream_body, headers=api.headers) as response:
            answer_id = None
            async for line in response.content:
                if b'"type":"ai_chunk"' in line:
                    answer_id = json.loads(line[6:])["message_id"]
                    break
        await asyncio.sleep(0.3)  # some 15 chunks were written: replay them, then follow
        live_path = f"{api.base}/conversations/{conversation}/messages/{answer_id}/events"
        live.append(await _first_event(api, live_path, {"Last-Event-ID": "2"}))
        await asyncio.sleep(4.5)  # let it end before the next one
    return {
        "ended_p50_ms": pct(finished, 50) * 1000,
        "ended_p99_ms": pct(finished, 99) * 1000,
        "live_p50_ms": pct(live, 50) * 1000,
        "live_p99_ms": pct(live, 99) * 1000,
    }


async def _first_event(api: Api, url: str, headers: dict) -> float:
    started = time.perf_counter()
    async with api.session.get(url, headers={**api.headers, **headers}) as response:
        async for line in response.content:
            if line.startswith(b"data:"):
                return time.perf_counter() - started
    return float("nan")


# ---------------------------------------------------------------- orchestration


def start_server(database: TestDatabase, fake_url: str, flush: float) -> tuple:
    env = {
        **provider_env(fake_url),
        "LEGION_CHAT_RATE_LIMIT_PER_TOKEN": "0",
        "LEGION_CHAT_RATE_LIMIT_PER_USER": "0",
        "LEGION_STREAM_FLUSH_INTERVAL": str(flush),
    }
    server = ServerProcess(database.url, env=env).start()
    visitor = new_visitor(server, f"bench-{flush}-{time.time_ns()}@example.com", credit="100000")
    return server, visitor


async def session_for(server, visitor, work):
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        return await work(Api(session, server, visitor))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--streams", type=int, default=300)
    parser.add_argument("--flush", type=float, nargs="*", default=[0.02, 0.1, 0.5])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    raise_fd_limit()
    fake_port = free_port()
    fake = start_fake(fake_port)
    fake_url = f"http://127.0.0.1:{fake_port}"
    results: dict = {"backend": args.backend}
    try:
        database = TestDatabase(args.backend)
        server, visitor = start_server(database, fake_url, 0.1)
        try:
            scale = 0.1 if args.quick else 1.0
            results["one_at_a_time"] = asyncio.run(
                session_for(server, visitor, lambda api: one_at_a_time(api, int(300 * scale)))
            )
            print("one at a time", results["one_at_a_time"], flush=True)
            results["pages"] = asyncio.run(
                session_for(
                    server,
                    visitor,
                    lambda api: history_pages(api, int(10_000 * scale), int(1000 * scale), 200),
                )
            )
            print("pages", results["pages"], flush=True)
            results["resume"] = asyncio.run(
                session_for(server, visitor, lambda api: resume(api, 100))
            )
            print("resume", results["resume"], flush=True)
            results["search"] = asyncio.run(
                session_for(server, visitor, lambda api: search(api, int(100_000 * scale), 100))
            )
            print("search", results["search"], flush=True)
        finally:
            server.stop()
            database.close()
        results["load"] = []
        for flush in args.flush:
            database = TestDatabase(args.backend)
            server, visitor = start_server(database, fake_url, flush)
            try:
                row = asyncio.run(
                    session_for(
                        server,
                        visitor,
                        lambda api: under_load(
                            api, int(args.streams * (0.3 if args.quick else 1)), 8.0
                        ),
                    )
                )
            finally:
                server.stop()
                database.close()
            row["flush_s"] = flush
            results["load"].append(row)
            print("load", row, flush=True)
    finally:
        fake.terminate()
        fake.wait(10)
    print()
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def report(results: dict) -> str:
    one = results["one_at_a_time"]
    pages, search_, resumed = results["pages"], results["search"], results["resume"]
    lines = [
        f"### Conversations ({results['backend']})",
        "",
        "| first chunk, one at a time | completion | ask | added | goal |",
        "| --- | --- | --- | --- | --- |",
        f"| p50 | {one['completion_p50_ms']:.2f} ms | {one['ask_p50_ms']:.2f} ms "
        f"| {one['added_p50_ms']:.2f} ms | ≤ 3 ms |",
        f"| p99 | {one['completion_p99_ms']:.2f} ms | {one['ask_p99_ms']:.2f} ms "
        f"| {one['added_p99_ms']:.2f} ms | ≤ 10 ms |",
        "",
        "| flush interval | streams | completion first chunk p50 / p99 | ask p50 / p99 "
        "| ask p99 ÷ completion p99 | log rows/s | failed (completion/ask) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in results["load"]:
        ratio = row["ask_p99_ms"] / row["completion_p99_ms"]
        lines.append(
            f"| {row['flush_s']} s | {row['streams']} | {row['completion_p50_ms']:.1f} / "
            f"{row['completion_p99_ms']:.1f} ms | {row['ask_p50_ms']:.1f} / "
            f"{row['ask_p99_ms']:.1f} ms | {ratio:.2f} | {row['log_rows_per_s']:.0f} "
            f"| {row['failed']} |"
        )
    lines += [
        "",
        "| at scale | p50 | p99 | goal (p50) |",
        "| --- | --- | --- | --- |",
        f"| 50 of 10,000 messages | {pages['messages_page_p50_ms']:.2f} ms "
        f"| {pages['messages_page_p99_ms']:.2f} ms | ≤ 5 ms |",
        f"| 20 of 1,000 conversations | {pages['conversations_page_p50_ms']:.2f} ms "
        f"| {pages['conversations_page_p99_ms']:.2f} ms | ≤ 5 ms |",
        f"| search 100,000 messages, rare word | {search_['rare_p50_ms']:.2f} ms "
        f"| {search_['rare_p99_ms']:.2f} ms | ≤ 20 ms |",
        f"| search, common word | {search_['common_p50_ms']:.2f} ms "
        f"| {search_['common_p99_ms']:.2f} ms | ≤ 20 ms |",
        f"| search, two words | {search_['two words_p50_ms']:.2f} ms "
        f"| {search_['two words_p99_ms']:.2f} ms | ≤ 20 ms |",
        f"| resume an ended answer: first event | {resumed['ended_p50_ms']:.2f} ms "
        f"| {resumed['ended_p99_ms']:.2f} ms | ≤ 20 ms |",
        f"| resume an answer being written: first event | {resumed['live_p50_ms']:.2f} ms "
        f"| {resumed['live_p99_ms']:.2f} ms | ≤ 20 ms |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
