"""``legion`` CLI and MCP server benchmark (issue 11): numbers, not pass/fail.

    .venv/bin/python bench/legion_cli.py [--runs 30] [--apps 10]

Starts a real server (SQLite, one worker) with a developer who owns ``--apps`` apps and a
developer token made on /account, then measures:

1. ``legion list-apps`` (and ``--json``): wall time of the whole process, from its start
   to its exit, as a user's shell sees it (Python start-up, imports, one HTTP request,
   printing), against a bare ``python -c pass`` of the same interpreter for scale;
2. ``legion mcp``: started with the MCP SDK's own stdio client, the time to a completed
   ``initialize``, then ``tools/list`` round trips (the first right after start, and the
   median of the rest).

Goals (issue 11): ``legion list-apps`` ≤ 400 ms p50; MCP ``tools/list`` ≤ 50 ms after start.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

from tests.support.databases import new_sqlite_url  # noqa: E402
from tests.support.developer_api import LEGION, new_developer  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def row(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"| {label} | {statistics.median(ms):.1f} | {pct(ms, 90):.1f} | {min(ms):.1f} "
        f"| {max(ms):.1f} | {len(ms)} |"
    )


def time_process(command: list[str], env: dict, runs: int) -> list[float]:
    subprocess.run(command, env=env, capture_output=True, check=True)  # warm the page cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return times


async def time_mcp(env: dict, runs: int) -> tuple[float, float, list[float]]:
    params = StdioServerParameters(command=LEGION, args=["mcp"], env=env)
    started = time.perf_counter()
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        ready = time.perf_counter() - started
        first_started = time.perf_counter()
        tools = await session.list_tools()
        first = time.perf_counter() - first_started
        assert len(tools.tools) == 9
        rest = []
        for _ in range(runs):
            t = time.perf_counter()
            await session.list_tools()
            rest.append(time.perf_counter() - t)
    return ready, first, rest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--apps", type=int, default=10)
    args = parser.parse_args()
    with ServerProcess(new_sqlite_url()) as server:
        developer = new_developer(server, "bench@example.com")
        for n in range(args.apps):
            developer.create_app(name=f"App {n}", redirect_uris=[f"https://app{n}.example/cb"])
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEGION_")}
        env |= {"LEGION_SERVER_URL": server.url, "LEGION_ACCESS_TOKEN": developer.token}
        text = time_process([LEGION, "list-apps"], env, args.runs)
        as_json = time_process([LEGION, "list-apps", "--json"], env, args.runs)
        bare = time_process([sys.executable, "-c", "pass"], env, args.runs)
        ready, first, rest = asyncio.run(time_mcp(env, args.runs))
    print(f"legion list-apps, {args.apps} apps, {args.runs} runs (ms)\n")
    print("| command | p50 | p90 | min | max | runs |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(row("`legion list-apps`", text))
    print(row("`legion list-apps --json`", as_json))
    print(row("`python -c pass` (start-up alone)", bare))
    print(
        f"\nlegion mcp: initialize done {ready * 1000:.0f} ms after start; tools/list first "
        f"{first * 1000:.2f} ms, then p50 {statistics.median(rest) * 1000:.2f} ms, "
        f"p90 {pct(rest, 90) * 1000:.2f} ms ({len(rest)} round trips)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
