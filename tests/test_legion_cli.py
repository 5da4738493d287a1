"""The ``legion`` console script (SPEC §14), run as a user runs it, against a real server:
every command in text and ``--json``, global options anywhere, ``--verbose`` never showing
a token or a secret, the credentials file (0600, refused when others can read it,
refreshed when expired), ``logout``, and each way of failing: one line and exit 1, or
exit 2 for a malformed command line."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.fakes.fixtures import PASSWORD, REDIRECT_URI, Visitor
from tests.support.developer_api import cli_login_tokens, new_developer, run_legion
from tests.support.oauth import connect_with_authlib, new_site
from tests.support.server import free_port


@pytest.fixture
def developer(gateway_sqlite, unique_email):
    return new_developer(gateway_sqlite, unique_email("cli"))


def base_env(home: Path, server_url: str, **extra: str) -> dict:
    """The user's environment: none of this machine's LEGION_* settings, a home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEGION_", "XDG_"))}
    return {**env, "HOME": str(home), "LEGION_SERVER_URL": server_url, **extra}


@pytest.fixture
def env(developer, tmp_path):
    return base_env(tmp_path, developer.server_url, LEGION_ACCESS_TOKEN=developer.token)


def ok(*args: str, env: dict) -> str:
    result = run_legion(*args, env=env)
    assert result.returncode == 0, (args, result.returncode, result.stderr)
    return result.stdout


def as_json(*args: str, env: dict):
    result = run_legion(*args, "--json", env=env)
    assert result.returncode == 0, (args, result.stderr)
    assert result.stderr == "", result.stderr
    return json.loads(result.stdout)  # the whole of stdout is one JSON value


