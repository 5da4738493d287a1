"""``serve`` and ``migrate``."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket

from ..config import Config
from ..errors import ConfigError
from .common import open_database


def register(commands) -> None:
    serve = commands.add_parser("serve", help="run the server (hypercorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--demo", action="store_true", help="create a demo app and user, serve /demo"
    )
    serve.set_defaults(handler=run_server)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(handler=run_migrations)


async def run_migrations(args: argparse.Namespace) -> int:
    async with open_database():
        pass
    print("Database is up to date.")
    return 0


def run_server(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise ConfigError("--port must be between 1 and 65535")
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if "LEGION_PUBLIC_URL" not in os.environ:
        # Without an explicit public URL, the issuer is where we listen.
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host  # noqa: S104
        shown = f"[{host}]" if ":" in host else host
        os.environ["LEGION_PUBLIC_URL"] = f"http://{shown}:{args.port}"
    if args.demo:
        os.environ["LEGION_DEMO"] = "1"
    config = Config.from_env()
    _check_default_model(config)
    _check_port_free(args.host, args.port)
    asyncio.run(_prepare(config, args.demo))
    return _run_hypercorn(args, config)


def _check_default_model(config: Config) -> None:
    from ..gateway.catalog import load_catalog

    catalog = load_catalog()
    if catalog.get(config.default_model) is None:
        raise ConfigError(
            f"LEGION_DEFAULT_MODEL {config.default_model!r} is not in the catalog; "
            f"it has: {', '.join(catalog.models)}"
        )


def _check_port_free(host: str, port: int) -> None:
    """Fail before printing that we serve, and before the demo registers the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror}") from None


async def _prepare(config: Config, demo: bool) -> None:
    """Migrate (and seed the demo) once, before any worker starts."""
    if config.redis_url:
        await _check_redis(config.redis_url)
    async with open_database(config) as db:
        if demo:
            from ..demo import ensure_demo

            setup = await ensure_demo(db, config)
            print(f"Demo chat:  {config.public_url}/demo")
            print(f"Demo login: {setup.email} / {setup.password}")
            print(f"Demo app:   {setup.client_id}")
    print(f"Legion widget server on {config.public_url}", flush=True)


async def _check_redis(url: str) -> None:
    """Fail at start-up, in one line, rather than on every rate-limited request later."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    try:
        client = Redis.from_url(url, socket_connect_timeout=5)
    except ValueError as error:
        raise ConfigError(f"LEGION_REDIS_URL is not a Redis URL: {error}") from None
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        raise ConfigError(f"cannot reach Redis at LEGION_REDIS_URL: {error}") from None
    finally:
        await client.aclose()


def _run_hypercorn(args: argparse.Namespace, config: Config) -> int:
    """SIGTERM (or Ctrl+C) stops accepting, lets requests in flight run for
    ``LEGION_SHUTDOWN_GRACE`` seconds, then ends the rest (the gateway charges what they
    generated) before the process exits."""
    from hypercorn.config import Config as HypercornConfig
    from hypercorn.run import run

    hypercorn_config = HypercornConfig()
    hypercorn_config.application_path = "widget_server.asgi:app"
    hypercorn_config.bind = [
        f"[{args.host}]:{args.port}" if ":" in args.host else f"{args.host}:{args.port}"
    ]
    # 0 runs the single worker in this process; more fork off worker processes.
    hypercorn_config.workers = 0 if args.workers == 1 else args.workers
    hypercorn_config.graceful_timeout = config.shutdown_grace_s
    hypercorn_config.worker_class = config.worker_class
    hypercorn_config.keep_alive_timeout = 75
    if args.workers > 1:
        # Worker processes inherit this and leave SIGTERM to the supervisor, which tells
        # them to stop gracefully: a SIGTERM to the whole process group (systemd, a
        # container runtime) would otherwise kill them mid-answer.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return run(hypercorn_config)
