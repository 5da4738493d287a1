"""App registration: the OAuth clients that site owners register (SPEC §1, §4.1)."""
