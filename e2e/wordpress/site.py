"""One real WordPress site for a test session, as the shared recipe describes.

Debian's ``/usr/share/wordpress`` is copied to a scratch folder with its own
``wp-config.php``, a fresh MariaDB database and user, and served by PHP's built-in server
(several workers, so a page and its assets load side by side). The site is installed
over HTTP like a person would (``wp-admin/install.php?step=2``). Tests then drive it in
Chromium; :meth:`WordPressSite.php` runs a snippet with WordPress loaded, for set-up and
for looking at what the plugin stored.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.server import free_port, stop_process_group
from tests.support.tools import missing

WORDPRESS_SOURCE = Path(os.environ.get("LEGION_TEST_WORDPRESS", "/usr/share/wordpress"))
THEME = "twentytwentyone"
HERE = Path(__file__).resolve().parent
MYSQL_SOCKET = "/run/mysqld/mysqld.sock"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-password-1"


def require_wordpress() -> None:
    """Skip (or fail under the test command) when a piece of the recipe is missing."""
    problems = []
    for tool in ("php", "mysql"):
        if not shutil.which(tool):
            problems.append(f"{tool} is not installed")
    if not (WORDPRESS_SOURCE / "wp-settings.php").is_file():
        problems.append(f"WordPress not found in {WORDPRESS_SOURCE} (Debian package wordpress)")
    elif not (WORDPRESS_SOURCE / "wp-content" / "themes" / THEME).is_dir():
        problems.append(f"theme {THEME} missing (Debian package wordpress-theme-{THEME})")
    if not problems:
        ping = subprocess.run(["mysqladmin", "-uroot", "ping"], capture_output=True, text=True)
        if ping.returncode != 0:
            problems.append("MariaDB is not running (the test command starts it)")
    if not problems:
        return
    missing("the WordPress tests need: " + "; ".join(problems))


def mysql(sql: str, database: str | None = None) -> str:
    """Run SQL as MariaDB's root (unix socket authentication); tab-separated rows."""
    args = ["mysql", "-uroot", "--batch", "--skip-column-names"]
    if database:
        args.append(database)
    result = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"mysql failed: {result.stderr}")
    return result.stdout


