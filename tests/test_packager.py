"""build_plugins.py (SPEC §9): reproducible zips, one top folder each, the widget bundled
verbatim, versioned files rendered, presets, and validation before anything is written."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.support.server import REPO_ROOT
from tests.support.tools import require_tool
from widget_server.releases.errors import PackagerError
from widget_server.releases.packager import DRUPAL, WORDPRESS, Sources, build_plugin

WIDGET = REPO_ROOT / "widget_server" / "static" / "widget.js"
VERSION = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
ZIPS = ("legion-wordpress.zip", "legion-drupal.zip")


def require_php() -> None:
    require_tool("php", "Debian package php-cli")


def build(out: Path, *options: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "build_plugins.py"), "--out", str(out), *options],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=out.parent,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def open_zip(path: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(path.read_bytes()))


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist") / "dist"
    build(out)
    return out


def copy_sources(tmp_path: Path) -> Path:
    """A private copy of everything the packager reads, to break on purpose."""
    root = tmp_path / "checkout"
    shutil.copytree(REPO_ROOT / "plugins", root / "plugins")
    (root / "widget_server" / "static").mkdir(parents=True)
    shutil.copy(WIDGET, root / "widget_server" / "static" / "widget.js")
    shutil.copy(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_build_writes_both_zips_and_their_checksums(dist):
    assert sorted(p.name for p in dist.iterdir()) == ["SHA256SUMS", *sorted(ZIPS)]
    lines = (dist / "SHA256SUMS").read_text().splitlines()
    expected = [
        f"{hashlib.sha256((dist / name).read_bytes()).hexdigest()}  {name}" for name in sorted(ZIPS)
    ]
    assert lines == expected
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=dist, capture_output=True)
        assert check.returncode == 0, check.stdout


def test_same_sources_give_byte_identical_zips(dist, tmp_path):
    again = tmp_path / "again"
    os.utime(WIDGET)  # a newer mtime on a source must not leak into the archive
    build(again)
    for name in (*ZIPS, "SHA256SUMS"):
        assert (again / name).read_bytes() == (dist / name).read_bytes(), name


def test_each_zip_holds_one_top_folder_with_fixed_times_and_modes(dist):
    for name, folder in (
        ("legion-wordpress.zip", "legion-ai-connect"),
        ("legion-drupal.zip", "legion_integration"),
    ):
        archive = open_zip(dist / name)
        names = archive.namelist()
        assert names == sorted(names)
        assert {n.split("/")[0] for n in names} == {folder}
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            mode = info.external_attr >> 16
            if info.is_dir():
                assert stat.S_IMODE(mode) == 0o755, info.filename
            else:
                assert stat.S_IMODE(mode) == 0o644, info.filename
                assert stat.S_ISREG(mode), info.filename
        assert archive.testzip() is None


def test_bundled_widget_is_the_served_source_verbatim(dist):
    source = WIDGET.read_bytes()
    assert (
        open_zip(dist / "legion-wordpress.zip").read("legion-ai-connect/public/js/widget.js")
        == source
    )
    assert open_zip(dist / "legion-drupal.zip").read("legion_integration/js/widget.js") == source


def test_versioned_files_carry_the_project_version_and_no_template_is_left(dist):
    wordpress = open_zip(dist / "legion-wordpress.zip")
    main = wordpress.read("legion-ai-connect/legion-ai-connect.php").decode()
    assert f"* Version:           {VERSION}\n" in main
    assert f"define( 'LEGION_AI_CONNECT_VERSION', '{VERSION}' );" in main
    readme = wordpress.read("legion-ai-connect/readme.txt").decode()
    assert readme.startswith("=== Legion AI Connect ===\n")
    assert f"\nStable tag: {VERSION}\n" in readme
    drupal = open_zip(dist / "legion-drupal.zip")
    info = yaml.safe_load(drupal.read("legion_integration/legion_integration.info.yml"))
    assert info["version"] == VERSION
    assert info["type"] == "module"
    for archive in (wordpress, drupal):
        for name in archive.namelist():
            assert not name.endswith(".j2"), name
            if not name.endswith("/"):
                assert b"{{" not in archive.read(name), name


def test_drupal_zip_ships_no_test_stand_ins(dist):
    names = open_zip(dist / "legion-drupal.zip").namelist()
    assert not [n for n in names if "/tests/" in n or "stubs" in n]


def test_release_zips_carry_no_preset_and_no_secret(dist):
    wordpress = open_zip(dist / "legion-wordpress.zip")
    defaults = wordpress.read("legion-ai-connect/includes/defaults.php").decode()
    assert "'client_id'  => ''," in defaults
    assert "'server_url' => ''," in defaults
    drupal = open_zip(dist / "legion-drupal.zip")
    settings = yaml.safe_load(
        drupal.read("legion_integration/config/install/legion_integration.settings.yml")
    )
    assert settings == {"client_id": "", "server_url": ""}
    for archive in (wordpress, drupal):
        for name in archive.namelist():
            assert b"lgs_" not in archive.read(name), name


def test_preconfigured_zips_carry_the_client_id_and_server_url(tmp_path):
    require_php()
    out = tmp_path / "preset"
    build(
        out,
        "--client-id",
        "lgn_0123456789abcdef01234567",
        "--server-url",
        "https://legion.example/",
    )
    wordpress = open_zip(out / "legion-wordpress.zip")
    defaults = wordpress.read("legion-ai-connect/includes/defaults.php")
    assert b"'client_id'  => 'lgn_0123456789abcdef01234567'," in defaults
    assert b"'server_url' => 'https://legion.example'," in defaults
    (tmp_path / "defaults.php").write_bytes(defaults)
    assert (
        subprocess.run(
            ["php", "-l", str(tmp_path / "defaults.php")], capture_output=True
        ).returncode
        == 0
    )
    drupal = open_zip(out / "legion-drupal.zip")
    settings = yaml.safe_load(
        drupal.read("legion_integration/config/install/legion_integration.settings.yml")
    )
    assert settings == {
        "client_id": "lgn_0123456789abcdef01234567",
        "server_url": "https://legion.example",
    }


@pytest.mark.parametrize(
    "options",
    [
        ("--client-id", "lgn_x'); system('id'); //"),
        ("--client-id", "lgs_not_a_client_id"),
        ("--server-url", "javascript:alert(1)"),
        ("--server-url", "http://legion.example"),
        ("--server-url", "https://legion.example/?next=x"),
        ("--server-url", 'https://legion.example/"\nx: y'),
    ],
)
def test_bad_presets_are_refused_before_anything_is_written(tmp_path, options):
    out = tmp_path / "dist"
    result = build(out, *options, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert not out.exists()


def test_a_missing_widget_fails_with_a_clear_message(tmp_path):
    sources = Sources.locate(REPO_ROOT, widget=tmp_path / "nowhere" / "widget.js")
    with pytest.raises(PackagerError, match=r"widget\.js is missing"):
        build_plugin(WORDPRESS, sources)


def test_a_php_syntax_error_fails_validation(tmp_path):
    require_php()
    root = copy_sources(tmp_path)
    broken = root / "plugins" / "wordpress" / "public" / "shortcode.php"
    broken.write_text(broken.read_text() + "\nfunction legion_broken( {\n")
    with pytest.raises(
        PackagerError, match=r"php -l failed for legion-ai-connect/public/shortcode.php"
    ):
        build_plugin(WORDPRESS, Sources.locate(root))


def test_a_syntax_error_in_a_template_output_fails_validation(tmp_path):
    require_php()
    root = copy_sources(tmp_path)
    template = root / "plugins" / "wordpress" / "includes" / "defaults.php.j2"
    template.write_text(
        template.read_text().replace("{{ client_id | php_string }}", "{{ client_id }}")
    )
    with pytest.raises(
        PackagerError, match=r"php -l failed for legion-ai-connect/includes/defaults\.php"
    ):
        build_plugin(WORDPRESS, Sources.locate(root))


def test_invalid_yaml_fails_validation(tmp_path):
    root = copy_sources(tmp_path)
    routing = root / "plugins" / "drupal" / "legion_integration" / "legion_integration.routing.yml"
    routing.write_text(routing.read_text() + "\n  bad: [unclosed\n")
    with pytest.raises(PackagerError, match=r"legion_integration\.routing\.yml is not valid YAML"):
        build_plugin(DRUPAL, Sources.locate(root))


def test_a_missing_plugin_header_fails_validation(tmp_path):
    root = copy_sources(tmp_path)
    main = root / "plugins" / "wordpress" / "legion-ai-connect.php.j2"
    main.write_text(main.read_text().replace(" * Requires PHP:      7.4\n", ""))
    with pytest.raises(PackagerError, match="Requires PHP"):
        build_plugin(WORDPRESS, Sources.locate(root))


def test_a_widget_copy_in_the_sources_is_refused(tmp_path):
    root = copy_sources(tmp_path)
    (root / "plugins" / "drupal" / "legion_integration" / "js" / "widget.js").write_text("stale")
    with pytest.raises(PackagerError, match="must not exist"):
        build_plugin(DRUPAL, Sources.locate(root))


def test_the_version_comes_from_pyproject(tmp_path):
    root = copy_sources(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(f'version = "{VERSION}"', 'version = "9.8.7"', 1)
    )
    archive = zipfile.ZipFile(
        io.BytesIO(build_plugin(DRUPAL, Sources.locate(root), lint_php=lambda files: None))
    )
    assert (
        yaml.safe_load(archive.read("legion_integration/legion_integration.info.yml"))["version"]
        == "9.8.7"
    )


def test_build_plugins_loads_the_packager_without_the_web_server():
    probe = (
        "import sys; sys.argv = ['build_plugins.py']; import build_plugins; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'quart', 'sqlalchemy', 'argon2'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_an_unwritable_output_folder_is_an_error_message_not_a_traceback(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder")
    result = build(taken, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: can't write to "), result.stderr
    assert "Traceback" not in result.stderr
    assert taken.read_text() == "a file, not a folder"
