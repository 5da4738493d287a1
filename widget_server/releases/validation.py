"""Checks run on a plugin's files before any zip is written (SPEC §9).

Every PHP file passes ``php -l`` (when php is installed), every YAML and JSON file
parses, the headers WordPress and Drupal read are present and carry the version, and no
client secret is anywhere in a zip.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from .errors import PackagerError

if TYPE_CHECKING:
    from .packager import Plugin

WORDPRESS_MAIN_FILE = "legion-ai-connect.php"
WORDPRESS_HEADERS = (
    "Plugin Name",
    "Description",
    "Version",
    "Requires at least",
    "Requires PHP",
    "License",
    "Text Domain",
)
WORDPRESS_README_FIELDS = (
    "Requires at least",
    "Tested up to",
    "Requires PHP",
    "Stable tag",
    "License",
)
DRUPAL_INFO_FILE = "legion_integration.info.yml"
DRUPAL_INFO_KEYS = ("name", "type", "description", "core_version_requirement", "version")
# Our client secrets start with lgs_; a plugin must never carry one (SPEC §7).
_SECRET = re.compile(rb"lgs_[A-Za-z0-9_-]{20,}")


class PhpLinter:
    """``php -l`` over PHP files, remembering files already found clean (by content)."""

    def __init__(self, php: str | None = None) -> None:
        self.php = php or shutil.which("php")
        self._clean: set[str] = set()

    @property
    def available(self) -> bool:
        return self.php is not None

    def __call__(self, files: Iterable[tuple[str, bytes]]) -> None:
        if self.php is None:
            return
        pending = [(n, d) for n, d in files if hashlib.sha256(d).hexdigest() not in self._clean]
        if not pending:
            return
        with tempfile.TemporaryDirectory(prefix="legion-php-lint-") as scratch:
            for index, (name, data) in enumerate(pending):
                path = Path(scratch) / f"{index}.php"
                path.write_bytes(data)
                result = subprocess.run(  # noqa: S603 - php from PATH on our own files
                    [self.php, "-n", "-d", "display_errors=stderr", "-l", str(path)],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                )
                if result.returncode != 0:
                    output = (result.stderr + result.stdout).replace(str(path), name).strip()
                    raise PackagerError(f"php -l failed for {name}: {output}")
                self._clean.add(hashlib.sha256(data).hexdigest())


def validate_tree(
    plugin: Plugin,
    files: dict[str, bytes],
    *,
    version: str,
    lint_php: Callable[[Iterable[tuple[str, bytes]]], None] | None = None,
) -> None:
    """Raise PackagerError on the first problem found in a plugin's files."""
    for name, data in files.items():
        if _SECRET.search(data):
            raise PackagerError(f"{plugin.folder}/{name} mentions a client secret")
        if name.endswith((".yml", ".yaml")):
            _parse_yaml(plugin, name, data)
        elif name.endswith(".json"):
            try:
                json.loads(data)
            except ValueError as error:
                raise PackagerError(f"{plugin.folder}/{name} is not valid JSON: {error}") from None
    if plugin.kind == "wordpress":
        _check_wordpress(files, version)
    elif plugin.kind == "drupal":
        _check_drupal(files, version)
    linter = PhpLinter() if lint_php is None else lint_php
    linter([(f"{plugin.folder}/{n}", d) for n, d in files.items() if n.endswith(".php")])


def _parse_yaml(plugin: Plugin, name: str, data: bytes):
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as error:
        raise PackagerError(f"{plugin.folder}/{name} is not valid YAML: {error}") from None


def _check_wordpress(files: dict[str, bytes], version: str) -> None:
    main = _text(files, WORDPRESS_MAIN_FILE, "legion-ai-connect")
    headers = _php_headers(main)
    for header in WORDPRESS_HEADERS:
        if not headers.get(header):
            raise PackagerError(f"{WORDPRESS_MAIN_FILE} lacks the {header!r} header")
    if headers["Version"] != version:
        raise PackagerError(f"{WORDPRESS_MAIN_FILE} has Version {headers['Version']!r}")
    if headers["Text Domain"] != "legion-ai-connect":
        raise PackagerError("the text domain must equal the slug, legion-ai-connect")
    readme = _text(files, "readme.txt", "legion-ai-connect")
    if not readme.startswith("=== Legion AI Connect ==="):
        raise PackagerError("readme.txt must start with '=== Legion AI Connect ==='")
    fields = dict(re.findall(r"^([A-Za-z ]+):[ \t]*(.+?)\s*$", readme, re.MULTILINE))
    for field in WORDPRESS_README_FIELDS:
        if not fields.get(field):
            raise PackagerError(f"readme.txt lacks {field!r}")
    if fields["Stable tag"] != version:
        raise PackagerError(f"readme.txt has Stable tag {fields['Stable tag']!r}")
    for name, data in files.items():
        if not name.endswith(".php"):
            continue
        guard = b"WP_UNINSTALL_PLUGIN" if name == "uninstall.php" else b"ABSPATH"
        if guard not in data and data.strip() not in (b"<?php\n// Silence is golden.", b""):
            raise PackagerError(f"legion-ai-connect/{name} lacks its {guard.decode()} guard")
    if "languages/legion-ai-connect.pot" not in files:
        raise PackagerError("languages/legion-ai-connect.pot is missing")


def _check_drupal(files: dict[str, bytes], version: str) -> None:
    if DRUPAL_INFO_FILE not in files:
        raise PackagerError(f"legion_integration/{DRUPAL_INFO_FILE} is missing")
    try:
        info = yaml.safe_load(files[DRUPAL_INFO_FILE]) or {}
    except yaml.YAMLError as error:
        raise PackagerError(f"{DRUPAL_INFO_FILE} is not valid YAML: {error}") from None
    if not isinstance(info, dict):
        raise PackagerError(f"{DRUPAL_INFO_FILE} must be a mapping")
    for key in DRUPAL_INFO_KEYS:
        if not info.get(key):
            raise PackagerError(f"{DRUPAL_INFO_FILE} lacks {key!r}")
    if info["type"] != "module":
        raise PackagerError(f"{DRUPAL_INFO_FILE} must have type: module")
    if str(info["version"]) != version:
        raise PackagerError(f"{DRUPAL_INFO_FILE} has version {info['version']!r}")
    for required in (
        "legion_integration.routing.yml",
        "legion_integration.libraries.yml",
        "config/install/legion_integration.settings.yml",
        "config/schema/legion_integration.schema.yml",
    ):
        if required not in files:
            raise PackagerError(f"legion_integration/{required} is missing")


def _text(files: dict[str, bytes], name: str, folder: str) -> str:
    if name not in files:
        raise PackagerError(f"{folder}/{name} is missing")
    return files[name].decode("utf-8")


def _php_headers(source: str) -> dict[str, str]:
    """The ``Name: value`` lines of the first docblock, as WordPress reads them."""
    block = source[:8192]
    found = {}
    for match in re.finditer(r"^[ \t/*#@]*([A-Za-z ]+?):[ \t]*(.+?)\s*$", block, re.MULTILINE):
        found.setdefault(match.group(1).strip(), match.group(2).strip())
    return found
