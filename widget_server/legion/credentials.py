"""The credentials file that ``legion login`` writes: tokens per server, readable by its
owner alone (like ``gh``'s hosts file or ``~/.ssh``).

``{"servers": {"<server URL>": {"access_token", "refresh_token", "expires_at", "scope",
"email", "user_id"}}}``. ``expires_at`` is a Unix time. The file is written whole to a new
0600 file, then renamed over the old one, so a reader never sees half of it.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from .errors import CliError

FILE_ENV = "LEGION_CREDENTIALS_FILE"


def credentials_path() -> Path:
    """``LEGION_CREDENTIALS_FILE``, else ``$XDG_CONFIG_HOME/legion/credentials.json``
    (``~/.config`` when XDG_CONFIG_HOME is unset or not absolute, as the spec says)."""
    explicit = os.environ.get(FILE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME", "")
    config_home = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return config_home / "legion" / "credentials.json"


def load_all(path: Path | None = None) -> dict:
    """Every server's entry; ``{}`` when there is no file. A file that others can read, or
    that someone else owns, is refused with how to fix it."""
    path = path or credentials_path()
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise CliError(f"cannot read the credentials file {path}: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise CliError(f"the credentials file {path} is not a regular file")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise CliError(
            f"the credentials file {path} belongs to another user: remove it and run "
            "`legion login` again"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise CliError(
            f"the credentials file {path} can be read by other users (mode {mode:04o}), so "
            f"legion won't use it: run `chmod 600 {path}` (and `legion login` again if "
            "others may have read it)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CliError(
            f"the credentials file {path} is unreadable ({error}): delete it and run "
            "`legion login` again"
        ) from None
    servers = data.get("servers") if isinstance(data, dict) else None
    return servers if isinstance(servers, dict) else {}


def load(server: str) -> dict | None:
    entry = load_all().get(server)
    return entry if isinstance(entry, dict) and entry.get("access_token") else None


def save(server: str, entry: dict) -> Path:
    path = credentials_path()
    servers = load_all(path)
    servers[server] = entry
    _write(path, {"servers": servers})
    return path


def forget(server: str) -> bool:
    """Drop the server's entry (the whole file when it was the last); whether it had one."""
    path = credentials_path()
    servers = load_all(path)
    if server not in servers:
        return False
    del servers[server]
    if servers:
        _write(path, {"servers": servers})
    else:
        path.unlink(missing_ok=True)
    return True


def _write(path: Path, data: dict) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o600)  # whatever the umask, or a file left over
            json.dump(data, file, indent=2)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as error:
        raise CliError(f"cannot write the credentials file {path}: {error.strerror}") from None
