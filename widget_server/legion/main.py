"""``legion``: manage your Legion apps from a terminal (SPEC §14).

Commands are verbs (``list-apps``, ``create-app``...) mapped one to one onto the developer
API. ``--json`` prints exactly one JSON value on stdout; plain text is for people. Errors
are one line on stderr and exit 1; a malformed command line exits 2 (argparse). The global
options (``--server``, ``--json``, ``--verbose``/``--debug``) may come before or after the
command. Only the standard library (and this package's own standard-library-only
modules: money, terminal output) is imported here: ``legion mcp`` loads the MCP SDK,
``legion login`` the browser and loopback server, each only when run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from urllib.parse import quote, urlencode

from ..billing.money import format_usd
from ..errors import ValidationError
from ..terminal import print_fields, print_json, text_or_file
from .client import (
    CLI_CLIENT_ID,
    REVOKE_PATH,
    SERVER_ENV,
    TOKEN_ENV,
    Session,
    json_of,
    resolve_server,
)
from .errors import CliError, UsageError

APP_TYPES = ("web", "wordpress", "drupal", "chat")


# ---------------------------------------------------------------- the command line


def _global_options(parser: argparse.ArgumentParser) -> None:
    """On the main parser and on every command, defaults suppressed: an option given in
    either place survives (argparse would reset it from the command's defaults)."""
    group = parser.add_argument_group("global options")
    group.add_argument(
        "--server",
        metavar="URL",
        default=argparse.SUPPRESS,
        help=f"the Legion server (default: ${SERVER_ENV}, else http://127.0.0.1:8000)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print exactly one JSON value on stdout",
    )
    group.add_argument(
        "--verbose",
        "--debug",
        dest="verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print HTTP requests and answers on stderr (tokens and secrets redacted)",
    )


def _margin(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of percent, not {value!r}") from None
    return int(number) if number.is_integer() else number


def _limit(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="legion",
        description="Manage your Legion apps from a terminal. The token comes from "
        f"${TOKEN_ENV} (a developer token from /account) or from `legion login`.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version")
    _global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, handler, help: str, **kwargs) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".")
        _global_options(sub)
        sub.set_defaults(handler=handler, **kwargs)
        return sub

    login_cmd = command("login", run_login, "log in through the browser (saves a token)")
    login_cmd.add_argument(
        "--no-browser", action="store_true", help="only print the address to open"
    )
    login_cmd.add_argument(
        "--timeout", type=_limit, default=300, metavar="SECONDS", help="wait this long"
    )
    command("logout", run_logout, "revoke the saved token and delete it")
    command("whoami", run_whoami, "show who the token speaks for")
    command("list-apps", run_list_apps, "list your apps")
    get = command("get-app", run_get_app, "show one of your apps")
    get.add_argument("client_id", metavar="CLIENT_ID")

    create = command("create-app", run_create_app, "register an app (an OAuth client)")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--redirect-uris", metavar="URI[,URI...]", help="required but for --type chat"
    )
    create.add_argument("--type", default="web", choices=APP_TYPES)
    _app_options(create, clear="")

    update = command("update-app", run_update_app, "change an app")
    update.add_argument("client_id", metavar="CLIENT_ID")
    update.add_argument("--name")
    update.add_argument("--redirect-uris", metavar="URI[,URI...]")
    _app_options(update, clear=" (empty clears it)")

    for name, handler, text in (
        ("delete-app", run_delete_app, "delete an app (its connections and tokens go too)"),
        ("rotate-secret", run_rotate_secret, "issue a new client secret"),
        ("app-stats", run_app_stats, "an app's users, tokens, spend and earnings"),
    ):
        command(name, handler, text).add_argument("client_id", metavar="CLIENT_ID")
    rows = command("transactions", run_transactions, "an app's ledger rows, newest first")
    rows.add_argument("client_id", metavar="CLIENT_ID")
    rows.add_argument(
        "--limit", type=_limit, default=50, metavar="N", help="the newest N rows (default 50)"
    )
    command("docs", run_docs, "print the developer API docs (markdown)")
    command("mcp", run_mcp, "run the MCP server over stdio (for coding agents)")
    return parser


