"""Gateway benchmark: the same load straight to the fake upstream, through a bare relay
(``bench/bare_relay.py``: Quart + hypercorn + one aiohttp session, no auth, no database,
bytes passed through) and through the gateway, interleaved in one run.

    .venv/bin/python bench/gateway.py [--quick] [--transport aiohttp|httpx-aiohttp|httpx]
        [--worker-class asyncio|uvloop] [--pin CPU] [--json FILE]

Starts the fake providers (``python -m tests.fakes``, its own process), the relay and a real
Legion server (``widget-server serve``, SQLite unless --postgres, one worker) pointed at
them, connects a user, then measures for each target in the same run:

1. added latency, one non-streamed request at a time (p50, p99);
2. throughput and p99 at rising concurrency (non-streamed);
3. N streams (20 ms before the first chunk, then 50 chunks 20 ms apart) started over
   ``--stream-start`` seconds: time-to-first-token p50/p99 and chunk-gap p99;
4. memory per open stream with 2,000 slow streams open through the gateway (RSS growth of
   the server process divided by the streams).

"Added" is a target's percentile minus the direct one. ``--pin CPU`` runs the relay and
the gateway on the same core (taskset), so that neither gets a core of its own. Numbers,
not pass/fail: the goals (bench/README.md) are printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.fixtures import new_visitor  # noqa: E402
from tests.fakes.server import KEYS, provider_env  # noqa: E402
from tests.support.databases import TestDatabase  # noqa: E402
from tests.support.server import ServerProcess, free_port  # noqa: E402

MODEL = "gpt-4o-mini"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used so far, all its threads (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Target:
    """One way to reach a chat completion: the fake directly, or through the gateway."""

    def __init__(self, name: str, url: str, headers: dict[str, str], pid: int | None) -> None:
        self.name = name
        self.url = url
        self.headers = {**headers, "Content-Type": "application/json"}
        self.pid = pid  # the server's process, whose CPU time is measured (None: not ours)

    def body(self, text: str, stream: bool, max_tokens: int = 200) -> bytes:
        body = {
            "model": MODEL,
            "messages": [{"role": "user", "content": text}],
            "max_tokens": max_tokens,
        }
        if stream:
            body["stream"] = True
        return json.dumps(body).encode()


async def one_request(session: aiohttp.ClientSession, target: Target, text: str) -> float:
    started = time.perf_counter()
    async with session.post(target.url, data=target.body(text, False), headers=target.headers) as r:
        await r.read()
        if r.status != 200:
            raise RuntimeError(f"{target.name}: HTTP {r.status}")
    return time.perf_counter() - started


async def one_stream(
    session: aiohttp.ClientSession, target: Target, text: str, max_tokens: int
) -> tuple[float, list[float]]:
    """Time to the first content chunk, and the gaps between content chunks."""
    started = time.perf_counter()
    first = None
    last = None
    gaps: list[float] = []
    body = target.body(text, True, max_tokens)
    async with session.post(target.url, data=body, headers=target.headers) as response:
        if response.status != 200:
            raise RuntimeError(f"{target.name}: HTTP {response.status}")
        async for line in response.content:
            if not line.startswith(b"data: {") or b'"content":"' not in line:
                continue
            if b'"content":""' in line:
                continue
            now = time.perf_counter()
            if first is None:
                first = now - started
            else:
                gaps.append(now - last)
            last = now
    return (first if first is not None else float("nan")), gaps


# ------------------------------------------------------------------ scenarios


async def sequential(session, targets, count: int) -> dict:
    times: dict[str, list[float]] = {t.name: [] for t in targets}
    for target in targets:  # warm up connections and caches
        for _ in range(20):
            await one_request(session, target, "warm up")
    cpu_before = {t.name: cpu_seconds(t.pid) for t in targets if t.pid}
    for _ in range(count):
        for target in targets:
            times[target.name].append(await one_request(session, target, "Hello there"))
    direct = times["direct"]
    result: dict = {"requests": count}
    for name, before in cpu_before.items():
        pid = next(t.pid for t in targets if t.name == name)
        result[f"{name}_cpu_ms"] = (cpu_seconds(pid) - before) / count * 1000
    for name, values in times.items():
        result[f"{name}_p50_ms"] = pct(values, 50) * 1000
        result[f"{name}_p99_ms"] = pct(values, 99) * 1000
        if name != "direct":
            result[f"{name}_added_p50_ms"] = (pct(values, 50) - pct(direct, 50)) * 1000
            result[f"{name}_added_p99_ms"] = (pct(values, 99) - pct(direct, 99)) * 1000
    return result


async def concurrent(session, target: Target, concurrency: int, total: int) -> dict:
    latencies: list[float] = []
    queue = iter(range(total))

    async def worker() -> None:
        for _ in queue:
            latencies.append(await one_request(session, target, "Hello there"))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "rps": total / elapsed,
        "p50_ms": pct(latencies, 50) * 1000,
        "p99_ms": pct(latencies, 99) * 1000,
    }


async def streams(session, target: Target, count: int, start_over: float, chunks: int) -> dict:
    """``count`` streams (20 ms before the first chunk, then ``chunks`` chunks 20 ms apart),
    started evenly over ``start_over`` seconds: the later ones meet the full load."""
    text = f"[[fake chunks={chunks} delay=0.02 first_delay=0.02]] stream please"

    async def started_at(delay: float):
        await asyncio.sleep(delay)
        return await one_stream(session, target, text, chunks + 10)

    results = await asyncio.gather(
        *(started_at(i * start_over / count) for i in range(count)), return_exceptions=True
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    good = [r for r in results if not isinstance(r, BaseException)]
    ttft = [r[0] for r in good]
    gaps = [g for r in good for g in r[1]]
    return {
        "streams": count,
        "failed": len(failures),
        "ttft_p50_ms": pct(ttft, 50) * 1000,
        "ttft_p99_ms": pct(ttft, 99) * 1000,
        "gap_p50_ms": pct(gaps, 50) * 1000,
        "gap_p99_ms": pct(gaps, 99) * 1000,
    }


def median_round(rounds: list[dict]) -> dict:
    """Each number's median over the rounds; failures are added up."""
    combined = {}
    for key in rounds[0]:
        values = sorted(measured[key] for measured in rounds)
        combined[key] = sum(values) if key == "failed" else values[len(values) // 2]
    return combined


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def slow_streams(session, target: Target, pid: int, count: int) -> dict:
    """Open ``count`` streams that send one chunk a second, measure the server's RSS."""
    idle = rss_kib(pid)
    text = "[[fake chunks=40 delay=1.0]] slowly"
    started = asyncio.Event()
    opened = 0

    async def one() -> None:
        nonlocal opened
        body = target.body(text, True, 60)
        async with session.post(target.url, data=body, headers=target.headers) as response:
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            got_first = False
            async for line in response.content:
                if not got_first and b'"content":"' in line and b'"content":""' not in line:
                    got_first = True
                    opened += 1
                    if opened == count:
                        started.set()

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    try:
        await asyncio.wait_for(started.wait(), timeout=120)
        await asyncio.sleep(3)  # every stream has a few chunks through
        peak = rss_kib(pid)
    except TimeoutError:
        peak = rss_kib(pid)
    held = opened
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "streams_open": held,
        "rss_idle_mib": idle / 1024,
        "rss_open_mib": peak / 1024,
        "kib_per_stream": (peak - idle) / max(held, 1),
    }


