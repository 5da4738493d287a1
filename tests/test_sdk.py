"""The JavaScript SDK (SPEC §13): its unit tests under node's test runner, its budget, and
that the committed builds (widget.js, sdk.js, sdk.d.ts) are what sdk/ builds now."""

from __future__ import annotations

import gzip
import shutil
import subprocess

import httpx
import pytest

from tests.support.server import REPO_ROOT
from widget_server.widget.asset import SDK_PATH, WidgetAsset

SDK = REPO_ROOT / "sdk"
SDK_BUDGET_BYTES = 8 * 1024  # min+gzip, as served


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is required (scripts/test installs nodejs)")
    return found


def test_the_sdk_unit_tests_pass():
    result = subprocess.run(
        [node(), "--test", "test/"], cwd=SDK, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_the_committed_builds_are_what_the_sources_build():
    if not (SDK / "node_modules" / "esbuild").is_dir():
        pytest.fail("sdk/node_modules is missing: scripts/test runs npm ci in sdk/")
    result = subprocess.run(
        [node(), "build.mjs", "--check"], cwd=SDK, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_the_served_sdk_fits_its_budget():
    served = WidgetAsset.build(SDK_PATH).representations["gzip"].body
    assert len(served) <= SDK_BUDGET_BYTES, f"sdk.js is {len(served)} bytes min+gzip"
    assert gzip.decompress(served).startswith(b"/*! Legion JavaScript SDK")


def test_the_sdk_and_its_types_are_served_to_any_origin(server):
    module = httpx.get(f"{server.url}/sdk.js", headers={"Origin": "https://any.example"})
    assert module.status_code == 200
    assert module.headers["content-type"].startswith("text/javascript")
    assert module.headers["access-control-allow-origin"] == "*"
    assert b"export" in module.content and b"createLegion" in module.content
    types = httpx.get(f"{server.url}/sdk.d.ts")
    assert types.status_code == 200
    assert types.headers["access-control-allow-origin"] == "*"
    assert "export function createLegion(config: LegionConfig): Legion;" in types.text
    again = httpx.get(f"{server.url}/sdk.js", headers={"If-None-Match": module.headers["etag"]})
    assert again.status_code == 304
