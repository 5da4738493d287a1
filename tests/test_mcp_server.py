"""``legion mcp`` (SPEC §14) driven by the official MCP SDK's own stdio client, as Claude
Code or Cursor would start it: the nine tools with their input schemas, a call of each
against a real server, and every refusal as a tool error (``isError``) after which the
server still answers."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.support.databases import in_own_loop
from tests.support.developer_api import LEGION, new_developer
from tests.support.server import free_port

TOOLS = {
    "legion_list_oauth_apps",
    "legion_get_oauth_app",
    "legion_create_oauth_app",
    "legion_update_oauth_app",
    "legion_delete_oauth_app",
    "legion_rotate_app_secret",
    "legion_get_oauth_app_stats",
    "legion_get_oauth_app_transactions",
    "legion_get_api_docs",
}


@pytest.fixture
def developer(gateway_sqlite, unique_email):
    return new_developer(gateway_sqlite, unique_email("mcp"))


@asynccontextmanager
async def mcp_session(env: dict):
    params = StdioServerParameters(command=LEGION, args=["mcp"], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def server_env(developer, tmp_path, **extra) -> dict:
    return {
        "HOME": str(tmp_path),
        "LEGION_SERVER_URL": developer.server_url,
        "LEGION_ACCESS_TOKEN": developer.token,
        **extra,
    }


async def call(session: ClientSession, tool: str, **arguments):
    result = await session.call_tool(tool, arguments)
    assert not result.isError, (tool, result.content)
    if result.structuredContent is not None:
        return result.structuredContent
    return result.content[0].text


async def refused(session: ClientSession, tool: str, **arguments) -> str:
    result = await session.call_tool(tool, arguments)
    assert result.isError, (tool, arguments, result)
    return result.content[0].text.lower()


@in_own_loop
async def test_it_lists_the_nine_tools_each_with_an_input_schema(developer, tmp_path):
    async with mcp_session(server_env(developer, tmp_path)) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description, tool.name
        assert tool.inputSchema["type"] == "object", tool.name
    create = tools["legion_create_oauth_app"].inputSchema
    assert create["required"] == ["name"]
    assert create["properties"]["type"]["enum"] == ["web", "wordpress", "drupal", "chat"]
    for name in TOOLS - {
        "legion_list_oauth_apps",
        "legion_create_oauth_app",
        "legion_get_api_docs",
    }:
        assert "client_id" in tools[name].inputSchema["required"], name
    limit = tools["legion_get_oauth_app_transactions"].inputSchema["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 200, 50)
    assert tools["legion_delete_oauth_app"].annotations.destructiveHint is True
    assert tools["legion_list_oauth_apps"].annotations.readOnlyHint is True


@in_own_loop
async def test_each_tool_does_its_call(developer, tmp_path):
    async with mcp_session(server_env(developer, tmp_path)) as session:
        assert (await call(session, "legion_list_oauth_apps"))["data"] == []
        created = await call(
            session,
            "legion_create_oauth_app",
            name="Agent app",
            redirect_uris=["https://agent.example"],
            margin=15,
            description="Made by an agent",
        )
        client_id = created["client_id"]
        assert created["client_secret"].startswith("lgs_")
        assert created["redirect_uris"] == ["https://agent.example/callback"]
        assert created["margin"] == 15
        chat = await call(session, "legion_create_oauth_app", name="Tutor", type="chat")
        assert chat["redirect_uris"] == [f"{developer.server_url}/chat/{chat['client_id']}"]
        listed = await call(session, "legion_list_oauth_apps")
        assert [a["client_id"] for a in listed["data"]] == [client_id, chat["client_id"]]
        got = await call(session, "legion_get_oauth_app", client_id=client_id)
        assert got["name"] == "Agent app" and "client_secret" not in got
        updated = await call(
            session,
            "legion_update_oauth_app",
            client_id=client_id,
            name="Renamed",
            system_prompt="Be kind.",
        )
        assert updated["name"] == "Renamed" and updated["system_prompt"] == "Be kind."
        assert updated["description"] == "Made by an agent"
        rotated = await call(session, "legion_rotate_app_secret", client_id=client_id)
        assert rotated["client_secret"] != created["client_secret"]
        stats = await call(session, "legion_get_oauth_app_stats", client_id=client_id)
        assert stats["requests"] == 0 and stats["client_id"] == client_id
        page = await call(
            session, "legion_get_oauth_app_transactions", client_id=client_id, limit=10
        )
        assert page == {"object": "list", "data": [], "has_more": False, "next_cursor": None}
        docs = await call(session, "legion_get_api_docs")
        assert docs.startswith("# Legion developer API") and "legion_list_oauth_apps" in docs
        deleted = await call(session, "legion_delete_oauth_app", client_id=client_id)
        assert deleted == {"client_id": client_id, "deleted": True}
        gone = await refused(session, "legion_get_oauth_app", client_id=client_id)
        assert "no app with client id" in gone and "not_found" in gone
    assert [a["client_id"] for a in developer.api("GET", "/v1/apps").json()["data"]] == [
        chat["client_id"]
    ]


@in_own_loop
async def test_bad_arguments_are_tool_errors_and_the_server_keeps_serving(developer, tmp_path):
    async with mcp_session(server_env(developer, tmp_path)) as session:
        app = developer.create_app()
        for tool, arguments in (
            ("legion_get_oauth_app", {}),  # missing
            ("legion_get_oauth_app", {"client_id": 5}),  # mistyped
            ("legion_create_oauth_app", {"redirect_uris": ["https://x.example"]}),
            ("legion_create_oauth_app", {"name": "x", "type": "cli"}),
            ("legion_create_oauth_app", {"name": "x", "margin": "lots"}),
            ("legion_create_oauth_app", {"name": "x", "redirect_uris": "https://x.example"}),
            ("legion_get_oauth_app_transactions", {"client_id": app["client_id"], "limit": 0}),
            ("legion_get_oauth_app_transactions", {"client_id": app["client_id"], "limit": "x"}),
            ("legion_no_such_tool", {}),
        ):
            await refused(session, tool, **arguments)
        https = await refused(
            session,
            "legion_create_oauth_app",
            name="x",
            redirect_uris=["http://plain.example/cb"],
        )
        assert "https" in https and "invalid_request" in https
        nothing = await refused(session, "legion_update_oauth_app", client_id=app["client_id"])
        assert "nothing to change" in nothing
        cursor = await refused(
            session,
            "legion_get_oauth_app_transactions",
            client_id=app["client_id"],
            cursor="garbage",
        )
        assert "cursor" in cursor
        listed = await call(session, "legion_list_oauth_apps")
        assert [a["client_id"] for a in listed["data"]] == [app["client_id"]]


@in_own_loop
async def test_another_users_app_is_not_found(developer, tmp_path, gateway_sqlite, unique_email):
    theirs = new_developer(gateway_sqlite, unique_email("other")).create_app()
    async with mcp_session(server_env(developer, tmp_path)) as session:
        for tool in ("legion_get_oauth_app", "legion_delete_oauth_app", "legion_rotate_app_secret"):
            assert "not_found" in await refused(session, tool, client_id=theirs["client_id"])


@in_own_loop
async def test_token_and_server_problems_are_tool_errors(developer, tmp_path):
    no_token = server_env(developer, tmp_path)
    del no_token["LEGION_ACCESS_TOKEN"]
    async with mcp_session(no_token) as session:
        assert "not logged in" in await refused(session, "legion_list_oauth_apps")
        docs = await call(session, "legion_get_api_docs")  # public
        assert docs.startswith("# Legion developer API")
    wrong = server_env(developer, tmp_path, LEGION_ACCESS_TOKEN="ldt_wrong")
    async with mcp_session(wrong) as session:
        message = await refused(session, "legion_list_oauth_apps")
        assert "unknown" in message and "invalid_token" in message
    down = server_env(developer, tmp_path, LEGION_SERVER_URL=f"http://127.0.0.1:{free_port()}")
    async with mcp_session(down) as session:
        assert "cannot reach" in await refused(session, "legion_list_oauth_apps")
        assert "cannot reach" in await refused(session, "legion_get_api_docs")


@in_own_loop
async def test_it_uses_the_credentials_of_legion_login(developer, tmp_path):
    from tests.support.developer_api import cli_login_tokens

    tokens = cli_login_tokens(developer)
    path = tmp_path / "credentials.json"
    entry = {**tokens, "expires_at": 0}  # expired: refreshed on first use
    path.write_text(json.dumps({"servers": {developer.server_url: entry}}))
    path.chmod(0o600)
    env = server_env(developer, tmp_path, LEGION_CREDENTIALS_FILE=str(path))
    del env["LEGION_ACCESS_TOKEN"]
    async with mcp_session(env) as session:
        assert (await call(session, "legion_list_oauth_apps"))["data"] == []
