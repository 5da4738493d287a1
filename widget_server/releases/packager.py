"""Builds the WordPress and Drupal zips from ``plugins/`` (SPEC §9).

One function builds both for ``build_plugins.py`` and for the server's release downloads,
so the bytes are the same wherever they are made. Reproducible by construction: files in
sorted order, one fixed timestamp, fixed permissions, one top folder per zip, and nothing
from the machine (user, umask, mtime) in the archive.

Files ending in ``.j2`` are Jinja2 templates (the versioned headers, readme, info.yml and
the preset settings); everything else is copied byte for byte, and the widget is copied
from ``widget_server/static/widget.js``, its one source of truth.

The sources are found beside the package (``<repo>/plugins``) when it runs from a checkout
or an editable install; an installed wheel carries its own copy (``releases/bundled/``,
put there by ``setup.py``), with the version from the package's metadata. Either way the
bytes are the same for the same sources. Another location can be given to
``Sources.locate``.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

import jinja2

from .errors import PackagerError
from .presets import Preset
from .validation import validate_tree

# 1980-01-01 is the earliest time a zip can hold; any fixed time would do.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
DIR_MODE = 0o755
TEMPLATE_SUFFIX = ".j2"
_SKIPPED_NAMES = {"__pycache__", ".DS_Store", ".git", ".gitignore", "node_modules"}
# What an installed wheel carries instead of a checkout (see setup.py).
BUNDLED_ROOT = Path(__file__).resolve().parent / "bundled"
PACKAGE_WIDGET = Path(__file__).resolve().parents[1] / "static" / "widget.js"
WIDGET_IN_CHECKOUT = Path("widget_server", "static", "widget.js")


@dataclass(frozen=True)
class Plugin:
    """What goes into one zip and where."""

    kind: str  # "wordpress" or "drupal": which checks apply
    zip_name: str
    source: str  # relative to the source root
    folder: str  # the zip's one top folder
    widget_path: str  # where the widget goes, inside the folder
    excluded: tuple[str, ...] = ()  # path prefixes inside the source that are not shipped


WORDPRESS = Plugin(
    kind="wordpress",
    zip_name="legion-wordpress.zip",
    source="plugins/wordpress",
    folder="legion-ai-connect",
    widget_path="public/js/widget.js",
)
DRUPAL = Plugin(
    kind="drupal",
    zip_name="legion-drupal.zip",
    source="plugins/drupal/legion_integration",
    folder="legion_integration",
    widget_path="js/widget.js",
    excluded=("tests/",),  # PHPUnit against stand-ins of core: not shipped
)
PLUGINS = (WORDPRESS, DRUPAL)
PLUGINS_BY_ZIP = {plugin.zip_name: plugin for plugin in PLUGINS}


@dataclass(frozen=True)
class Sources:
    """Where the plugin sources, the widget and the version come from."""

    root: Path
    widget: Path = field(default=Path())

    @classmethod
    def locate(cls, root: Path | None = None, widget: Path | None = None) -> Sources:
        root = (root or default_source_root()).resolve()
        if not (root / "plugins").is_dir():
            raise PackagerError(
                f"plugin sources not found in {root}: run from a source checkout, or install "
                "the package from a wheel or sdist built by setup.py, which carries them"
            )
        if widget is None:
            widget = PACKAGE_WIDGET if root == BUNDLED_ROOT else root / WIDGET_IN_CHECKOUT
        return cls(root=root, widget=widget)

    def version(self) -> str:
        if self.root == BUNDLED_ROOT:
            return checked_version(metadata.version("widget_server"), "the package metadata")
        return read_version(self.root / "pyproject.toml")

    def widget_bytes(self) -> bytes:
        if not self.widget.is_file():
            raise PackagerError(
                f"{self.widget} is missing: both plugins bundle the chat widget, so it must "
                "exist before they can be built"
            )
        return self.widget.read_bytes()


def default_source_root() -> Path:
    """The checkout this package was loaded from (``widget_server/..``), else the copy of
    the sources that an installed wheel carries."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "plugins").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    return BUNDLED_ROOT


