"""Outside tools the suites need (php, phpunit, chromium ...), and unpacking plugin zips.

A missing tool skips its tests when pytest runs on its own, and fails them under the
README's test command (``LEGION_TEST_REQUIRE_ALL=1``), which installs every tool.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest


def missing(message: str) -> None:
    """Fail under the test command, skip otherwise."""
    if os.environ.get("LEGION_TEST_REQUIRE_ALL") == "1":
        pytest.fail(f"required by the test command: {message}")
    pytest.skip(message)


def require_tool(tool: str, why: str) -> None:
    """``tool`` is a command on PATH or a file; ``why`` says where it comes from."""
    if not (shutil.which(tool) or os.path.exists(tool)):
        missing(f"{tool} not installed ({why})")


def unpacked_plugin(plugin, tmp_path_factory, folder: str) -> Path:
    """A plugin as its zip unpacks (templates rendered, widget bundled), without php -l."""
    from tests.support.server import REPO_ROOT
    from widget_server.releases.packager import Sources, build_plugin

    data = build_plugin(plugin, Sources.locate(REPO_ROOT), lint_php=lambda files: None)
    out = tmp_path_factory.mktemp(folder)
    zipfile.ZipFile(io.BytesIO(data)).extractall(out)
    return out / folder


def run_node_harness(harness: str, script: Path, data: dict, tmp_path: Path):
    """Run a shipped browser script under ``node`` in a small stand-in page (``harness``, a
    JS source that takes the script's path and a JSON input file), and return the JSON the
    harness prints."""
    import json
    import subprocess

    require_tool("node", "Debian package nodejs")
    harness_file = tmp_path / "harness.js"
    harness_file.write_text(harness)
    input_file = tmp_path / "harness-input.json"
    input_file.write_text(json.dumps(data))
    result = subprocess.run(
        ["node", str(harness_file), str(script), str(input_file)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)
