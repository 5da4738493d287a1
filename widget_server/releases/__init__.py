"""The plugin zips: how they are built (``packager``) and served (``views``).

``blueprint`` is imported on first use, so that ``build_plugins.py`` (which needs only
the packager) does not load the web server, its database layer and its dependencies.
"""

from __future__ import annotations

__all__ = ["blueprint"]


def __getattr__(name: str):
    if name == "blueprint":
        from .views import blueprint

        return blueprint
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