def read_version(pyproject: Path) -> str:
    import tomllib

    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        version = data["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        raise PackagerError(f"no project version in {pyproject}: {error}") from None
    return checked_version(version, str(pyproject))


def checked_version(version: object, origin: str) -> str:
    if not isinstance(version, str) or not re.fullmatch(r"[0-9A-Za-z.+-]{1,40}", version):
        raise PackagerError(f"unusable project version {version!r} in {origin}")
    return version


def build_plugin(
    plugin: Plugin,
    sources: Sources,
    preset: Preset | None = None,
    *,
    lint_php: Callable[[Iterable[tuple[str, bytes]]], None] | None = None,
) -> bytes:
    """The zip of one plugin, validated, as bytes."""
    files = plugin_files(plugin, sources, preset or Preset())
    validate_tree(plugin, files, version=sources.version(), lint_php=lint_php)
    return zip_files(plugin.folder, files)


def build_all(
    sources: Sources,
    preset: Preset | None = None,
    *,
    lint_php: Callable[[Iterable[tuple[str, bytes]]], None] | None = None,
) -> dict[str, bytes]:
    """Both zips by file name; nothing is returned unless both validate."""
    return {
        plugin.zip_name: build_plugin(plugin, sources, preset, lint_php=lint_php)
        for plugin in PLUGINS
    }


def write_dist(out_dir: Path, zips: dict[str, bytes]) -> list[Path]:
    """Write the zips and ``SHA256SUMS``; each file appears whole or not at all."""
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {**zips, "SHA256SUMS": sha256_sums(zips).encode("ascii")}
    written = []
    for name, data in outputs.items():
        target = out_dir / name
        partial = target.with_name(f".{name}.partial")
        partial.write_bytes(data)
        partial.replace(target)
        written.append(target)
    return written


def plugin_files(plugin: Plugin, sources: Sources, preset: Preset) -> dict[str, bytes]:
    """Every file of the plugin, by path inside its folder, templates rendered."""
    source_dir = sources.root / plugin.source
    if not source_dir.is_dir():
        raise PackagerError(f"plugin sources missing: {source_dir}")
    context = {
        "version": sources.version(),
        "client_id": preset.client_id or "",
        "server_url": preset.server_url or "",
    }
    env = _template_environment(source_dir)
    files: dict[str, bytes] = {}
    for path in sorted(source_dir.rglob("*")):
        relative = path.relative_to(source_dir).as_posix()
        if path.is_dir() or _skipped(relative, plugin.excluded):
            continue
        if path.is_symlink():
            raise PackagerError(f"{path} is a symbolic link; plugins ship plain files only")
        if relative.endswith(TEMPLATE_SUFFIX):
            target = relative[: -len(TEMPLATE_SUFFIX)]
            data = _render(env, relative, context)
        else:
            target, data = relative, path.read_bytes()
        if target in files:
            raise PackagerError(f"{plugin.source}/{target} exists both as a file and a template")
        files[target] = data
    if plugin.widget_path in files:
        raise PackagerError(
            f"{plugin.source}/{plugin.widget_path} must not exist: the packager copies the "
            "widget from widget_server/static/widget.js"
        )
    files[plugin.widget_path] = sources.widget_bytes()
    return dict(sorted(files.items()))


def zip_files(folder: str, files: dict[str, bytes]) -> bytes:
    """A deterministic zip: sorted entries under ``folder/``, fixed times and modes."""
    directories = {folder}
    for name in files:
        parent = PurePosixPath(folder, name).parent
        while str(parent) not in (".", ""):
            directories.add(str(parent))
            parent = parent.parent
    entries = [(d + "/", None) for d in directories]
    entries += [(f"{folder}/{name}", data) for name, data in files.items()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(entries, key=lambda entry: entry[0]):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.create_system = 3  # Unix, so that the modes below mean what they say
            if data is None:
                info.external_attr = (0o040000 | DIR_MODE) << 16 | 0x10
                archive.writestr(info, b"")
            else:
                info.external_attr = (0o100000 | FILE_MODE) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def sha256_sums(zips: dict[str, bytes]) -> str:
    """``sha256sum``'s format, sorted by name, so ``sha256sum -c SHA256SUMS`` checks it."""
    return "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(zips.items())
    )


def _skipped(relative: str, excluded: tuple[str, ...]) -> bool:
    parts = relative.split("/")
    if any(part in _SKIPPED_NAMES or part.endswith((".pyc", "~", ".swp")) for part in parts):
        return True
    return any(relative == prefix or relative.startswith(prefix) for prefix in excluded)


def _template_environment(source_dir: Path) -> jinja2.Environment:
    # Renders PHP, YAML and text, not HTML: values are escaped by the filters below.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(source_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701
    )
    env.filters["php_string"] = php_string
    env.filters["yaml_string"] = yaml_string
    return env


def _render(env: jinja2.Environment, name: str, context: dict) -> bytes:
    try:
        return env.get_template(name).render(context).encode("utf-8")
    except jinja2.TemplateError as error:
        raise PackagerError(f"template {name} failed: {error}") from None


def php_string(value: str) -> str:
    """A PHP single-quoted string literal: only ``\\`` and ``'`` need escaping there."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def yaml_string(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(value), ensure_ascii=True)
