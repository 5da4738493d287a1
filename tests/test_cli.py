"""The command line (SPEC §1): outputs, ``--json``, and clear refusals for bad input."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support.oauth import new_site


def _fails(server, *args: str, code: int = 1) -> str:
    result = server.cli(*args, check=False)
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stdout.strip() == "" or code == 2
    return result.stderr


# ---------------------------------------------------------------- apps


def test_create_app_json_shows_the_secret_once_and_normalizes_uris(server):
    created = server.cli_json(
        "create-app",
        "--name",
        "Shop",
        "--redirect-uris",
        "https://shop.example,https://shop.example/?legion_callback=1",
        "--type",
        "wordpress",
        "--margin",
        "12.5",
    )
    assert created["client_id"].startswith("lgn_")
    assert created["client_secret"].startswith("lgs_")
    assert created["redirect_uris"] == [
        "https://shop.example/callback",
        "https://shop.example/?legion_callback=1",
    ]
    assert created["name"] == "Shop"
    assert created["type"] == "wordpress"
    assert created["margin"] == 12.5
    listed = {a["client_id"]: a for a in server.cli_json("list-apps")}
    assert "client_secret" not in listed[created["client_id"]]
    assert listed[created["client_id"]]["redirect_uris"] == created["redirect_uris"]


def test_create_app_defaults(server):
    created = server.cli_json(
        "create-app", "--name", "Plain", "--redirect-uris", "https://p.example/cb"
    )
    assert created["type"] == "web"
    assert created["margin"] == 50
    assert created["default_model"] is None


def test_human_output_is_readable(server):
    result = server.cli("create-app", "--name", "Readable", "--redirect-uris", "https://r.example")
    assert "client_secret" in result.stdout
    assert "not shown again" in result.stdout
    assert "Readable" in server.cli("list-apps").stdout


@pytest.mark.parametrize(
    ("uris", "message"),
    [
        ("http://shop.example/cb", "https"),
        ("https://shop.example/cb#x", "fragment"),
        ("https://a@shop.example/cb", "user information"),
        ("https://*.shop.example/cb", "wildcards"),
        ("not a uri", "spaces"),
        ("https://shop.example/a/../cb", ".."),
        (",", "at least one"),
    ],
)
def test_create_app_refuses_malformed_uris_and_writes_nothing(server, uris, message):
    before = len(server.cli_json("list-apps"))
    stderr = _fails(server, "create-app", "--name", "Bad", "--redirect-uris", uris, "--json")
    assert stderr.startswith("error: ")
    assert message in stderr
    assert len(server.cli_json("list-apps")) == before


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--margin", "-5", "between"),
        ("--margin", "lots", "percent"),
        ("--margin", "10.123", "two decimals"),
        ("--name", "   ", "name"),
    ],
)
def test_create_app_refuses_bad_fields(server, option, value, message):
    args = ["create-app", "--name", "Ok", "--redirect-uris", "https://ok.example/cb"]
    args += [option, value]
    assert message in _fails(server, *args)


def test_chat_apps_need_no_redirect_uri_and_take_a_prompt_from_a_file(server, tmp_path):
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("You are a poet.\nAnswer in verse.", encoding="utf-8")
    created = server.cli_json(
        "create-app",
        "--name",
        "Poet",
        "--type",
        "chat",
        "--description",
        "Poems on <demand>",
        "--system-prompt",
        f"@{prompt}",
    )
    assert created["redirect_uris"] == [f"{server.url}/chat/{created['client_id']}"]
    assert created["system_prompt"] == "You are a poet.\nAnswer in verse."
    assert created["description"] == "Poems on <demand>"
    changed = server.cli_json(
        "update-app",
        created["client_id"],
        "--system-prompt",
        "Haiku only.",
        "--description",
        "",
        "--redirect-uris",
        "https://poems.example/legion-callback",
    )
    assert changed["system_prompt"] == "Haiku only." and changed["description"] == ""
    # The hosted page stays the first redirect URI of a chat app.
    assert changed["redirect_uris"] == [
        f"{server.url}/chat/{created['client_id']}",
        "https://poems.example/legion-callback",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "web"], "--redirect-uris is required"),
        (["--type", "chat", "--system-prompt", "x" * 20_001], "at most 20,000 characters"),
        (["--type", "chat", "--description", "d" * 501], "at most 500 characters"),
        (["--type", "chat", "--system-prompt", "@/no/such/file"], "cannot read the system"),
    ],
)
def test_app_texts_are_checked(server, args, message):
    before = len(server.cli_json("list-apps"))
    assert message in _fails(server, "create-app", "--name", "Refused", *args)
    assert len(server.cli_json("list-apps")) == before


def test_create_app_with_an_unknown_type_is_a_usage_error(server):
    stderr = _fails(
        server,
        "create-app",
        "--name",
        "X",
        "--redirect-uris",
        "https://x.example",
        "--type",
        "cms",
        code=2,
    )
    assert "invalid choice" in stderr


def test_update_app_changes_fields_and_checks_them(server):
    app = server.create_app("https://u.example/cb")
    updated = server.cli_json(
        "update-app",
        app["client_id"],
        "--name",
        "Renamed",
        "--redirect-uris",
        "https://u.example/new",
        "--margin",
        "20",
    )
    assert updated["name"] == "Renamed"
    assert updated["redirect_uris"] == ["https://u.example/new"]
    assert updated["margin"] == 20
    assert "client_secret" not in updated
    assert "https" in _fails(
        server, "update-app", app["client_id"], "--redirect-uris", "http://u.example"
    )
    assert server.cli_json("update-app", app["client_id"])["redirect_uris"] == [
        "https://u.example/new"
    ]


@pytest.mark.parametrize("command", ["update-app", "rotate-secret", "delete-app"])
def test_unknown_client_id_is_a_clear_error(server, command):
    stderr = _fails(server, command, "lgn_nope")
    assert "no app with client id 'lgn_nope'" in stderr


def test_rotate_secret_replaces_the_old_one(server, unique_email):
    site = new_site(server, unique_email(), "http://rot.localhost:7401/cb", app_type="web")
    rotated = server.cli_json("rotate-secret", site.client_id)
    assert rotated["client_secret"] != site.client_secret
    code = site.code()
    refused = site.exchange(code, None, client_secret=site.client_secret)
    assert refused.status_code == 401
    assert site.exchange(code, None, client_secret=rotated["client_secret"]).status_code == 200


def test_delete_app_removes_it_and_its_tokens(server, unique_email):
    site = new_site(server, unique_email(), "http://del.localhost:7402/cb")
    tokens = site.tokens()
    assert "Deleted" in server.cli("delete-app", site.client_id).stdout
    assert site.client_id not in [a["client_id"] for a in server.cli_json("list-apps")]
    assert site.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    page = httpx.get(f"{server.url}/connect", params={"client_id": site.client_id})
    assert page.status_code == 400


# ---------------------------------------------------------------- users and wallets


def test_create_user_json(server, unique_email):
    email = unique_email()
    user = server.cli_json(
        "create-user", "--email", email, "--password", "long enough", "--credit", "2.5"
    )
    assert isinstance(user["id"], int)
    assert user["email"] == email
    wallet = server.cli_json("wallet", "show", "--email", email)
    assert wallet["balance_micros"] == 2_500_000
    assert wallet["month_spend_micros"] == 0
    assert wallet["monthly_limit_micros"] is None
    assert wallet["reserved_micros"] == 0


def test_create_user_with_an_empty_wallet(server, unique_email):
    email = unique_email("empty")
    server.cli_json("create-user", "--email", email, "--password", "long enough", "--credit", "0")
    assert server.cli_json("wallet", "show", "--email", email)["balance_micros"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "nope", "--password", "long enough"], "not a valid email"),
        (["--email", "x@example.com", "--password", "short"], "at least 8"),
        (
            ["--email", "y@example.com", "--password", "long enough", "--credit", "-1"],
            "must not be negative",
        ),
        (["--email", "z@example.com", "--password", "long enough", "--credit", "abc"], "dollars"),
        (
            ["--email", "w@example.com", "--password", "long enough", "--credit", "0.0000001"],
            "six decimals",
        ),
    ],
)
def test_create_user_refuses_bad_input(server, args, message):
    assert message in _fails(server, "create-user", *args)


def test_duplicate_email_is_refused(server, unique_email):
    email = unique_email()
    server.create_user(email)
    assert "already exists" in _fails(
        server, "create-user", "--email", email, "--password", "long enough"
    )


def test_wallet_credit_adds_to_the_balance(server, unique_email):
    email = unique_email()
    server.create_user(email, credit="1")
    result = server.cli("wallet", "credit", "--email", email, "--amount", "0.75")
    assert "$0.75" in result.stdout and "$1.75" in result.stdout
    assert server.cli_json("wallet", "show", "--email", email)["balance_micros"] == 1_750_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "ghost@example.com", "--amount", "1"], "no user"),
        (["--email", "ghost@example.com", "--amount", "-1"], "more than zero"),
        (["--email", "ghost@example.com", "--amount", "1000001"], "at most"),
    ],
)
def test_wallet_credit_refuses_bad_input(server, args, message):
    assert message in _fails(server, "wallet", "credit", *args)


def test_wallet_show_for_an_unknown_user(server):
    assert "no user" in _fails(server, "wallet", "show", "--email", "ghost@example.com")


def test_json_output_is_only_json(server, unique_email):
    email = unique_email()
    for args in (
        ["create-user", "--email", email, "--password", "long enough", "--json"],
        ["wallet", "show", "--email", email, "--json"],
        ["list-apps", "--json"],
    ):
        json.loads(server.cli(*args).stdout)


def test_migrate_is_idempotent(server):
    for _ in range(2):
        assert "up to date" in server.cli("migrate").stdout


def test_unknown_command_is_a_usage_error(server):
    assert server.cli("frobnicate", check=False).returncode == 2


# ---------------------------------------------------------------- operator mistakes


def _run(env: dict[str, str], *args: str):
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "widget_server", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://legion:pw@127.0.0.1:1/legion", "Connect call failed"),
        ("postgresql://legion:pw@no-such-host.invalid/legion", ""),  # the resolver's words
    ],
)
def test_an_unreachable_database_is_one_error_line(url, reason):
    result = _run({"LEGION_DATABASE_URL": url}, "migrate")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot open the database: ")
    assert reason in result.stderr
    assert "Traceback" not in result.stderr


def test_libpq_sslmode_in_the_url_is_understood():
    from tests.support.databases import TestDatabase
    from tests.support.fixtures import require_backend

    require_backend("postgres")
    database = TestDatabase("postgres")
    try:
        result = _run({"LEGION_DATABASE_URL": database.url + "?sslmode=disable"}, "migrate")
        assert result.returncode == 0, result.stderr
    finally:
        database.close()


def test_serve_refuses_a_busy_port_and_an_unknown_default_model(tmp_path):
    import socket

    env = {"LEGION_DATABASE_URL": f"sqlite:///{tmp_path / 'legion.db'}"}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = _run(env, "serve", "--demo", "--port", port)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "Legion widget server on" not in result.stdout  # it never claimed to serve
    result = _run({**env, "LEGION_DEFAULT_MODEL": "gpt-9"}, "serve", "--port", port)
    assert result.returncode == 1
    assert "LEGION_DEFAULT_MODEL 'gpt-9' is not in the catalog" in result.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://127.0.0.1:1/0", "cannot reach Redis at LEGION_REDIS_URL"),
        ("localhost:6379", "LEGION_REDIS_URL is not a Redis URL"),
    ],
)
def test_serve_refuses_a_redis_it_cannot_use(tmp_path, url, message):
    env = {"LEGION_DATABASE_URL": f"sqlite:///{tmp_path / 'legion.db'}", "LEGION_REDIS_URL": url}
    from tests.support.server import free_port

    result = _run(env, "serve", "--port", str(free_port()))
    assert result.returncode == 1
    assert result.stderr.startswith("error: " + message)
    assert "Traceback" not in result.stderr
