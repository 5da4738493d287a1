"""The hosted chat page's budget (issue 9: JS + CSS ≤ 25 KB gzip) and the rules its script
keeps: no HTML built from strings, no evaluated code (model output is DOM text)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from widget_server.widget.asset import WidgetAsset

STATIC = Path(__file__).resolve().parents[1] / "widget_server" / "static"
BUDGET_BYTES = 25 * 1024
SOURCE = (STATIC / "chat.js").read_text(encoding="utf-8")
CHAT_JS = re.sub(r"/\*.*?\*/|//[^\n]*", "", SOURCE, flags=re.S)  # the code, not its comments


def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def test_the_pages_scripts_and_styles_fit_the_budget():
    widget = len(WidgetAsset.build().representations["gzip"].body)  # as served
    own = sum(gzip_size((STATIC / name).read_bytes()) for name in ("chat.js", "chat.css"))
    shared = gzip_size((STATIC / "legion.css").read_bytes())
    total = widget + own + shared
    assert total <= BUDGET_BYTES, f"{total} bytes gzip (widget {widget}, page {own + shared})"


def test_the_script_builds_no_html_from_strings_and_evaluates_nothing():
    for name, pattern in {
        "innerHTML": r"\binnerHTML\b",
        "outerHTML": r"\bouterHTML\b",
        "insertAdjacentHTML": r"insertAdjacentHTML",
        "document.write": r"document\.write",
        "eval": r"\beval\s*\(",
        "new Function": r"new\s+Function\b",
        "setTimeout with a string": r"setTimeout\(\s*[\"']",
    }.items():
        assert not re.search(pattern, CHAT_JS), name
