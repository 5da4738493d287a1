"""The developer API (SPEC §14): what the ``legion`` CLI and its MCP server talk to.

- ``tokens``: developer tokens (made on /account, stored hashed) and the one check that
  every ``/v1/apps`` call makes (a developer token or a ``legion login`` token);
- ``schemas``: the bodies and answers, as msgspec types;
- ``views``: ``/v1/me``, ``/v1/apps...`` and ``/v1/docs`` (``docs.md``, read once);
- ``account``: the "Developer tokens" card of /account;
- ``openapi``: their entries in ``/openapi.json``.

Kept free of imports here, so that ``accounts`` can use ``tokens`` without a cycle.
"""
