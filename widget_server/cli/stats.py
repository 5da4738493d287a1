"""Ledger commands: ``app-stats CLIENT_ID`` and ``transactions CLIENT_ID`` (SPEC §1)."""

from __future__ import annotations

import argparse

from ..apps.registry import get_app
from ..billing.ledger import app_stats as read_app_stats
from ..billing.ledger import list_transactions
from ..billing.money import format_usd
from ..errors import NotFoundError, ValidationError
from ..terminal import print_fields, print_json
from .common import open_database


def register(commands) -> None:
    stats = commands.add_parser("app-stats", help="an app's users, tokens, spend and earnings")
    stats.add_argument("client_id", metavar="CLIENT_ID")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=app_stats)

    rows = commands.add_parser("transactions", help="an app's ledger rows, newest first")
    rows.add_argument("client_id", metavar="CLIENT_ID")
    rows.add_argument("--limit", type=int, metavar="N", help="only the newest N rows")
    rows.add_argument("--json", action="store_true")
    rows.set_defaults(handler=transactions)


async def _app_id(db, client_id: str) -> int | None:
    """The app's id; a deleted app with ledger rows is still shown (id None)."""
    app = await get_app(db, client_id)
    if app is not None:
        return app.id
    if not await list_transactions(db, client_id, limit=1):
        raise NotFoundError(f"no app with client id {client_id!r}")
    return None


async def app_stats(args: argparse.Namespace) -> int:
    async with open_database() as db:
        stats = await read_app_stats(db, args.client_id, await _app_id(db, args.client_id))
    if args.json:
        print_json(stats.public_dict())
        return 0
    print_fields(
        {
            "client id": stats.client_id,
            "users": str(stats.users),
            "connected users": str(stats.connected_users),
            "requests": str(stats.requests),
            "prompt tokens": str(stats.prompt_tokens),
            "completion tokens": str(stats.completion_tokens),
            "spend": format_usd(stats.spend_micros),
            "provider cost": format_usd(stats.provider_cost_micros),
            "margin": format_usd(stats.margin_micros),
            "developer earnings": format_usd(stats.developer_earnings_micros),
            "platform": format_usd(stats.platform_micros),
        }
    )
    return 0


async def transactions(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise ValidationError("--limit must be at least 1")
    async with open_database() as db:
        await _app_id(db, args.client_id)
        rows = await list_transactions(db, args.client_id, limit=args.limit)
    if args.json:
        print_json([row.public_dict() for row in rows])
        return 0
    if not rows:
        print("No transactions yet.")
        return 0
    header = f"{'id':>6}  {'when (UTC)':19}  {'user':24}  {'model':24}  {'in':>7}  {'out':>7}"
    print(header + f"  {'total':>12}  {'developer':>12}")
    for row in rows:
        print(
            f"{row.id:>6}  {row.created_at:%Y-%m-%d %H:%M:%S}  "
            f"{(row.user_email or str(row.user_id))[:24]:24}  {row.model[:24]:24}  "
            f"{row.prompt_tokens:>7}  {row.completion_tokens:>7}  "
            f"{format_usd(row.total_micros):>12}  {format_usd(row.developer_earning_micros):>12}"
        )
    return 0
