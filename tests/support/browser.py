"""Debian's Chromium driven by Playwright (never a downloaded browser).

Flags from the shared recipe: without the background-networking ones Chromium keeps
trying to reach the (closed) outside network.
"""

from __future__ import annotations

import os
import shutil

import pytest

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
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    message = f"Chromium not found at {CHROMIUM} (Debian package chromium)"
    if os.environ.get("LEGION_TEST_REQUIRE_ALL") == "1":
        pytest.fail(message)
    pytest.skip(message)


def launch_chromium(playwright, **options):
    require_chromium()
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, **options
    )
