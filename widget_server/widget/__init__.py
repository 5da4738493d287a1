"""Serving the chat widget (``/widget.js``) and the demo site page (``/demo``)."""

from .views import blueprint

__all__ = ["blueprint"]
