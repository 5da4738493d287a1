"""Run the real server (``widget-server serve``, hypercorn) on loopback for a test.

Tests never import the app: they start it as a user would, talk to it over HTTP, and use
its command line with the same environment.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
# Knobs every test server gets unless a test says otherwise: no key from the host machine
# leaks in, and the throttles don't trip over a test suite hammering one address.
BASE_ENV = {
    "LEGION_TOKEN_RATE_LIMIT": "100000",
    "LEGION_CHAT_RATE_LIMIT_PER_TOKEN": "100000",
    "LEGION_CHAT_RATE_LIMIT_PER_USER": "100000",
    "OPENAI_API_KEY": "",
    "ANTHROPIC_API_KEY": "",
    "GEMINI_API_KEY": "",
    "XAI_API_KEY": "",
    "LEGION_REDIS_URL": "",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """SIGTERM the process and its children, SIGKILL what is left after ``timeout``."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class CliError(AssertionError):
    def __init__(self, result: subprocess.CompletedProcess):
        super().__init__(f"exit {result.returncode}: {result.stderr or result.stdout}")
        self.result = result


class ServerProcess:
    """One server process with its own database; also runs CLI commands against it."""

    def __init__(
        self,
        database_url: str,
        *,
        env: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        public_host: str | None = None,
        workers: int = 1,
        demo: bool = False,
        workdir: Path | None = None,
        python: str = sys.executable,
    ) -> None:
        self.python = python  # another venv's, to run an installed wheel
        self.python_prefix: list[str] = []  # e.g. taskset, for benchmarks
        self.port = free_port()
        self.host = host
        self.url = f"http://{public_host or host}:{self.port}"
        # For Python clients: glibc may not resolve *.localhost names, Chromium always does.
        self.local_url = f"http://{host}:{self.port}"
        self.workers = workers
        self.demo = demo
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="legion-server-"))
        self.env = {
            **os.environ,
            **BASE_ENV,
            "LEGION_DATABASE_URL": database_url,
            "LEGION_PUBLIC_URL": self.url,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.log_path = self.workdir / f"server-{self.port}.log"
        self.process: subprocess.Popen | None = None

    # -------------------------------------------------------------- lifecycle

    def start(self, timeout: float = 30.0) -> ServerProcess:
        args = [
            *self.python_prefix,
            self.python,
            "-m",
            "widget_server",
            "serve",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        if self.demo:
            args.append("--demo")
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            args,
            env=self.env,
            cwd=self.workdir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.local_url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        stop_process_group(self.process)
        if getattr(self, "_log", None):
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -------------------------------------------------------------- command line

    def cli(self, *args: str, check: bool = True, env: Mapping[str, str] | None = None):
        """Run ``widget-server ARGS`` against this server's database."""
        result = subprocess.run(
            [self.python, "-m", "widget_server", *args],
            env={**self.env, **(env or {})},
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check and result.returncode != 0:
            raise CliError(result)
        return result

    def cli_json(self, *args: str):
        return json.loads(self.cli(*args, "--json").stdout)

    def setup_cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``widget-server ARGS`` for a test's set-up (or a look at its results) in the
        long-lived runner (``cli_runner``): the same command, without a process start."""
        result = cli_runner(self.python).run(list(args), self.env, str(self.workdir))
        if check and result.returncode != 0:
            raise CliError(result)
        return result

    def setup_cli_json(self, *args: str):
        return json.loads(self.setup_cli(*args, "--json").stdout)

    # -------------------------------------------------------------- fixtures made by CLI

    def create_user(self, email: str, password: str = "correct horse 9", credit: str = "10"):
        return self.setup_cli_json(
            "create-user", "--email", email, "--password", password, "--credit", credit
        )

    def create_app(self, redirect_uris: str, *, app_type: str = "wordpress", **options: str):
        args = ["create-app", "--name", options.pop("name", "Test site")]
        args += ["--redirect-uris", redirect_uris, "--type", app_type]
        for key, value in options.items():
            args += [f"--{key.replace('_', '-')}", value]
        return self.setup_cli_json(*args)


class CliRunner:
    """One ``tests/support/cli_runner.py`` process of a Python, one command at a time."""

    def __init__(self, python: str) -> None:
        self.python = python
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None

    def run(self, args: list[str], env: dict[str, str], cwd: str) -> subprocess.CompletedProcess:
        request = json.dumps({"args": args, "env": env, "cwd": cwd}) + "\n"
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.process = subprocess.Popen(
                    [self.python, str(Path(__file__).with_name("cli_runner.py"))],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=REPO_ROOT,
                )
            self.process.stdin.write(request)
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the CLI runner stopped (exit {self.process.wait()})")
        reply = json.loads(line)
        return subprocess.CompletedProcess(
            ["widget-server", *args], reply["returncode"], reply["stdout"], reply["stderr"]
        )


@functools.cache
def cli_runner(python: str) -> CliRunner:
    return CliRunner(python)
