"""Hosted chat apps: ``/chat/<client_id>`` and the token door of its page (SPEC §12)."""

from .views import blueprint

__all__ = ["blueprint"]
