"""``legion login`` end to end (SPEC §14): the CLI runs as a user runs it, prints the
address; a real Chromium opens it, logs in and clicks Allow; the server redirects to the
CLI's loopback port, where the CLI takes the code (state and iss checked), redeems it with
its PKCE verifier and saves the tokens in a 0600 file that the next commands use."""

from __future__ import annotations

import json
import os
import queue
import stat
import subprocess
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from e2e.test_developer_browser import AXE, serious_violations
from tests.support.databases import TestDatabase
from tests.support.developer_api import LEGION, run_legion
from tests.support.oauth import DEFAULT_PASSWORD
from tests.support.server import ServerProcess, stop_process_group

pytestmark = pytest.mark.browser
EMAIL = "cli-user@example.com"


@pytest.fixture(scope="module")
def legion():
    """A Legion server whose public URL is the loopback address the CLI calls."""
    database = TestDatabase("sqlite")
    with ServerProcess(database.url) as server:
        server.create_user(EMAIL, DEFAULT_PASSWORD)
        yield server
    database.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def cli_env(legion, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEGION_", "XDG_"))}
    return {**env, "HOME": str(tmp_path), "LEGION_SERVER_URL": legion.url}


class LoginProcess:
    """``legion login --no-browser`` running; its stderr read line by line as it comes."""

    def __init__(self, env: dict, *extra: str) -> None:
        self.process = subprocess.Popen(
            [LEGION, "login", "--no-browser", "--timeout", "60", *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.stderr.append(line)
            self.lines.put(line)

    def address(self) -> str:
        while True:
            line = self.lines.get(timeout=30).strip()
            if line.startswith("http"):
                return line

    def finish(self) -> tuple[int, str, str]:
        stdout, _ = self.process.communicate(timeout=30)
        self.reader.join(timeout=30)  # the process has exited: its last lines are still being read
        return self.process.returncode, stdout, "".join(self.stderr)

    def stop(self) -> None:
        stop_process_group(self.process)


def _log_in_and(page, decision: str) -> None:
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Connect Legion CLI?").wait_for()
    page.get_by_role("button", name=decision).click()


def test_legion_login_through_the_browser_saves_a_private_token(legion, page, cli_env, tmp_path):
    login = LoginProcess(cli_env, "--json")
    try:
        address = login.address()
        query = {k: v[0] for k, v in parse_qs(urlsplit(address).query).items()}
        assert address.startswith(f"{legion.url}/connect?")
        assert query["client_id"] == "legion-cli" and query["scope"] == "apps:manage"
        assert query["code_challenge_method"] == "S256" and len(query["state"]) >= 43
        port = urlsplit(query["redirect_uri"]).port
        assert query["redirect_uri"] == f"http://127.0.0.1:{port}/callback"

        page.goto(address)
        assert "/login" in page.url
        _log_in_and(page, "Allow")
        page.get_by_role("heading", name="Logged in to Legion").wait_for()
        assert page.url.startswith(f"http://127.0.0.1:{port}/callback?code=")
        status, stdout, stderr = login.finish()
    finally:
        login.stop()
    assert status == 0, stderr
    answer = json.loads(stdout)  # --json: exactly one JSON value on stdout
    assert answer == {
        "server": legion.url,
        "id": answer["id"],
        "email": EMAIL,
        "scope": "apps:manage",
    }
    assert isinstance(answer["id"], int)
    path = Path(tmp_path, ".config", "legion", "credentials.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    saved = json.loads(path.read_text())["servers"][legion.url]
    assert saved["access_token"].startswith("lat_") and saved["refresh_token"].startswith("lrt_")
    assert saved["access_token"] not in stderr  # the address is printed, never a token

    whoami = run_legion("whoami", env=cli_env)
    assert whoami.returncode == 0, whoami.stderr
    assert f"as {EMAIL}" in whoami.stdout and "legion login" in whoami.stdout
    created = run_legion(
        "create-app", "--name", "From the CLI", "--type", "chat", "--json", env=cli_env
    )
    assert created.returncode == 0, created.stderr
    listed = json.loads(run_legion("list-apps", "--json", env=cli_env).stdout)
    assert [a["name"] for a in listed] == ["From the CLI"]

    logout = run_legion("logout", env=cli_env)
    assert logout.returncode == 0 and not path.exists()
    assert run_legion("whoami", env=cli_env).returncode == 1


def test_denying_in_the_browser_fails_the_login_and_saves_nothing(legion, page, cli_env, tmp_path):
    login = LoginProcess(cli_env)
    try:
        page.goto(login.address())
        _log_in_and(page, "Deny")
        page.get_by_role("heading", name="Login cancelled").wait_for()
        status, stdout, stderr = login.finish()
    finally:
        login.stop()
    assert status == 1 and stdout == ""
    assert stderr.strip().splitlines()[-1] == (
        "error: the login was denied in the browser; nothing was saved"
    )
    assert not Path(tmp_path, ".config", "legion", "credentials.json").exists()


def test_a_callback_with_another_state_is_ignored(legion, page, cli_env):
    """A forged or stale link to the loopback port neither ends nor hijacks the login."""
    login = LoginProcess(cli_env)
    try:
        address = login.address()
        redirect_uri = parse_qs(urlsplit(address).query)["redirect_uri"][0]
        page.goto(f"{redirect_uri}?code=lac_forged&state=forged&iss={legion.url}")
        assert page.get_by_role("heading", name="Not this login").is_visible()
        assert login.process.poll() is None  # still waiting for the real answer
        page.goto(address)
        _log_in_and(page, "Allow")
        page.get_by_role("heading", name="Logged in to Legion").wait_for()
        status, stdout, stderr = login.finish()
    finally:
        login.stop()
    assert status == 0, stderr
    assert f"Logged in to {legion.url} as {EMAIL}." in stdout


def test_developer_tokens_on_the_account_page(legion, page, cli_env, tmp_path):
    """Made with the card's form (the token shown once), used by the CLI, revoked there."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (scripts/test installs e2e/node_modules)")
    page.goto(f"{legion.url}/login?next=/account")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Developer tokens").wait_for()
    page.get_by_label("Token name (what it is for)").fill("my laptop")
    page.get_by_label("Expires after").select_option(label="a year")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-developer-token").inner_text().strip()
    assert token.startswith("ldt_")
    assert serious_violations(page) == []
    page.screenshot(path=str(tmp_path / "account-developer-tokens.png"), full_page=True)

    env = {**cli_env, "LEGION_ACCESS_TOKEN": token}
    whoami = run_legion("whoami", env=env)
    assert "developer token 'my laptop'" in whoami.stdout, whoami.stderr

    page.goto(f"{legion.url}/account")
    assert token not in page.content()  # shown once
    page.get_by_role("button", name="Revoke developer token my laptop").click()
    page.get_by_text("Developer token revoked").wait_for()
    assert run_legion("whoami", env=env).returncode == 1
