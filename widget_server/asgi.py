"""ASGI entry point for hypercorn workers: ``hypercorn 'widget_server.asgi:app'``."""

from .app import create_app

app = create_app()
