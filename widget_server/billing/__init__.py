"""Billing: wallets, reservations and the ledger (SPEC §5.3). Money is integer micro-dollars."""
