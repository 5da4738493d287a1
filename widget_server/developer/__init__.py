"""The developer dashboard (SPEC §12): ``/developer`` and ``/register-chat``."""

from .views import blueprint

__all__ = ["blueprint"]