def _app_options(parser: argparse.ArgumentParser, clear: str) -> None:
    parser.add_argument("--margin", type=_margin, metavar="PCT", help="percent (default 50)")
    parser.add_argument(
        "--default-model", metavar="MODEL", help="a model of the server's catalog" + clear
    )
    parser.add_argument(
        "--description", metavar="TEXT", help="plain text, up to 500 characters" + clear
    )
    parser.add_argument(
        "--system-prompt",
        metavar="TEXT|@FILE",
        help="the first system message of every conversation ask (@FILE reads a file)" + clear,
    )


class _Version(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        from importlib.metadata import PackageNotFoundError, version

        try:
            shown = version("widget_server")
        except PackageNotFoundError:
            shown = "unknown"
        print(f"legion {shown}")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UsageError as error:
        print(
            f"usage: legion {args.command} ...\nlegion {args.command}: error: {error.message}",
            file=sys.stderr,
        )
        return 2
    except CliError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `legion list-apps | head`
        return 0


def _session(args: argparse.Namespace) -> Session:
    return Session(
        resolve_server(getattr(args, "server", None)), verbose=getattr(args, "verbose", False)
    )


def _as_json(args: argparse.Namespace) -> bool:
    return getattr(args, "json", False)


# ---------------------------------------------------------------- output


def _show_app(args, app: dict, note: str | None = None) -> None:
    if _as_json(args):
        print_json(app)
        return
    print_fields(app)
    if note:
        print(f"\n{note}")


# ---------------------------------------------------------------- commands


def run_login(args) -> int:
    from .login import login

    session = _session(args)
    entry = login(session, open_browser=not args.no_browser, timeout_s=args.timeout)
    if _as_json(args):
        print_json(
            {
                "server": session.server,
                "id": entry.get("user_id"),
                "email": entry.get("email"),
                "scope": entry.get("scope"),
            }
        )
    else:
        print(f"Logged in to {session.server} as {entry.get('email')}.")
    return 0


def run_logout(args) -> int:
    from . import credentials

    session = _session(args)
    entry = credentials.load(session.server)
    if entry is None:
        hint = (
            f" ({TOKEN_ENV} is set: unset it, or revoke it on /account)"
            if session.env_token
            else ""
        )
        raise CliError(f"not logged in to {session.server}{hint}")
    revoke_error = None
    try:
        json_of(
            session.http.send(
                "POST",
                REVOKE_PATH,
                form={
                    "token": entry.get("refresh_token") or entry["access_token"],
                    "client_id": CLI_CLIENT_ID,
                },
            ),
            session.server,
        )
    except CliError as error:
        revoke_error = error
    credentials.forget(session.server)
    if revoke_error is not None:
        raise CliError(
            f"deleted the saved token, but could not revoke it on the server: "
            f"{revoke_error.message}"
        )
    if _as_json(args):
        print_json({"server": session.server, "logged_out": True})
    else:
        print(f"Logged out of {session.server}.")
    return 0


def run_whoami(args) -> int:
    session = _session(args)
    me = session.call("GET", "/v1/me")
    if _as_json(args):
        print_json(me)
        return 0
    token = me.get("token") or {}
    if token.get("kind") == "developer_token":
        via = f"developer token {token.get('name')!r} ({TOKEN_ENV})"
    else:
        via = session.token_source
    print(f"Logged in to {session.server} as {me['email']} (user {me['id']}), via {via}.")
    return 0


def run_list_apps(args) -> int:
    apps = _session(args).call("GET", "/v1/apps")["data"]
    if _as_json(args):
        print_json(apps)
        return 0
    if not apps:
        print("No apps yet. Create one with: legion create-app --name ... --redirect-uris ...")
    for app in apps:
        uris = ", ".join(app["redirect_uris"])
        print(f"{app['client_id']}  {app['type']:<9}  {app['name']}  {uris}")
    return 0


def run_get_app(args) -> int:
    _show_app(args, _session(args).call("GET", _app_path(args.client_id)))
    return 0


def run_create_app(args) -> int:
    if args.redirect_uris is None and args.type != "chat":
        raise CliError("--redirect-uris is required (but for --type chat)")
    body = {"name": args.name, "type": args.type, **_changes(args)}
    body.setdefault("redirect_uris", [])
    app = _session(args).call("POST", "/v1/apps", body)
    _show_app(args, app, "Keep the client secret now: it is not shown again.")
    return 0


def run_update_app(args) -> int:
    body = _changes(args)
    if args.name is not None:
        body["name"] = args.name
    if not body:
        raise UsageError(
            "nothing to change: give --name, --redirect-uris, --margin, --default-model, "
            "--description or --system-prompt"
        )
    _show_app(args, _session(args).call("PATCH", _app_path(args.client_id), body))
    return 0


def run_delete_app(args) -> int:
    _session(args).call("DELETE", _app_path(args.client_id))
    if _as_json(args):
        print_json({"client_id": args.client_id, "deleted": True})
    else:
        print(f"Deleted {args.client_id}.")
    return 0


def run_rotate_secret(args) -> int:
    app = _session(args).call("POST", _app_path(args.client_id) + "/rotate-secret")
    _show_app(args, app, "Keep the new client secret now: the old one no longer works.")
    return 0


def run_app_stats(args) -> int:
    stats = _session(args).call("GET", _app_path(args.client_id) + "/stats")
    if _as_json(args):
        print_json(stats)
        return 0
    print_fields(
        {
            "client id": stats["client_id"],
            "users": str(stats["users"]),
            "connected users": str(stats["connected_users"]),
            "requests": str(stats["requests"]),
            "prompt tokens": str(stats["prompt_tokens"]),
            "completion tokens": str(stats["completion_tokens"]),
            "spend": format_usd(stats["spend_micros"]),
            "provider cost": format_usd(stats["provider_cost_micros"]),
            "margin": format_usd(stats["margin_micros"]),
            "developer earnings": format_usd(stats["developer_earnings_micros"]),
            "platform": format_usd(stats["platform_micros"]),
        }
    )
    return 0


def run_transactions(args) -> int:
    """Pages of up to 200 until ``--limit`` rows (or the end); the API's paging stays out
    of the way, and ``--json`` prints the rows as one array, as ``widget-server`` does."""
    session, rows, cursor = _session(args), [], None
    has_more = True
    while has_more and len(rows) < args.limit:
        query = {"limit": str(min(200, args.limit - len(rows)))}
        if cursor:
            query["cursor"] = cursor
        page = session.call("GET", _app_path(args.client_id) + "/transactions?" + urlencode(query))
        rows += page["data"]
        has_more, cursor = page["has_more"], page["next_cursor"]
    if _as_json(args):
        print_json(rows)
        return 0
    if not rows:
        print("No transactions yet.")
        return 0
    print(
        f"{'id':>6}  {'when (UTC)':19}  {'user':>8}  {'model':24}  {'in':>7}  {'out':>7}"
        f"  {'total':>12}  {'developer':>12}"
    )
    for row in rows:
        print(
            f"{row['id']:>6}  {row['created_at'][:19].replace('T', ' '):19}  "
            f"{row['user_id']:>8}  {row['model'][:24]:24}  {row['prompt_tokens']:>7}  "
            f"{row['completion_tokens']:>7}  {format_usd(row['total_micros']):>12}  "
            f"{format_usd(row['developer_earning_micros']):>12}"
        )
    if has_more:
        print(f"(the newest {len(rows)}; --limit N for more)")
    return 0


def run_docs(args) -> int:
    session = _session(args)
    response = session.public("/v1/docs", accept="text/markdown")
    if response.status != 200 or not response.content_type.startswith("text/markdown"):
        json_of(response, session.server)  # raises the reason
        raise CliError(f"the server at {session.server} has no API docs at /v1/docs")
    text = response.body.decode("utf-8")
    if _as_json(args):
        print_json({"markdown": text})
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def run_mcp(args) -> int:
    from .mcp_server import serve

    serve(_session(args))
    return 0


# ---------------------------------------------------------------- helpers


def _app_path(client_id: str) -> str:
    return "/v1/apps/" + quote(client_id, safe="")


def _changes(args) -> dict:
    """The app fields given on the command line, as the API takes them."""
    body: dict = {}
    if args.redirect_uris is not None:
        body["redirect_uris"] = [u.strip() for u in args.redirect_uris.split(",") if u.strip()]
    if args.margin is not None:
        body["margin"] = args.margin
    if args.default_model is not None:
        body["default_model"] = args.default_model or None
    if args.description is not None:
        body["description"] = args.description
    if args.system_prompt is not None:
        try:
            body["system_prompt"] = text_or_file(args.system_prompt)
        except ValidationError as error:
            raise CliError(error.message) from None
    return body


if __name__ == "__main__":
    raise SystemExit(main())
