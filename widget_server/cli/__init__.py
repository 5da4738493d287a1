"""``widget-server``: the command line of SPEC §1.

Every command reads the configuration from the environment, runs the migrations it needs,
does one thing, and exits 0 — or prints ``error: ...`` on stderr and exits 1 for a mistake
in what it was asked (2 for a malformed command line, as argparse does).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from ..errors import LegionError
from . import apps, serve, stats, users

COMMAND_MODULES = (serve, apps, users, stats)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="widget-server",
        description="Legion widget server: OAuth, OpenAI-compatible gateway and chat widget.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.handler(args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
    except LegionError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return int(result or 0)