def php_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class WordPressSite:
    """A WordPress at ``http://127.0.0.1:PORT`` with its own database."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        suffix = secrets.token_hex(4)
        self.db_name = f"legion_wp_{suffix}"
        self.db_user = f"legion_wp_{suffix}"
        self.db_password = secrets.token_urlsafe(16)
        self.root = Path(tempfile.mkdtemp(prefix="legion-wordpress-")) / "site"
        self.process: subprocess.Popen | None = None
        self._log = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> WordPressSite:
        self._create_database()
        self._copy_wordpress()
        self._serve()
        self._install()
        return self

    def stop(self) -> None:
        stop_process_group(self.process)
        if self._log:
            self._log.close()
        mysql(
            f"DROP DATABASE IF EXISTS `{self.db_name}`;"
            f"DROP USER IF EXISTS '{self.db_user}'@'localhost';"
        )
        shutil.rmtree(self.root.parent, ignore_errors=True)

    def __enter__(self) -> WordPressSite:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def _create_database(self) -> None:
        mysql(
            f"CREATE DATABASE `{self.db_name}` CHARACTER SET utf8mb4;"
            f"CREATE USER '{self.db_user}'@'localhost' IDENTIFIED BY '{self.db_password}';"
            f"GRANT ALL PRIVILEGES ON `{self.db_name}`.* TO '{self.db_user}'@'localhost';"
        )

    def _copy_wordpress(self) -> None:
        shutil.copytree(WORDPRESS_SOURCE, self.root, symlinks=True)
        for debian_file in ("wp-config.php", ".htaccess"):
            (self.root / debian_file).unlink(missing_ok=True)
        (self.root / "wp-content" / "uploads").mkdir(exist_ok=True)
        keys = "\n".join(
            f"define( '{name}', '{secrets.token_hex(32)}' );"
            for name in (
                "AUTH_KEY",
                "SECURE_AUTH_KEY",
                "LOGGED_IN_KEY",
                "NONCE_KEY",
                "AUTH_SALT",
                "SECURE_AUTH_SALT",
                "LOGGED_IN_SALT",
                "NONCE_SALT",
            )
        )
        config = (HERE / "wp-config.php.in").read_text()
        for placeholder, value in {
            "@DB_NAME@": self.db_name,
            "@DB_USER@": self.db_user,
            "@DB_PASSWORD@": self.db_password,
            "@DB_HOST@": f"localhost:{MYSQL_SOCKET}",
            "@KEYS@": keys,
            "@URL@": self.url,
        }.items():
            config = config.replace(placeholder, value)
        (self.root / "wp-config.php").write_text(config)
        shutil.copy(HERE / "router.php", self.root / "router.php")

    def _serve(self) -> None:
        self._log = open(self.root.parent / "php-server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                "php",
                "-S",
                f"127.0.0.1:{self.port}",
                "-t",
                str(self.root),
                str(self.root / "router.php"),
            ],
            cwd=self.root,
            env={**os.environ, "PHP_CLI_SERVER_WORKERS": "4"},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"php -S exited:\n{self.server_log()}")
            try:
                httpx.get(self.url + "/readme.html", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("php -S did not start")

    def _install(self) -> None:
        response = httpx.post(
            f"{self.url}/wp-admin/install.php?step=2",
            data={
                "weblog_title": "Legion test site",
                "user_name": ADMIN_USER,
                "admin_password": ADMIN_PASSWORD,
                "admin_password2": ADMIN_PASSWORD,
                "pw_weak": "1",
                "admin_email": "admin@example.com",
                "blog_public": "0",
                "language": "",
            },
            timeout=120,
        )
        if response.status_code != 200 or "Success!" not in response.text:
            raise RuntimeError(
                f"WordPress install failed ({response.status_code}):\n{response.text[:2000]}"
            )

    # ---------------------------------------------------------------- looking inside

    def php(self, code: str):
        """Run PHP with WordPress loaded; the snippet's ``return`` value comes back as JSON."""
        script = (
            "<?php\n"
            "define( 'WP_USE_THEMES', false );\n"
            f"require {json.dumps(str(self.root / 'wp-load.php'))};\n"
            "$legion_result = ( function () {\n" + code + "\n} )();\n"
            'echo "\\n@@RESULT@@" . wp_json_encode( $legion_result );\n'
        )
        result = subprocess.run(
            ["php"], input=script, capture_output=True, text=True, timeout=60, cwd=self.root
        )
        if result.returncode != 0 or "@@RESULT@@" not in result.stdout:
            raise RuntimeError(f"PHP failed: {result.stdout}\n{result.stderr}")
        return json.loads(result.stdout.rsplit("@@RESULT@@", 1)[1])

    def sql(self, query: str) -> list[list[str]]:
        rows = mysql(query, database=self.db_name)
        return [line.split("\t") for line in rows.splitlines() if line]

    def create_user(self, login: str, role: str, password: str = "user-password-1") -> str:
        fields = {
            "user_login": login,
            "user_pass": password,
            "user_email": f"{login}@example.com",
            "role": role,
        }
        user_id = self.php(
            f"return wp_insert_user( json_decode( {php_string(json.dumps(fields))}, true ) );"
        )
        assert isinstance(user_id, int), user_id
        return password

    def plugin_dir(self) -> Path:
        return self.root / "wp-content" / "plugins" / "legion-ai-connect"

    def install_mu_plugin(self, name: str, code: str) -> Path:
        """A must-use plugin (``wp-content/mu-plugins``, loaded on every request without
        activation), the way a site adds a snippet; delete the returned file to remove it."""
        folder = self.root / "wp-content" / "mu-plugins"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.php"
        path.write_text(code)
        return path

    def debug_log(self) -> str:
        path = self.root / "debug.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def server_log(self) -> str:
        path = self.root.parent / "php-server.log"
        return path.read_text(errors="replace") if path.exists() else ""
