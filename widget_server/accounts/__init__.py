"""Accounts: users, their web sessions, login throttling and the account pages (SPEC §3)."""
