"""``legion``: the developer's command line and MCP server (SPEC §14).

It talks to a Legion server over HTTP only (the developer API, ``widget_server/devapi``)
and never imports the server's modules, so that it starts fast (``legion list-apps`` is a
Python start-up, one request and a print):

- ``main``: the command line (argparse), its commands and their output;
- ``client``: the HTTP client (urllib), errors, ``--verbose`` with secrets redacted, and
  the token: ``LEGION_ACCESS_TOKEN``, or the credentials file, refreshed when expired;
- ``credentials``: that file (0600, refused when others can read it);
- ``login``: ``legion login``, the browser and a loopback redirect (RFC 8252, PKCE);
- ``mcp_server``: ``legion mcp``, the same calls as MCP tools (imports ``mcp`` lazily).
"""
