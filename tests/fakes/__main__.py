"""``python -m tests.fakes [--host H] [--port P] [--no-record] [--delay S] [--chunks N]``:
the fake providers in their own process (benchmarks, other languages' tests)."""

from __future__ import annotations

import argparse

from aiohttp import web

from .behaviour import Control
from .server import build_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--no-record", action="store_true", help="keep no request log")
    parser.add_argument("--reply")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--chunks", type=int)
    args = parser.parse_args()
    control = Control()
    control.record = not args.no_record
    defaults = {"delay": args.delay}
    if args.reply is not None:
        defaults["reply"] = args.reply
    if args.chunks is not None:
        defaults["chunks"] = args.chunks
    control.set(**defaults)
    web.run_app(
        build_app(control),
        host=args.host,
        port=args.port,
        access_log=None,
        handler_cancellation=True,
        backlog=4096,
        print=lambda *_: print(f"fake providers on http://{args.host}:{args.port}", flush=True),
    )


if __name__ == "__main__":
    main()