# ------------------------------------------------------------------ orchestration


def start_profiler(path: Path | None, pid: int, rate: int = 250) -> subprocess.Popen | None:
    """py-spy sampling the gateway (its Python frames and, with --native, its C calls)
    while the streams run (--profile FILE: py-spy's raw format, one stack per line)."""
    if path is None:
        return None
    command = ["py-spy", "record", "--pid", str(pid), "--format", "raw", "--rate", str(rate)]
    return subprocess.Popen([*command, "--output", str(path)], stdout=subprocess.DEVNULL)


def stop_profiler(profiler: subprocess.Popen | None, path: Path | None) -> None:
    if profiler is None:
        return
    profiler.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
    profiler.wait(30)
    print(f"profile: {path} (top entries: python bench/profile_top.py {path})", flush=True)


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_fake(port: int) -> subprocess.Popen:
    # Without automatic garbage collections (a bench run is short): the fake's own pauses
    # would land on every target's chunk gaps.
    no_gc = "import gc, runpy; gc.disable(); runpy.run_module('tests.fakes', run_name='__main__')"
    process = subprocess.Popen(
        [sys.executable, "-c", no_gc, "--port", str(port), "--no-record"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    import socket

    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the fake providers did not start")


def pinned(cpu: int | None, command: list[str]) -> list[str]:
    return command if cpu is None else ["taskset", "-c", str(cpu), *command]


def start_relay(fake_url: str, cpu: int | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [
        sys.executable,
        str(ROOT / "bench" / "bare_relay.py"),
        "--port",
        str(port),
        "--upstream",
        fake_url + "/openai/v1",
        "--key",
        KEYS["openai"],
    ]
    process = subprocess.Popen(
        pinned(cpu, command), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for_port(port, process, "the bare relay")
    return process, f"http://127.0.0.1:{port}"


def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    import socket

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{what} did not start")


async def run(
    args,
    server: ServerProcess,
    token: str,
    fake_url: str,
    relay: tuple[str, int],
    before=None,
) -> dict:
    direct = Target(
        "direct",
        fake_url + "/openai/v1/chat/completions",
        {"Authorization": f"Bearer {KEYS['openai']}"},
        None,
    )
    relay_url, relay_pid = relay
    relay = Target("relay", relay_url + "/v1/chat/completions", {}, relay_pid)
    gateway = Target(
        "gateway",
        server.url + "/v1/chat/completions",
        {"Authorization": f"Bearer {token}"},
        server.process.pid,
    )
    targets = [direct, relay, gateway]
    if before is not None:  # the same gateway from another tree (--before), side by side
        before_server, before_token = before
        targets.append(
            Target(
                "before",
                before_server.url + "/v1/chat/completions",
                {"Authorization": f"Bearer {before_token}"},
                before_server.process.pid,
            )
        )
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
    results: dict = {
        "transport": args.transport,
        "worker_class": args.worker_class,
        "workers": args.workers,
        "database": "postgresql" if args.postgres else "sqlite",
    }
    # The client's own garbage collections only between measurements: a pause of this
    # process would land on the chunk gaps of whichever target it happened to measure.
    gc.collect()
    gc.disable()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        profiler = None
        if args.profile_phase == "sequential":
            profiler = start_profiler(args.profile, server.process.pid, args.profile_rate)
        results["sequential"] = await sequential(session, targets, 200 if args.quick else 1000)
        print("sequential", results["sequential"], flush=True)
        if profiler is not None:
            stop_profiler(profiler, args.profile)
            return results
        if args.sequential_only:
            return results
        results["concurrency"] = []
        for level in (8, 64) if args.quick else (1, 8, 32, 64, 128):
            total = max(200, level * 10) if args.quick else max(500, level * 20)
            row = {"concurrency": level}
            for target in targets:
                row[target.name] = await concurrent(session, target, level, total)
                gc.collect()
            results["concurrency"].append(row)
            print("concurrency", row, flush=True)
        results["streams"] = []
        # --profile-phase streams (the default)
        profiler = start_profiler(args.profile, server.process.pid, args.profile_rate)
        for count in args.streams:
            # Each round runs every target once, in a rotated order, so that a slow moment
            # of the machine lands on different targets; each number is the median round's.
            rounds: dict[str, list[dict]] = {target.name: [] for target in targets}
            for number in range(args.rounds):
                turn = number % len(targets)
                for target in targets[turn:] + targets[:turn]:
                    rounds[target.name].append(
                        await streams(session, target, count, args.stream_start, args.stream_chunks)
                    )
                    gc.collect()
                    await asyncio.sleep(1)
            row = {"streams": count, "rounds": args.rounds}
            row.update({name: median_round(measured) for name, measured in rounds.items()})
            results["streams"].append(row)
            print("streams", row, flush=True)
        stop_profiler(profiler, args.profile)
        if args.slow:
            results["slow_streams"] = await slow_streams(
                session, gateway, server.process.pid, args.slow
            )
            print("slow", results["slow_streams"], flush=True)
    return results


def report(results: dict) -> str:
    seq = results["sequential"]
    lines = [
        f"### Gateway benchmark (transport: {results['transport']}, "
        f"worker class: {results['worker_class']}, workers: {results['workers']}, "
        f"database: {results['database']})",
        "",
        "| one request at a time | direct | relay | gateway | relay added | gateway added "
        "| gateway ÷ relay (added) | goal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for q, goal in (("p50", "≤ 1.3"), ("p99", "≤ 1.5")):
        relay_added, gateway_added = seq[f"relay_added_{q}_ms"], seq[f"gateway_added_{q}_ms"]
        lines.append(
            f"| {q} | {seq[f'direct_{q}_ms']:.2f} ms | {seq[f'relay_{q}_ms']:.2f} ms "
            f"| {seq[f'gateway_{q}_ms']:.2f} ms | {relay_added:.2f} ms | {gateway_added:.2f} ms "
            f"| {gateway_added / relay_added:.2f} | {goal} |"
        )
    if "gateway_cpu_ms" in seq:
        lines.append(
            f"\nServer CPU time per request (all threads): relay {seq['relay_cpu_ms']:.2f} ms, "
            f"gateway {seq['gateway_cpu_ms']:.2f} ms."
        )
    if "before_p50_ms" in seq:
        cpu = f", CPU {seq['before_cpu_ms']:.2f} ms" if "before_cpu_ms" in seq else ""
        lines.append(
            f"\nThe second gateway (--before / --before-env), same run: added p50 "
            f"{seq['before_added_p50_ms']:.2f} ms, p99 {seq['before_added_p99_ms']:.2f} ms{cpu}."
        )
    lines += [
        "",
        "| concurrency | direct req/s | relay req/s | gateway req/s | gateway ÷ relay "
        "| relay p99 | gateway p99 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in results.get("concurrency", []):
        d, r, g = row["direct"], row["relay"], row["gateway"]
        before = f" (before: {row['before']['rps']:.0f})" if "before" in row else ""
        lines.append(
            f"| {row['concurrency']} | {d['rps']:.0f} | {r['rps']:.0f} | {g['rps']:.0f}{before} "
            f"| {g['rps'] / r['rps']:.2f} | {r['p99_ms']:.1f} ms | {g['p99_ms']:.1f} ms |"
        )
    lines += [
        "",
        "| streams | TTFT p50 direct / relay / gateway | TTFT p99 direct / relay / gateway "
        "| added TTFT p99 gateway ÷ relay | chunk-gap p99 direct / relay / gateway | failed |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in results.get("streams", []):
        d, r, g = row["direct"], row["relay"], row["gateway"]
        if "before" in row:
            b = row["before"]
            lines.append(
                f"| {row['streams']} (before) | {b['ttft_p50_ms']:.1f} ms | "
                f"{b['ttft_p99_ms']:.1f} ms | | {b['gap_p99_ms']:.1f} ms | {b['failed']} |"
            )
        relay_added = r["ttft_p99_ms"] - d["ttft_p99_ms"]
        gateway_added = g["ttft_p99_ms"] - d["ttft_p99_ms"]
        ratio = gateway_added / relay_added if relay_added > 0 else float("nan")
        lines.append(
            f"| {row['streams']} | {d['ttft_p50_ms']:.1f} / {r['ttft_p50_ms']:.1f} / "
            f"{g['ttft_p50_ms']:.1f} ms | {d['ttft_p99_ms']:.1f} / {r['ttft_p99_ms']:.1f} / "
            f"{g['ttft_p99_ms']:.1f} ms | {ratio:.2f} (≤ 2) | {d['gap_p99_ms']:.1f} / "
            f"{r['gap_p99_ms']:.1f} / {g['gap_p99_ms']:.1f} ms | "
            f"{d['failed']}/{r['failed']}/{g['failed']} |"
        )
    slow = results.get("slow_streams")
    if slow:
        lines += [
            "",
            f"Slow streams held open through the gateway: {slow['streams_open']}; server RSS "
            f"{slow['rss_idle_mib']:.0f} MiB idle → {slow['rss_open_mib']:.0f} MiB, "
            f"**{slow['kib_per_stream']:.0f} KiB per open stream** (goal ≤ 100 KB).",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument(
        "--sequential-only", action="store_true", help="only one request at a time (then stop)"
    )
    parser.add_argument(
        "--transport", choices=("aiohttp", "httpx-aiohttp", "httpx"), default="aiohttp"
    )
    parser.add_argument("--worker-class", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--streams", type=int, nargs="*", default=[200, 300])
    parser.add_argument("--stream-start", type=float, default=1.0, help="start them over")
    parser.add_argument("--stream-chunks", type=int, default=50)
    parser.add_argument(
        "--rounds", type=int, help="runs of each stream level per target (default 3; quick 1)"
    )
    parser.add_argument("--slow", type=int, default=0, help="slow streams (0: skip)")
    parser.add_argument("--pin", type=int, default=None, help="run relay and gateway on CPU")
    parser.add_argument("--postgres", action="store_true", help="the gateway on PostgreSQL")
    parser.add_argument("--workers", type=int, default=1, help="the gateway's worker processes")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument(
        "--profile", type=Path, help="record the gateway with py-spy (see --profile-phase)"
    )
    parser.add_argument(
        "--profile-phase",
        choices=("streams", "sequential"),
        default="streams",
        help="what --profile records: the streams, or one request at a time (then stops)",
    )
    parser.add_argument("--profile-rate", type=int, default=250, help="py-spy's samples a second")
    parser.add_argument(
        "--before", type=Path, help="also measure the gateway of this checkout (a git worktree)"
    )
    parser.add_argument(
        "--before-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="the second gateway's settings (with or without --before), e.g. "
        "LEGION_WORKER_CLASS=uvloop: shown as 'before'",
    )
    args = parser.parse_args()
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    raise_fd_limit()
    fake_port = free_port()
    fake = start_fake(fake_port)
    fake_url = f"http://127.0.0.1:{fake_port}"
    relay, relay_url = start_relay(fake_url, args.pin)
    env = {
        **provider_env(fake_url),
        "LEGION_UPSTREAM_TRANSPORT": args.transport,
        "LEGION_WORKER_CLASS": args.worker_class,
        "LEGION_CHAT_RATE_LIMIT_PER_TOKEN": "0",
        "LEGION_CHAT_RATE_LIMIT_PER_USER": "0",
    }
    database = TestDatabase("postgres" if args.postgres else "sqlite")
    server = ServerProcess(database.url, env=env, workers=args.workers)
    servers = [(server, database)]
    before = None
    if args.before or args.before_env:
        # Another checkout of the project (git worktree add), first on the import path,
        # and/or other settings.
        before_database = TestDatabase("postgres" if args.postgres else "sqlite")
        before_env = {**env, **dict(item.split("=", 1) for item in args.before_env)}
        if args.before:
            before_env["PYTHONPATH"] = str(args.before.resolve())
        if args.before and before_env["LEGION_UPSTREAM_TRANSPORT"] == "httpx-aiohttp":
            before_env["LEGION_UPSTREAM_TRANSPORT"] = "aiohttp"  # its name for that stack
        servers.append((ServerProcess(before_database.url, env=before_env), before_database))
    for running, _ in servers:
        if args.pin is not None:
            running.python_prefix = ["taskset", "-c", str(args.pin)]
        running.start()
    try:
        visitor = new_visitor(server, "bench@example.com", credit="100000")
        if len(servers) > 1:
            before_server = servers[1][0]
            old = new_visitor(before_server, "bench@example.com", credit="100000")
            before = (before_server, old.token)
        relay_target = (relay_url, relay.pid)
        results = asyncio.run(run(args, server, visitor.token, fake_url, relay_target, before))
    finally:
        for running, db in servers:
            running.stop()
            db.close()
        relay.terminate()
        fake.terminate()
        fake.wait(10)
    text = report(results)
    print()
    print(text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
