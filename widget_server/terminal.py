"""What both command lines (``widget-server`` and ``legion``) print and read: JSON, fields
in aligned columns, and text given as ``@path``.

Standard library only: ``legion`` imports it, and must start fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .errors import ValidationError


def print_json(value) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_fields(fields: dict) -> None:
    width = max(len(k) for k in fields)
    for key, value in fields.items():
        shown = ", ".join(value) if isinstance(value, list | tuple) else value
        print(f"{key.ljust(width)}  {'' if shown is None else shown}")


def text_or_file(value: str | None) -> str | None:
    """``@path`` reads the file (UTF-8); anything else is the text itself."""
    if value is None or not value.startswith("@"):
        return value
    path = Path(value[1:])
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationError(f"cannot read the system prompt from {path}: {error}") from None
