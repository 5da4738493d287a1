"""``legion mcp``: the developer API as MCP tools, over stdio (SPEC §14), for Claude Code,
Cursor, Windsurf or any MCP client that starts it.

Built on the official MCP Python SDK's FastMCP: one decorated function per tool, whose typed
parameters become its input schema (the SDK refuses a call with missing or mistyped
arguments before the function runs). Each tool is one call of the same client as the
command line (``client.Session``), run on a worker thread; the token is
``LEGION_ACCESS_TOKEN`` or the credentials of ``legion login``, looked up at each call, so
a server started before logging in works once logged in. Every refusal (no token, a 404,
a 400, a server that is down) is raised as a ``ToolError``: the client gets a result with
``isError: true`` and the message, and the server keeps running. Nothing but the protocol
is written to stdout.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

import anyio
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from .client import Session, json_of
from .errors import CliError

INSTRUCTIONS = (
    "Manage the user's Legion apps (OAuth clients for Legion's AI chat widget, plugins and "
    "hosted chat apps): list, inspect, create, change and delete them, rotate their client "
    "secrets, and read their usage stats and billing transactions. Money is in integer "
    "micro-dollars (1,000,000 = $1). A client secret is shown only by create and rotate: "
    "hand it to the user, don't lose it. Call legion_get_api_docs for the full reference."
)

ClientId = Annotated[str, Field(description="The app's client id (lgn_...)", min_length=1)]
Name = Annotated[str, Field(description="The app's name", min_length=1, max_length=200)]
RedirectUris = Annotated[
    list[str],
    Field(
        description="Redirect URIs: https (http only on localhost and loopback), no "
        "fragments or wildcards; a bare origin is stored as <origin>/callback",
        max_length=20,
    ),
]
AppType = Literal["web", "wordpress", "drupal", "chat"]
Margin = Annotated[float, Field(description="The app's margin in percent", ge=0, le=1000)]
Model = Annotated[str, Field(description="A model id from the server's catalog; '' clears it")]
Description = Annotated[str, Field(description="Plain text, up to 500 characters")]
SystemPrompt = Annotated[
    str, Field(description="First system message of every conversation (up to 20,000 characters)")
]

READ = ToolAnnotations(readOnlyHint=True, destructiveHint=False, openWorldHint=False)
WRITE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False)
DESTROY = ToolAnnotations(readOnlyHint=False, destructiveHint=True, openWorldHint=False)


def build_server(session: Session) -> FastMCP:
    mcp = FastMCP("legion", instructions=INSTRUCTIONS, log_level="WARNING")

    async def call(method: str, path: str, body: Any = None) -> Any:
        try:
            return await anyio.to_thread.run_sync(session.call, method, path, body)
        except CliError as error:
            raise ToolError(_tool_message(error)) from None

    def app_path(client_id: str) -> str:
        return "/v1/apps/" + quote(client_id, safe="")

    @mcp.tool(annotations=READ)
    async def legion_list_oauth_apps() -> dict[str, Any]:
        """List the user's Legion apps: {object: "list", data: [app, ...]}."""
        return await call("GET", "/v1/apps")

    @mcp.tool(annotations=READ)
    async def legion_get_oauth_app(client_id: ClientId) -> dict[str, Any]:
        """One of the user's apps: client_id, name, type, redirect_uris, margin,
        default_model, description, system_prompt, created_at."""
        return await call("GET", app_path(client_id))

    @mcp.tool(annotations=WRITE)
    async def legion_create_oauth_app(
        name: Name,
        type: AppType = "web",
        redirect_uris: RedirectUris | None = None,
        margin: Margin | None = None,
        default_model: Model | None = None,
        description: Description | None = None,
        system_prompt: SystemPrompt | None = None,
    ) -> dict[str, Any]:
        """Register an app. Apps of type web, wordpress and drupal need redirect_uris; a
        chat app gets its own hosted page as its first redirect URI. Returns the app with
        its client_secret, shown this once."""
        body = {"name": name, "type": type, "redirect_uris": redirect_uris or []}
        body |= _given(
            margin=margin,
            default_model=default_model,
            description=description,
            system_prompt=system_prompt,
        )
        return await call("POST", "/v1/apps", body)

    @mcp.tool(annotations=WRITE)
    async def legion_update_oauth_app(
        client_id: ClientId,
        name: Name | None = None,
        redirect_uris: RedirectUris | None = None,
        margin: Margin | None = None,
        default_model: Model | None = None,
        description: Description | None = None,
        system_prompt: SystemPrompt | None = None,
    ) -> dict[str, Any]:
        """Change the given fields of an app (the others stay); an empty default_model,
        description or system_prompt clears it. Returns the app."""
        body = _given(
            name=name,
            redirect_uris=redirect_uris,
            margin=margin,
            default_model=default_model,
            description=description,
            system_prompt=system_prompt,
        )
        if not body:
            raise ToolError("Nothing to change: give at least one field besides client_id.")
        return await call("PATCH", app_path(client_id), body)

    @mcp.tool(annotations=DESTROY)
    async def legion_delete_oauth_app(client_id: ClientId) -> dict[str, Any]:
        """Delete an app for good: its users' connections and tokens stop working."""
        await call("DELETE", app_path(client_id))
        return {"client_id": client_id, "deleted": True}

    @mcp.tool(annotations=DESTROY)
    async def legion_rotate_app_secret(client_id: ClientId) -> dict[str, Any]:
        """Issue a new client secret; the old one stops working at once. Returns the app
        with its new client_secret, shown this once."""
        return await call("POST", app_path(client_id) + "/rotate-secret")

    @mcp.tool(annotations=READ)
    async def legion_get_oauth_app_stats(client_id: ClientId) -> dict[str, Any]:
        """An app's numbers: users, connected_users, requests, prompt_tokens,
        completion_tokens, spend_micros, provider_cost_micros, margin_micros,
        developer_earnings_micros, platform_micros."""
        return await call("GET", app_path(client_id) + "/stats")

    @mcp.tool(annotations=READ)
    async def legion_get_oauth_app_transactions(
        client_id: ClientId,
        limit: Annotated[int, Field(description="Rows per page", ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Field(description="next_cursor of the previous page")] = None,
    ) -> dict[str, Any]:
        """An app's billing ledger, newest first, one page: {data, has_more, next_cursor}.
        Each row: id, created_at, user_id, model, prompt_tokens, completion_tokens,
        provider_cost_micros, margin_micros, developer_earning_micros, platform_micros,
        total_micros."""
        query = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        return await call("GET", app_path(client_id) + "/transactions?" + urlencode(query))

    @mcp.tool(annotations=READ, structured_output=False)  # markdown, as text
    async def legion_get_api_docs() -> str:
        """The developer API's documentation (markdown): authentication, every endpoint
        and field, errors, the legion CLI and this MCP server."""
        try:
            return await anyio.to_thread.run_sync(_docs, session)
        except CliError as error:
            raise ToolError(_tool_message(error)) from None

    return mcp


def _given(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def _tool_message(error: CliError) -> str:
    message = error.message[:1].upper() + error.message[1:]
    return f"{message} ({error.code})" if error.code else message


def _docs(session: Session) -> str:
    response = session.public("/v1/docs", accept="text/markdown")
    if response.status != 200 or not response.content_type.startswith("text/markdown"):
        json_of(response, session.server)
        raise CliError(f"the server at {session.server} has no API docs at /v1/docs")
    return response.body.decode("utf-8")


def serve(session: Session) -> None:
    build_server(session).run("stdio")
