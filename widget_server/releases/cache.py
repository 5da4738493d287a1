"""Built zips kept in memory, rebuilt only when their sources change.

A build reads the plugin sources, renders templates and runs ``php -l``: far too much per
request, so each (zip, preset) is built once and served from memory. The cache notices
edited sources (a deploy, development) by a cheap fingerprint of their sizes and mtimes,
so the bytes served are always what ``build_plugins.py`` would write now.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from .packager import PLUGINS_BY_ZIP, Sources, build_plugin
from .presets import Preset
from .validation import PhpLinter

# Pre-configured zips are per app; keep the most recent few.
MAX_ENTRIES = 64


@dataclass(frozen=True)
class BuiltZip:
    data: bytes
    sha256: str

    @property
    def etag(self) -> str:
        return f'"{self.sha256}"'


class ReleaseCache:
    def __init__(self, sources: Sources) -> None:
        self.sources = sources
        self._linter = PhpLinter()
        self._entries: OrderedDict[tuple, tuple[str, BuiltZip]] = OrderedDict()
        self._lock = asyncio.Lock()

    async def get(self, zip_name: str, preset: Preset | None = None) -> BuiltZip:
        """The zip, built in a worker thread on first use or after its sources changed."""
        preset = preset or Preset()
        key = (zip_name, preset.client_id, preset.server_url)
        fingerprint = await asyncio.to_thread(self._fingerprint, zip_name)
        async with self._lock:
            cached = self._entries.get(key)
            if cached is not None and cached[0] == fingerprint:
                self._entries.move_to_end(key)
                return cached[1]
            plugin = PLUGINS_BY_ZIP[zip_name]
            data = await asyncio.to_thread(
                build_plugin, plugin, self.sources, preset, lint_php=self._linter
            )
            built = BuiltZip(data=data, sha256=hashlib.sha256(data).hexdigest())
            self._entries[key] = (fingerprint, built)
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)
            return built

    def _fingerprint(self, zip_name: str) -> str:
        plugin = PLUGINS_BY_ZIP[zip_name]
        paths = [self.sources.widget, self.sources.root / "pyproject.toml"]
        paths += sorted((self.sources.root / plugin.source).rglob("*"))
        digest = hashlib.sha256()
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                digest.update(f"{path}:missing;".encode())
                continue
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        return digest.hexdigest()
