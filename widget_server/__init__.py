"""Legion's widget server: OAuth for site visitors, an OpenAI-compatible gateway, the widget."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("widget_server")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"

__all__ = ["__version__", "create_app"]


def create_app(config=None):
    from .app import create_app as factory

    return factory(config)
