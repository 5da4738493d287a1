"""The plugin zips: how they are built (``packager``) and served (``views``)."""

from .views import blueprint

__all__ = ["blueprint"]
