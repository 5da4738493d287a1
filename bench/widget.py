"""Widget benchmark: sizes, script load → launcher painted, first token → painted.

Numbers, not pass/fail (the size budget that CI enforces is tests/test_widget_size.py).

    .venv/bin/python bench/widget.py              # 30 page loads, 20 replies, one long reply
    .venv/bin/python bench/widget.py --quick      # 5 and 5

It starts the fake providers, a Legion server on legion.localhost and a test site on
site.localhost (the same pieces as the e2e tests), drives Debian's Chromium, and measures
inside the page with performance.now():

- built: from the moment widget.js finished downloading to its shadow host in the page
  (script parsed and run, DOM built);
- load: from the moment widget.js finished downloading (Resource Timing ``responseEnd``)
  to the end of the first frame that shows the launcher (a task posted from that frame's
  requestAnimationFrame runs once its rendering is done), so parse, run and paint count;
- first token: from the moment the page's reader got the first chunk with content (the
  reply's first token, off the loopback socket, so "left the server" is the same instant
  within the loopback's tens of microseconds) to the end of the frame that shows it (the
  widget batches tokens per animation frame, so this includes waiting for that frame);
- long reply: 2,000 tokens streamed as fast as the fake can, and the longest main-thread
  task seen meanwhile (Long Tasks API: only tasks over 50 ms are reported);
- reload → history: from navigation start (a reload of the page, connected) to the end of
  the frame that shows the conversation the widget fetched from the server (SPEC §13).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import brotli

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from e2e.widget_driver import Widget  # noqa: E402
from e2e.widget_site import TestSite  # noqa: E402
from tests.fakes import FakeProviders  # noqa: E402
from tests.support.browser import launch_chromium  # noqa: E402
from tests.support.databases import TestDatabase  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402
from widget_server.widget.asset import WIDGET_PATH, minify  # noqa: E402

TERSER = ROOT / "e2e" / "node_modules" / ".bin" / "terser"

# Watches the page from before any script runs: when widget.js arrived, when the launcher
# was painted, when the first token was read and when it was painted.
PROBE = """
(() => {
  const marks = window.__bench = {reads: [], painted: [], longest: 0};
  // A task posted from a frame's rAF runs once that frame's rendering is done.
  const nextTask = (fn) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => fn(performance.now());
    channel.port2.postMessage(0);
  };
  const afterPaint = (fn) => requestAnimationFrame(() => nextTask(fn));
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) marks.longest = Math.max(marks.longest, e.duration);
  }).observe({type: 'longtask', buffered: true});
  const read = ReadableStreamDefaultReader.prototype.read;
  ReadableStreamDefaultReader.prototype.read = function () {
    return read.call(this).then((chunk) => {
      if (chunk.value && new TextDecoder().decode(chunk.value).includes('"content":"'))
        marks.reads.push(performance.now());
      return chunk;
    });
  };
  new MutationObserver((_, observer) => {
    if (!document.querySelector('.legion-chat-widget')) return;
    marks.built = performance.now();
    observer.disconnect();
  }).observe(document, {childList: true, subtree: true});
  const findLauncher = () => {
    const host = document.querySelector('.legion-chat-widget');
    const launcher = host && host.shadowRoot && host.shadowRoot.querySelector('.launcher');
    if (!launcher) return requestAnimationFrame(findLauncher);
    afterPaint((t) => {
      const script = performance.getEntriesByType('resource')
        .find((r) => r.name.endsWith('/widget.js'));
      marks.launcher = t;
      marks.scriptLoaded = script ? script.responseEnd : null;
    });
  };
  requestAnimationFrame(findLauncher);
  // The conversation kept on the server, painted after a reload (ms since navigation).
  const findHistory = () => {
    const host = document.querySelector('.legion-chat-widget');
    const root = host && host.shadowRoot;
    if (!root || !root.querySelector('.msg.me')) return requestAnimationFrame(findHistory);
    afterPaint((t) => { marks.history = t; });
  };
  requestAnimationFrame(findHistory);
  window.__watchNext = () => {
    const root = document.querySelector('.legion-chat-widget').shadowRoot;
    const before = root.querySelectorAll('.msg.bot:not(.note)').length;
    marks.reads = [];
    const seen = new MutationObserver(() => {
      const bubble = root.querySelectorAll('.msg.bot:not(.note) > div')[before];
      if (!bubble || !bubble.textContent) return;
      seen.disconnect();
      // The widget painted from its own rAF; this mutation is inside that frame.
      nextTask((t) => marks.painted.push({token: marks.reads[0], painted: t}));
    });
    seen.observe(root.querySelector('.log'), {childList: true, subtree: true, characterData: true});
  };
})();
"""


def sizes() -> dict[str, dict[str, int]]:
    source = WIDGET_PATH.read_bytes()
    variants = {"source": source, "served (rjsmin)": minify(source.decode()).encode()}
    if TERSER.exists() and shutil.which("node"):
        minified = subprocess.run(
            [str(TERSER), str(WIDGET_PATH), "-c", "-m", "--comments", "/^!/"],
            check=True,
            capture_output=True,
        ).stdout
        variants["terser -c -m (reference)"] = minified
    return {
        name: {
            "raw": len(data),
            "gzip": len(gzip.compress(data, compresslevel=9)),
            "brotli": len(brotli.compress(data, quality=11)),
        }
        for name, data in variants.items()
    }


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "max_ms": round(max(values), 1),
    }


def measure(loads: int, replies: int) -> dict:
    from playwright.sync_api import sync_playwright

    database = TestDatabase("sqlite")
    with (
        FakeProviders() as fake,
        ServerProcess(database.url, public_host="legion.localhost", env=fake.env) as server,
        TestSite() as site,
        sync_playwright() as playwright,
    ):
        app = server.create_app(site.callback_uri)
        site.embed(server.url, app["client_id"])
        email = "bench@example.com"
        server.create_user(email, credit="100")
        browser = launch_chromium(playwright)
        context = browser.new_context()
        context.add_init_script(PROBE)

        load_ms, built_ms = [], []
        for _ in range(loads):
            page = context.new_page()
            page.goto(site.url())
            page.wait_for_function("window.__bench.launcher !== undefined")
            marks = page.evaluate("window.__bench")
            load_ms.append(marks["launcher"] - marks["scriptLoaded"])
            built_ms.append(marks["built"] - marks["scriptLoaded"])
            page.close()

        page = context.new_page()
        page.goto(site.url())
        widget = Widget(page)
        widget.connect(email)
        first_token_ms = []
        for index in range(replies):
            page.evaluate("window.__watchNext()")
            widget.send(f"Question {index} [[fake chunks=20 delay=0.01]]")
            widget.wait_until_idle()
            page.wait_for_function(f"window.__bench.painted.length > {index}")
            mark = page.evaluate(f"window.__bench.painted[{index}]")
            first_token_ms.append(mark["painted"] - mark["token"])

        page.evaluate("window.__bench.longest = 0")
        started = page.evaluate("performance.now()")
        widget.send("A long one [[fake chunks=2000 delay=0]]")
        widget.wait_until_idle()
        long_reply = {
            "tokens": 2000,
            "total_ms": round(page.evaluate("performance.now()") - started, 1),
            "longest_task_ms": round(page.evaluate("window.__bench.longest"), 1),
        }
        history_ms = []
        for _ in range(loads):
            page.reload()
            page.wait_for_function("window.__bench.history !== undefined")
            history_ms.append(page.evaluate("window.__bench.history"))
        browser.close()
    database.close()
    return {
        "load_to_widget_built": summary(built_ms),
        "load_to_launcher_painted": summary(load_ms),
        "first_token_to_painted": summary(first_token_ms),
        "reload_to_history_painted": summary(history_ms),
        "long_reply": long_reply,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 loads and 5 replies")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    loads, replies = (5, 5) if args.quick else (30, 20)
    with tempfile.TemporaryDirectory():
        results = {"sizes_bytes": sizes(), **measure(loads, replies)}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print("| file | raw | gzip -9 | brotli 11 |\n| --- | --- | --- | --- |")
    for name, size in results["sizes_bytes"].items():
        print(f"| {name} | {size['raw']:,} B | {size['gzip']:,} B | {size['brotli']:,} B |")
    print("\n| timing | n | median | p95 | max |\n| --- | --- | --- | --- | --- |")
    for key in (
        "load_to_widget_built",
        "load_to_launcher_painted",
        "first_token_to_painted",
        "reload_to_history_painted",
    ):
        row = results[key]
        print(
            f"| {key.replace('_', ' ')} | {row['n']} | {row['median_ms']} ms "
            f"| {row['p95_ms']} ms | {row['max_ms']} ms |"
        )
    long = results["long_reply"]
    print(
        f"\nlong reply: {long['tokens']} tokens in {long['total_ms']} ms, "
        f"longest main-thread task {long['longest_task_ms']} ms (0: none over 50 ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
