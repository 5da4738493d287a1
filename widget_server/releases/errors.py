"""The one error of the packager."""

from __future__ import annotations

from ..errors import LegionError


class PackagerError(LegionError):
    """The sources can't be packaged (missing widget, bad template, failed validation)."""
