"""The one error ``legion`` prints: one line on stderr, exit status 1."""

from __future__ import annotations


class CliError(Exception):
    """Something the user can act on: the message says what went wrong, and how to fix it
    where we know. ``code`` is the server's error code, when the server refused."""

    def __init__(self, message: str, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class UsageError(CliError):
    """A command line that can't mean anything: exit status 2, as argparse's own."""
