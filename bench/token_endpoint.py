"""Refresh-grant throughput and latency, beside a trivial endpoint of the same server.

    .venv/bin/python bench/token_endpoint.py [--seconds 5] [--concurrency 1,8,32]
                                              [--backends sqlite,postgres]

For each backend it starts the real server (one hypercorn worker, as ``widget-server
serve``), gives every concurrent client its own authorization (rotation makes each refresh
token single-use, so a client refreshes along its own chain), and for the same duration
and concurrency also calls ``GET /healthz``. The ratio of the two is what matters: it says
what a refresh costs on top of the server's own per-request overhead, whatever the
machine. The load generator shares the machine with the server; on 2 cores the absolute
numbers are modest, the ratio less so.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.databases import TestDatabase, pg_available
from tests.support.oauth import new_site
from tests.support.server import ServerProcess


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def run_load(make_request, concurrency: int, seconds: float) -> dict:
    """``concurrency`` workers call ``make_request(worker)`` back to back for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(index: int) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            ok = await make_request(index)
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
    }


async def bench_backend(server: ServerProcess, site, concurrency: int, seconds: float):
    """aiohttp as the load generator: httpx's own pool is slower than the server here."""
    chains = [site.tokens()["refresh_token"] for _ in range(concurrency)]
    connector = aiohttp.TCPConnector(limit=concurrency)
    base = server.local_url
    async with aiohttp.ClientSession(connector=connector) as client:

        async def refresh(index: int) -> bool:
            data = {"grant_type": "refresh_token", "refresh_token": chains[index]}
            async with client.post(f"{base}/v1/oauth/token", data=data) as response:
                if response.status != 200:
                    return False
                chains[index] = (await response.json())["refresh_token"]
                return True

        async def trivial(_index: int) -> bool:
            async with client.get(f"{base}/healthz") as response:
                await response.read()
                return response.status == 200

        # Warm both paths (connections, statement caches) before measuring.
        await run_load(trivial, concurrency, 0.5)
        baseline = await run_load(trivial, concurrency, seconds)
        measured = await run_load(refresh, concurrency, seconds)
    return baseline, measured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    rows = []
    for backend in args.backends.split(","):
        if backend == "postgres" and pg_available() is not None:
            print(f"skipping postgres: {pg_available()}", file=sys.stderr)
            continue
        database = TestDatabase(backend)
        env = {"LEGION_TOKEN_RATE_LIMIT": "0"}
        try:
            with ServerProcess(database.url, env=env) as server:
                site = new_site(server, f"bench-{backend}@example.com", "http://b.localhost/cb")
                for concurrency in levels:
                    baseline, measured = asyncio.run(
                        bench_backend(server, site, concurrency, args.seconds)
                    )
                    rows.append((backend, concurrency, baseline, measured))
        finally:
            database.close()

    header = (
        f"{'backend':<9} {'conc':>4} | {'healthz rps':>11} {'p50':>6} {'p99':>6} | "
        f"{'refresh rps':>11} {'p50':>6} {'p99':>6} {'errors':>6} | {'rps ratio':>9} "
        f"{'p50 ratio':>9}"
    )
    print(header)
    print("-" * len(header))
    for backend, concurrency, base, meas in rows:
        print(
            f"{backend:<9} {concurrency:>4} | {base['rps']:>11.0f} {base['p50_ms']:>6.2f} "
            f"{base['p99_ms']:>6.2f} | {meas['rps']:>11.0f} {meas['p50_ms']:>6.2f} "
            f"{meas['p99_ms']:>6.2f} {meas['errors']:>6} | "
            f"{meas['rps'] / base['rps']:>9.2f} {meas['p50_ms'] / base['p50_ms']:>9.2f}"
        )
    print("latencies in ms; ratio = refresh / healthz on the same server, same run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
