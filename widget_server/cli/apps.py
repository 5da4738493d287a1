"""App commands: create-app, list-apps, update-app, rotate-secret, delete-app."""

from __future__ import annotations

import argparse

from ..apps import registry
from ..apps.redirect_uris import split_uri_list
from ..config import Config
from ..errors import ValidationError
from ..terminal import print_fields, print_json, text_or_file
from .common import open_database


def register(commands) -> None:
    create = commands.add_parser("create-app", help="register an app (an OAuth client)")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--redirect-uris", metavar="URI[,URI...]", help="required but for --type chat"
    )
    create.add_argument("--type", default="web", choices=registry.APP_TYPES)
    create.add_argument("--margin", metavar="PCT", help="margin in percent (default 50)")
    create.add_argument("--default-model", metavar="MODEL")
    add_text_options(create)
    create.add_argument("--owner-email", metavar="EMAIL", help="the user who owns the app")
    create.add_argument("--json", action="store_true")
    create.set_defaults(handler=create_app)

    listing = commands.add_parser("list-apps", help="list registered apps")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=list_apps)

    update = commands.add_parser("update-app", help="change an app")
    update.add_argument("client_id", metavar="CLIENT_ID")
    update.add_argument("--name")
    update.add_argument("--redirect-uris", metavar="URI[,URI...]")
    update.add_argument("--margin", metavar="PCT")
    update.add_argument("--default-model", metavar="MODEL", help="empty to clear")
    add_text_options(update)
    update.add_argument("--json", action="store_true")
    update.set_defaults(handler=update_app)

    rotate = commands.add_parser("rotate-secret", help="issue a new client secret")
    rotate.add_argument("client_id", metavar="CLIENT_ID")
    rotate.add_argument("--json", action="store_true")
    rotate.set_defaults(handler=rotate_secret)

    delete = commands.add_parser("delete-app", help="delete an app and its connections")
    delete.add_argument("client_id", metavar="CLIENT_ID")
    delete.set_defaults(handler=delete_app)


def add_text_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--description", metavar="TEXT", help="plain text, up to 500 characters")
    parser.add_argument(
        "--system-prompt",
        metavar="TEXT|@FILE",
        help="the first system message of every conversation ask (@FILE reads a file)",
    )


async def create_app(args: argparse.Namespace) -> int:
    from ..accounts.users import require_user_by_email

    if args.redirect_uris is None and args.type != "chat":
        raise ValidationError("--redirect-uris is required (but for --type chat)")
    config = Config.from_env()
    async with open_database(config) as db:
        owner = await require_user_by_email(db, args.owner_email) if args.owner_email else None
        app, secret = await registry.create_app(
            db,
            name=args.name,
            redirect_uris=split_uri_list(args.redirect_uris or ""),
            app_type=args.type,
            margin=args.margin,
            default_model=args.default_model,
            owner_user_id=owner.id if owner else None,
            description=args.description,
            system_prompt=text_or_file(args.system_prompt),
            public_url=config.public_url,
        )
    _show(app, args.json, secret=secret)
    if not args.json:
        print("\nKeep the client secret now: it is not shown again.")
    return 0


async def list_apps(args: argparse.Namespace) -> int:
    async with open_database() as db:
        apps = await registry.list_apps(db)
    if args.json:
        print_json([app.public_dict() for app in apps])
        return 0
    if not apps:
        print(
            "No apps yet. Create one with: widget-server create-app --name ... --redirect-uris ..."
        )
    for app in apps:
        print(f"{app.client_id}  {app.type:<9}  {app.name}  {', '.join(app.redirect_uris)}")
    return 0


async def update_app(args: argparse.Namespace) -> int:
    async with open_database() as db:
        app = await registry.update_app(
            db,
            args.client_id,
            name=args.name,
            redirect_uris=None
            if args.redirect_uris is None
            else split_uri_list(args.redirect_uris),
            margin=args.margin,
            default_model=args.default_model,
            description=args.description,
            system_prompt=text_or_file(args.system_prompt),
        )
    _show(app, args.json)
    return 0


async def rotate_secret(args: argparse.Namespace) -> int:
    async with open_database() as db:
        app, secret = await registry.rotate_secret(db, args.client_id)
    _show(app, args.json, secret=secret)
    return 0


async def delete_app(args: argparse.Namespace) -> int:
    async with open_database() as db:
        await registry.delete_app(db, args.client_id)
    print(f"Deleted {args.client_id}.")
    return 0


def _show(app: registry.App, as_json: bool, *, secret: str | None = None) -> None:
    fields = app.public_dict()
    if secret is not None:
        fields["client_secret"] = secret
    if as_json:
        print_json(fields)
    else:
        print_fields(fields)
