"""The package as operators deploy it: a wheel, installed into a fresh virtual environment
outside the checkout. Its server serves release zips byte-identical to what
``build_plugins.py`` writes in the checkout (SPEC §10), and the rest of it starts as usual.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from tests.support.server import REPO_ROOT, ServerProcess

DOWNLOAD = "/releases/latest/download/"
ZIPS = ("legion-wordpress.zip", "legion-drupal.zip")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The python of a new venv with only the wheel installed in it, as its own package; the
    dependencies come from the test environment's site-packages, added after its own."""
    place = tmp_path_factory.mktemp("wheel")
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        str(place),
        str(REPO_ROOT),
        cwd=place,
    )
    [wheel] = place.glob("widget_server-*.whl")
    venv = place / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=place)
    python = venv / "bin" / "python"
    own_site = run(
        str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=place
    ).stdout.strip()
    Path(own_site, "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "-q",
        "--no-deps",
        str(wheel),
        cwd=place,
    )
    return python


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist") / "dist"
    run(sys.executable, str(REPO_ROOT / "build_plugins.py"), "--out", str(out), cwd=REPO_ROOT)
    return out


def test_the_installed_package_is_the_wheel_not_the_checkout(installed):
    where = run(
        str(installed),
        "-c",
        "import widget_server; print(widget_server.__file__)",
        cwd=installed.parents[2],
    ).stdout.strip()
    assert Path(where).is_relative_to(installed.parents[1])
    assert not Path(where).is_relative_to(REPO_ROOT)


def test_a_wheel_install_serves_the_zips_build_plugins_writes(installed, built, tmp_path):
    workdir = tmp_path / "operator"
    workdir.mkdir()
    database = f"sqlite:///{workdir / 'legion.db'}"
    with ServerProcess(database, python=str(installed), workdir=workdir) as server:
        for name in ZIPS:
            response = httpx.get(server.local_url + DOWNLOAD + name, timeout=60)
            assert response.status_code == 200, server.log()
            assert response.content == (built / name).read_bytes(), name
        assert httpx.get(server.local_url + "/widget.js").status_code == 200


def test_a_wheel_install_has_the_legion_command_and_its_api_docs(installed, tmp_path):
    """SPEC §14: ``legion`` is the package's second console script, and ``/v1/docs`` is a
    data file of the package (it must ship in the wheel)."""
    legion = installed.with_name("legion")
    assert legion.exists()
    workdir = tmp_path / "developer"
    workdir.mkdir()
    database = f"sqlite:///{workdir / 'legion.db'}"
    with ServerProcess(database, python=str(installed), workdir=workdir) as server:
        assert httpx.get(server.local_url + "/v1/docs").status_code == 200, server.log()
        result = subprocess.run(
            [str(legion), "docs", "--server", server.local_url],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=workdir,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Legion developer API")
