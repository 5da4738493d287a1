"""User and wallet commands: create-user, wallet credit, wallet show."""

from __future__ import annotations

import argparse

from ..accounts.users import create_user as create_user_record
from ..accounts.users import require_user_by_email
from ..billing.money import format_usd, parse_usd
from ..billing.wallet import add_credit, get_wallet
from ..terminal import print_fields, print_json
from .common import open_database


def register(commands) -> None:
    create = commands.add_parser("create-user", help="create a user with a wallet")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--credit", metavar="USD", help="initial wallet credit in dollars")
    create.add_argument("--json", action="store_true")
    create.set_defaults(handler=create_user)

    wallet = commands.add_parser("wallet", help="wallet commands")
    actions = wallet.add_subparsers(dest="wallet_command", metavar="ACTION", required=True)
    credit = actions.add_parser("credit", help="add money to a user's wallet")
    credit.add_argument("--email", required=True)
    credit.add_argument("--amount", required=True, metavar="USD")
    credit.add_argument("--json", action="store_true")
    credit.set_defaults(handler=wallet_credit)
    show = actions.add_parser("show", help="show a user's wallet")
    show.add_argument("--email", required=True)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=wallet_show)


async def create_user(args: argparse.Namespace) -> int:
    credit = parse_usd(args.credit, allow_zero=True) if args.credit is not None else 0
    async with open_database() as db:
        user = await create_user_record(
            db, email=args.email, password=args.password, credit_micros=credit
        )
        wallet = await get_wallet(db, user.id)
    fields = {**user.public_dict(), "balance_micros": wallet.balance_micros}
    if args.json:
        print_json(fields)
    else:
        print_fields({**fields, "balance": format_usd(wallet.balance_micros)})
    return 0


async def wallet_credit(args: argparse.Namespace) -> int:
    amount = parse_usd(args.amount)
    async with open_database() as db:
        user = await require_user_by_email(db, args.email)
        await add_credit(db, user.id, amount, note="credited from the command line")
        wallet = await get_wallet(db, user.id)
    if args.json:
        print_json({"email": user.email, "credited_micros": amount, **wallet.public_dict()})
    else:
        balance = format_usd(wallet.balance_micros)
        print(f"Credited {format_usd(amount)} to {user.email}; balance {balance}.")
    return 0


async def wallet_show(args: argparse.Namespace) -> int:
    async with open_database() as db:
        user = await require_user_by_email(db, args.email)
        wallet = await get_wallet(db, user.id)
    if args.json:
        print_json({"email": user.email, "user_id": user.id, **wallet.public_dict()})
        return 0
    limit = wallet.monthly_limit_micros
    print_fields(
        {
            "email": user.email,
            "balance": format_usd(wallet.balance_micros),
            "reserved": format_usd(wallet.reserved_micros),
            "spent this month": format_usd(wallet.month_spend_micros),
            "monthly limit": "none" if limit is None else format_usd(limit),
        }
    )
    return 0