def fails(*args: str, env: dict, status: int = 1) -> str:
    result = run_legion(*args, env=env)
    assert result.returncode == status, (args, result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    if status == 1:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return result.stderr


# ---------------------------------------------------------------- every command


def test_every_app_command_in_text_and_json(developer, env, tmp_path):
    me = as_json("whoami", env=env)
    assert me["email"] == developer.email and me["id"] == developer.user_id
    assert developer.email in ok("whoami", env=env)
    assert "No apps yet" in ok("list-apps", env=env)
    assert as_json("list-apps", env=env) == []

    text = ok("create-app", "--name", "Shop", "--redirect-uris", "https://shop.example", env=env)
    assert "client_secret" in text and "not shown again" in text
    client_id = next(line.split()[1] for line in text.splitlines() if line.startswith("client_id"))
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("You sell shoes.\n", encoding="utf-8")
    created = as_json(
        "create-app",
        "--name",
        "Chat",
        "--type",
        "chat",
        "--margin",
        "12.5",
        "--default-model",
        "gpt-4o-mini",
        "--description",
        "A shoe shop's chat",
        "--system-prompt",
        f"@{prompt}",
        env=env,
    )
    assert created["client_secret"].startswith("lgs_")
    assert created["margin"] == 12.5 and created["system_prompt"] == "You sell shoes."
    assert created["redirect_uris"] == [f"{developer.server_url}/chat/{created['client_id']}"]

    listed = as_json("list-apps", env=env)
    assert [a["client_id"] for a in listed] == [client_id, created["client_id"]]
    assert "Shop" in ok("list-apps", env=env) and "chat" in ok("list-apps", env=env)

    got = as_json("get-app", client_id, env=env)
    assert got["redirect_uris"] == ["https://shop.example/callback"]
    assert "https://shop.example/callback" in ok("get-app", client_id, env=env)

    updated = as_json(
        "update-app",
        client_id,
        "--name",
        "Shop 2",
        "--redirect-uris",
        "https://a.example/cb, https://b.example/cb",
        "--margin",
        "30",
        "--description",
        "New",
        "--system-prompt",
        "Be brief.",
        env=env,
    )
    assert updated["name"] == "Shop 2" and updated["margin"] == 30
    assert updated["redirect_uris"] == ["https://a.example/cb", "https://b.example/cb"]
    cleared = as_json("update-app", created["client_id"], "--default-model", "", env=env)
    assert cleared["default_model"] is None
    assert "Shop 3" in ok("update-app", client_id, "--name", "Shop 3", env=env)

    rotated = as_json("rotate-secret", client_id, env=env)
    assert rotated["client_secret"].startswith("lgs_")
    assert "no longer works" in ok("rotate-secret", client_id, env=env)

    stats = as_json("app-stats", client_id, env=env)
    assert stats["requests"] == 0 and stats["spend_micros"] == 0
    assert "$0.00" in ok("app-stats", client_id, env=env)
    assert as_json("transactions", client_id, env=env) == []
    assert "No transactions yet" in ok("transactions", client_id, env=env)

    assert as_json("delete-app", client_id, env=env) == {"client_id": client_id, "deleted": True}
    assert f"Deleted {created['client_id']}" in ok("delete-app", created["client_id"], env=env)
    assert as_json("list-apps", env=env) == []


def test_transactions_and_stats_of_an_app_in_use(developer, env, gateway_sqlite, unique_email):
    app = developer.create_app(redirect_uris=[REDIRECT_URI])
    email = unique_email("visitor")
    gateway_sqlite.create_user(email, PASSWORD, credit="10")
    connected = connect_with_authlib(
        gateway_sqlite.url, app["client_id"], REDIRECT_URI, email, PASSWORD
    )
    visitor = Visitor(gateway_sqlite, email, app["client_id"], connected.tokens, connected.person)
    for _ in range(3):
        assert visitor.chat().status_code == 200
    ledger = visitor.transactions()
    rows = as_json("transactions", app["client_id"], env=env)
    assert [r["id"] for r in rows] == [r["id"] for r in ledger]
    assert [
        r["id"] for r in as_json("transactions", app["client_id"], "--limit", "2", env=env)
    ] == [r["id"] for r in ledger[:2]]
    text = ok("transactions", app["client_id"], "--limit", "2", env=env)
    assert "--limit N for more" in text and len(text.strip().splitlines()) == 4
    stats = as_json("app-stats", app["client_id"], env=env)
    assert stats == gateway_sqlite.cli_json("app-stats", app["client_id"])
    assert "developer earnings" in ok("app-stats", app["client_id"], env=env)


def test_docs_in_text_and_json(env, developer):
    text = ok("docs", env=env)
    assert text.startswith("# Legion developer API") and developer.server_url in text
    assert as_json("docs", env=env)["markdown"] == text
    no_token = {k: v for k, v in env.items() if k != "LEGION_ACCESS_TOKEN"}
    assert ok("docs", env=no_token) == text  # public


def test_global_options_come_before_or_after_the_command(env, developer):
    dead = {**env, "LEGION_SERVER_URL": f"http://127.0.0.1:{free_port()}"}
    for args in (
        ["--json", "--server", developer.server_url, "list-apps"],
        ["list-apps", "--server", developer.server_url, "--json"],
        ["--server", developer.server_url, "list-apps", "--json"],
    ):
        result = run_legion(*args, env=dead)
        assert result.returncode == 0, (args, result.stderr)
        assert json.loads(result.stdout) == []
    assert "cannot reach" in fails("list-apps", env=dead)


# ---------------------------------------------------------------- --verbose


def test_verbose_shows_http_but_never_a_token_or_a_secret(env, developer):
    created = run_legion(
        "create-app",
        "--name",
        "V",
        "--redirect-uris",
        "https://v.example",
        "--json",
        "--verbose",
        env=env,
    )
    assert created.returncode == 0, created.stderr
    secret = json.loads(created.stdout)["client_secret"]
    client_id = json.loads(created.stdout)["client_id"]
    rotated = run_legion("--debug", "rotate-secret", client_id, "--json", env=env)
    new_secret = json.loads(rotated.stdout)["client_secret"]
    log = created.stderr + rotated.stderr
    assert "> POST " + developer.server_url + "/v1/apps" in log
    assert "< 201 Created" in log and "< 200 OK" in log
    assert "Authorization: Bearer [redacted]" in log
    assert '"client_secret": "[redacted]"' in log
    assert client_id in log  # what is not secret is shown
    for secret_value in (developer.token, secret, new_secret):
        assert secret_value not in log
    assert "ldt_" not in log.replace("ldt_[redacted]", "")


def test_verbose_hides_the_login_tokens_while_refreshing(developer, tmp_path):
    tokens = cli_login_tokens(developer)
    path = write_credentials(tmp_path, developer.server_url, tokens, expires_at=0)
    env = base_env(tmp_path, developer.server_url, LEGION_CREDENTIALS_FILE=str(path))
    result = run_legion("whoami", "--verbose", env=env)
    assert result.returncode == 0, result.stderr
    saved = json.loads(path.read_text())["servers"][developer.server_url]
    assert "/v1/oauth/token" in result.stderr and "refresh_token=%5Bredacted%5D" in result.stderr
    for value in (tokens["access_token"], tokens["refresh_token"]):
        assert value not in result.stderr
    for value in (saved["access_token"], saved["refresh_token"]):
        assert value not in result.stderr


# ---------------------------------------------------------------- the credentials file


def write_credentials(home: Path, server_url: str, tokens: dict, **overrides) -> Path:
    path = home / "creds" / "credentials.json"
    path.parent.mkdir(exist_ok=True)
    entry = {
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "expires_at": int(time.time()) + 3600,
        "scope": "apps:manage",
        **overrides,
    }
    path.write_text(json.dumps({"servers": {server_url: entry}}))
    path.chmod(0o600)
    return path


def test_a_credentials_file_others_can_read_is_refused_with_the_fix(developer, tmp_path):
    path = write_credentials(tmp_path, developer.server_url, cli_login_tokens(developer))
    env = base_env(tmp_path, developer.server_url, LEGION_CREDENTIALS_FILE=str(path))
    assert developer.email in ok("whoami", env=env)
    for mode in (0o644, 0o640, 0o604, 0o660):
        path.chmod(mode)
        message = fails("list-apps", env=env)
        assert f"chmod 600 {path}" in message and f"{mode:04o}" in message
    path.chmod(0o600)
    assert ok("list-apps", "--json", env=env).strip() == "[]"
    # LEGION_ACCESS_TOKEN wins, and then the file is not even read.
    path.chmod(0o644)
    assert developer.email in ok("whoami", env={**env, "LEGION_ACCESS_TOKEN": developer.token})


def test_the_default_credentials_file_is_under_xdg_config_home(developer, tmp_path):
    tokens = cli_login_tokens(developer)
    config = tmp_path / "xdg"
    (config / "legion").mkdir(parents=True)
    path = config / "legion" / "credentials.json"
    path.write_text(json.dumps({"servers": {developer.server_url: {**tokens, "expires_at": 0}}}))
    path.chmod(0o600)
    env = base_env(tmp_path, developer.server_url + "/", XDG_CONFIG_HOME=str(config))
    assert developer.email in ok("whoami", env=env)  # refreshed: its expires_at was 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())["servers"][developer.server_url]
    assert saved["refresh_token"] != tokens["refresh_token"]  # rotated and kept
    assert saved["expires_at"] > time.time()


def test_a_401_is_refreshed_once_and_retried(developer, tmp_path):
    tokens = cli_login_tokens(developer)
    path = write_credentials(tmp_path, developer.server_url, tokens, access_token="lat_stale")
    env = base_env(tmp_path, developer.server_url, LEGION_CREDENTIALS_FILE=str(path))
    assert as_json("list-apps", env=env) == []
    assert json.loads(path.read_text())["servers"][developer.server_url]["access_token"] != (
        "lat_stale"
    )


def test_a_refused_refresh_asks_to_log_in_again(developer, tmp_path):
    tokens = cli_login_tokens(developer)
    httpx.post(
        f"{developer.server_url}/v1/oauth/revoke",
        data={"token": tokens["refresh_token"], "client_id": "legion-cli"},
    )
    path = write_credentials(tmp_path, developer.server_url, tokens)
    env = base_env(tmp_path, developer.server_url, LEGION_CREDENTIALS_FILE=str(path))
    assert "legion login" in fails("list-apps", env=env)


def test_logout_revokes_the_token_and_deletes_the_file(developer, tmp_path):
    tokens = cli_login_tokens(developer)
    path = write_credentials(tmp_path, developer.server_url, tokens)
    env = base_env(tmp_path, developer.server_url, LEGION_CREDENTIALS_FILE=str(path))
    assert "Logged out" in ok("logout", env=env)
    assert not path.exists()
    answer = developer.api("GET", "/v1/me", token=tokens["access_token"])
    assert answer.status_code == 401  # revoked on the server, not only forgotten
    assert "not logged in" in fails("logout", env=env)
    assert "not logged in" in fails("whoami", env=env)


# ---------------------------------------------------------------- failing well


@pytest.fixture(scope="module")
def html_server():
    """Something that answers every request with a web page: not a Legion server."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><title>Welcome</title><p>nginx</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_errors_are_one_line_and_exit_1(env, developer, html_server, gateway_sqlite, unique_email):
    down = f"http://127.0.0.1:{free_port()}"
    message = fails("list-apps", env={**env, "LEGION_SERVER_URL": down})
    assert f"cannot reach the Legion server at {down}" in message
    assert "HTML page" in fails("list-apps", "--server", html_server, env=env)
    assert "HTML page" in fails("docs", "--server", html_server, env=env)
    unknown = fails("get-app", "lgn_" + "0" * 24, env=env)
    assert "no app with client id" in unknown
    refused = fails("create-app", "--name", "x", "--redirect-uris", "http://x.example/cb", env=env)
    assert "https" in refused
    assert "--redirect-uris is required" in fails("create-app", "--name", "x", env=env)
    bad_token = fails("whoami", env={**env, "LEGION_ACCESS_TOKEN": "ldt_wrong"})
    assert "unknown" in bad_token and "LEGION_ACCESS_TOKEN" in bad_token
    site = new_site(gateway_sqlite, unique_email(), "https://chat-token.example/cb")
    chat = fails("list-apps", env={**env, "LEGION_ACCESS_TOKEN": site.tokens()["access_token"]})
    assert "apps:manage" in chat
    logged_out = {k: v for k, v in env.items() if k != "LEGION_ACCESS_TOKEN"}
    assert "not logged in" in fails("list-apps", env=logged_out)
    assert "http:// or https://" in fails("list-apps", "--server", "ftp://x", env=env)
    missing = fails(
        "create-app", "--name", "x", "--type", "chat", "--system-prompt", "@/no/such/file", env=env
    )
    assert "cannot read the system prompt" in missing


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["frobnicate"],
        ["create-app"],
        ["create-app", "--name", "x", "--type", "bogus"],
        ["create-app", "--name", "x", "--margin", "lots"],
        ["get-app"],
        ["transactions", "lgn_x", "--limit", "0"],
        ["update-app", "lgn_x"],
        ["list-apps", "--nonsense"],
    ],
)
def test_usage_errors_exit_2(env, args):
    result = run_legion(*args, env=env)
    assert result.returncode == 2, (args, result.returncode, result.stderr)
    assert "usage: legion" in result.stderr
