"""Debian's Chromium driven by Playwright (never a downloaded browser).

Flags from the shared recipe: without the background-networking ones Chromium keeps
trying to reach the (closed) outside network.
"""

from __future__ import annotations

import os

from tests.support.tools import require_tool

CHROMIUM = os.environ.get("LEGION_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def require_chromium() -> None:
    require_tool(CHROMIUM, "Debian package chromium")


def launch_chromium(playwright, **options):
    require_chromium()
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, **options
    )
