"""``widget.js`` (and ``sdk.js``) as served: minified, pre-compressed once, with validators.

The file in ``static/`` stays readable (the plugins bundle it verbatim); what the server
sends is rjsmin's output, which only drops comments and whitespace, so the served script
behaves exactly like the source. Minifying and compressing per request would cost more
than the request: the three encodings are built once and rebuilt only when the file
changes (an edit during development, a deploy).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import brotli
import rjsmin

STATIC = Path(__file__).resolve().parent.parent / "static"
WIDGET_PATH = STATIC / "widget.js"
SDK_PATH = STATIC / "sdk.js"  # both built from sdk/ (npm run build there)
SDK_TYPES_PATH = STATIC / "sdk.d.ts"
ENCODINGS = ("br", "gzip", "identity")


@dataclass(frozen=True)
class Representation:
    body: bytes
    etag: str  # quoted, strong: each encoding is its own byte sequence


@dataclass(frozen=True)
class WidgetAsset:
    mtime_ns: int
    version: str
    representations: dict[str, Representation]

    minified: bool = True

    @classmethod
    def build(cls, path: Path = WIDGET_PATH, minified: bool = True) -> WidgetAsset:
        stat = path.stat()
        text = path.read_text(encoding="utf-8")
        source = (minify(text) if minified else text).encode("utf-8")
        version = hashlib.sha256(source).hexdigest()[:20]
        bodies = {
            "identity": source,
            "gzip": gzip.compress(source, compresslevel=9, mtime=0),
            "br": brotli.compress(source, quality=11, mode=brotli.MODE_TEXT),
        }
        suffix = {"identity": "", "gzip": "-gz", "br": "-br"}
        return cls(
            mtime_ns=stat.st_mtime_ns,
            version=version,
            representations={
                name: Representation(body, f'"{version}{suffix[name]}"')
                for name, body in bodies.items()
            },
            minified=minified,
        )

    def fresh(self, path: Path = WIDGET_PATH) -> WidgetAsset:
        """This asset, or a rebuilt one when the file changed since it was built."""
        if path.stat().st_mtime_ns == self.mtime_ns:
            return self
        return WidgetAsset.build(path, self.minified)

    def matches(self, if_none_match: str) -> bool:
        """True when the client holds this version in any encoding (weak comparison)."""
        if if_none_match.strip() == "*":
            return True
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return any(rep.etag in tags for rep in self.representations.values())


def minify(source: str) -> str:
    """Comments and whitespace out; the licence comment (``/*! ... */``) stays."""
    return rjsmin.jsmin(source, keep_bang_comments=True)


def choose_encoding(accept_encoding: str) -> str:
    """The best of br, gzip and identity that the client accepts (RFC 9110 §12.5.3)."""
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weights[name] = quality
    for encoding in ENCODINGS:
        quality = weights.get(encoding, weights.get("*"))
        if encoding == "identity" and quality is None:
            return "identity"  # acceptable unless refused explicitly
        if quality is not None and quality > 0:
            return encoding
    return "identity"
