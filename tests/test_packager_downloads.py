"""Release downloads from the server (SPEC §10): the same bytes as build_plugins.py, with
an ETag; and, for an app's owner only, the zips pre-configured for that app."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.oauth import DEFAULT_PASSWORD, Person
from tests.support.server import REPO_ROOT

DOWNLOAD = "/releases/latest/download/"
ZIPS = ("legion-wordpress.zip", "legion-drupal.zip")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist") / "dist"
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "build_plugins.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return out


def owner_with_app(server, unique_email) -> tuple[str, str]:
    email = unique_email("owner")
    server.create_user(email)
    app = server.create_app(
        "https://shop.example/legion-callback", app_type="wordpress", owner_email=email
    )
    return email, app["client_id"]


def preset_of(data: bytes) -> tuple[str, dict]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    if "legion-ai-connect/includes/defaults.php" in names:
        return "wordpress", {"php": archive.read("legion-ai-connect/includes/defaults.php")}
    settings = "legion_integration/config/install/legion_integration.settings.yml"
    return "drupal", yaml.safe_load(archive.read(settings))


def test_release_downloads_are_the_bytes_build_plugins_writes(server, built):
    for name in ZIPS:
        response = httpx.get(server.local_url + DOWNLOAD + name)
        assert response.status_code == 200
        assert response.content == (built / name).read_bytes()
        assert response.headers["content-type"] == "application/zip"
        assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert response.headers["etag"] == f'"{hashlib.sha256(response.content).hexdigest()}"'
        assert "public" in response.headers["cache-control"]


def test_a_known_etag_gets_304_without_a_body(server):
    first = httpx.get(server.local_url + DOWNLOAD + "legion-drupal.zip")
    again = httpx.get(
        server.local_url + DOWNLOAD + "legion-drupal.zip",
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.content == b""
    stale = httpx.get(
        server.local_url + DOWNLOAD + "legion-drupal.zip", headers={"If-None-Match": '"stale"'}
    )
    assert stale.status_code == 200
    assert stale.content == first.content


@pytest.mark.parametrize(
    "name", ["legion-joomla.zip", "SHA256SUMS", "..%2Fpyproject.toml", "legion-wordpress.zip.bak"]
)
def test_other_release_files_are_404(server, name):
    response = httpx.get(server.local_url + DOWNLOAD + name)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_the_owner_downloads_zips_preconfigured_for_their_app(server, unique_email):
    email, client_id = owner_with_app(server, unique_email)
    person = Person(server.local_url)
    assert person.login(email, DEFAULT_PASSWORD).status_code == 303
    account = person.get("/account")
    assert "Your apps" in account.text
    for name in ZIPS:
        link = f"{DOWNLOAD}{name}?client_id={client_id}"
        assert f'href="{link}"' in account.text
        response = person.get(link)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/zip"
        assert response.headers["cache-control"] == "private, no-store"
        kind, preset = preset_of(response.content)
        if kind == "wordpress":
            assert f"'client_id'  => '{client_id}',".encode() in preset["php"]
            assert f"'server_url' => '{server.url}',".encode() in preset["php"]
        else:
            assert preset == {"client_id": client_id, "server_url": server.url}
        plain = httpx.get(server.local_url + DOWNLOAD + name).content
        assert response.content != plain


def test_preconfigured_builds_match_build_plugins_with_the_same_options(
    server, unique_email, tmp_path
):
    email, client_id = owner_with_app(server, unique_email)
    person = Person(server.local_url)
    assert person.login(email, DEFAULT_PASSWORD).status_code == 303
    out = tmp_path / "dist"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "build_plugins.py"),
            "--out",
            str(out),
            "--client-id",
            client_id,
            "--server-url",
            server.url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for name in ZIPS:
        served = person.get(f"{DOWNLOAD}{name}?client_id={client_id}").content
        assert served == (out / name).read_bytes()


def test_only_the_owner_gets_a_preconfigured_zip(server, unique_email):
    _, client_id = owner_with_app(server, unique_email)
    link = f"{DOWNLOAD}legion-wordpress.zip?client_id={client_id}"

    anonymous = httpx.get(server.local_url + link)
    assert anonymous.status_code in (302, 303)
    assert anonymous.headers["location"].startswith("/login?next=")

    stranger = unique_email("stranger")
    server.create_user(stranger)
    person = Person(server.local_url)
    assert person.login(stranger, DEFAULT_PASSWORD).status_code == 303
    assert person.get(link).status_code == 404
    assert "Your apps" not in person.get("/account").text
    for bogus in ("lgn_doesnotexist", "'><script>", ""):
        response = person.get(f"{DOWNLOAD}legion-wordpress.zip", params={"client_id": bogus})
        assert response.status_code == 404
        assert "<script>" not in response.text
