"""Legion's widget server: OAuth for site visitors, an OpenAI-compatible gateway, the widget."""

__all__ = ["__version__", "create_app"]


def __getattr__(name: str):
    """``__version__`` is looked up when first asked for: importlib.metadata costs tens of
    milliseconds, which the ``legion`` command line (a package module) shouldn't pay."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("widget_server")
        except PackageNotFoundError:  # running from a source tree without installing
            value = "0.0.0"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def create_app(config=None):
    from .app import create_app as factory

    return factory(config)
