"""Hosted chat page benchmark (issue 9): time from navigation to a usable chat, and the
page's JS + CSS weight.

    .venv/bin/python bench/chat_page.py [--runs 30]

Starts a real server (SQLite) with a chat app and a connected visitor, then opens
``/chat/<client_id>`` in a fresh Chromium context per run (no cache, a logged-in session
cookie): "ready" is when chat.js has loaded the conversation list and wired the input
(``data-ready-at``, ms after navigation start); "first paint" is the browser's first
contentful paint. Numbers, not pass/fail.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.gateway import pct  # noqa: E402
from tests.support.databases import new_sqlite_url  # noqa: E402
from tests.support.oauth import DEFAULT_PASSWORD, Person, form_with_action  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402
from widget_server.widget.asset import WidgetAsset  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def weight() -> dict:
    static = ROOT / "widget_server" / "static"
    sizes = {"widget.js (served)": len(WidgetAsset.build().representations["gzip"].body)}
    for name in ("chat.js", "chat.css", "legion.css"):
        sizes[name] = len(gzip.compress((static / name).read_bytes(), compresslevel=9))
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    server = ServerProcess(new_sqlite_url(), public_host="127.0.0.1").start()
    try:
        server.create_user("maker@example.com")
        app = server.create_app("", app_type="chat", name="Bench", owner_email="maker@example.com")
        server.create_user("reader@example.com")
        person = Person(server.url)
        person.login("reader@example.com", DEFAULT_PASSWORD)
        url = f"{server.url}/chat/{app['client_id']}"
        person.submit(form_with_action(person.get(url).text, f"/chat/{app['client_id']}/start"))
        cookie = person.http.cookies.get("legion_session")
        ready, paint = [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                args=CHROMIUM_ARGS,
            )
            for run in range(args.runs + 3):
                context = browser.new_context()
                context.add_cookies([{"name": "legion_session", "value": cookie, "url": url}])
                page = context.new_page()
                page.goto(url)
                page.wait_for_selector("#chat-app[data-ready-at]")
                if run >= 3:  # the first few warm up the server
                    ready.append(float(page.get_attribute("#chat-app", "data-ready-at")))
                    paint.append(
                        page.evaluate(
                            "performance.getEntriesByName('first-contentful-paint')[0]"
                            "?.startTime ?? NaN"
                        )
                    )
                context.close()
            browser.close()
    finally:
        server.stop()
    sizes = weight()
    print(f"### Hosted chat page ({args.runs} runs, fresh context each, local server)\n")
    print("| | p50 | p99 | goal |")
    print("| --- | --- | --- | --- |")
    print(f"| first contentful paint | {pct(paint, 50):.0f} ms | {pct(paint, 99):.0f} ms | |")
    ready_row = f"{pct(ready, 50):.0f} ms | {pct(ready, 99):.0f} ms"
    print(f"| ready (list loaded, input wired) | {ready_row} | ≤ 300 ms |")
    print()
    print("| file | gzip bytes |")
    print("| --- | --- |")
    for name, size in sizes.items():
        print(f"| {name} | {size:,} |")
    print(f"| **total** | **{sum(sizes.values()):,}** (goal ≤ 25,600) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
