"""Configuration, read once from the environment at start-up (SPEC §2).

Everything the server can be told lives in :class:`Config`. Views and services receive
it through the app (``current_app.config["LEGION"]``), never by reading ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///./legion.db"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_MODEL = "gpt-5-nano"


@dataclass(frozen=True)
class ProviderSettings:
    """Credentials and base URL of one upstream LLM provider."""

    api_key: str | None
    base_url: str

    @property
    def configured(self) -> bool:
        return bool(self.api_key)


@dataclass(frozen=True)
class Limits:
    """Every throttle and size limit, so that operators can tune them (SPEC §3)."""

    login_max_failures: int = 10
    login_failure_window_s: int = 15 * 60
    # Each registration costs an Argon2 hash (64 MiB, tens of ms), so one address gets a few.
    # Generous: offices behind one NAT (and test suites) register from one address.
    registrations_per_address: int = 1000
    registration_window_s: int = 60 * 60
    token_requests_per_minute: int = 1200
    # The wallet is the real bound on spending; these only stop floods.
    chat_requests_per_minute_per_token: int = 600
    chat_requests_per_minute_per_user: int = 1200
    max_form_bytes: int = 64 * 1024
    max_json_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class Lifetimes:
    """How long OAuth artefacts live, in seconds (SPEC §4)."""

    authorization_code: int = 60
    access_token: int = 86400
    authorization: int = 30 * 86400
    session: int = 14 * 86400


@dataclass(frozen=True)
class Config:
    database_url: str = DEFAULT_DATABASE_URL
    public_url: str = DEFAULT_PUBLIC_URL
    secret_key: str | None = None
    default_model: str = DEFAULT_MODEL
    redis_url: str | None = None
    demo: bool = False
    providers: Mapping[str, ProviderSettings] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    # Reverse proxies in front of us whose X-Forwarded-For/-Proto/-Host we believe (0: none,
    # so a client can't pick the address that login throttling and rate limits count).
    trusted_proxy_hops: int = 0
    upstream_connect_timeout_s: float = 10.0
    # Reasoning models can think in silence for minutes, streamed or not (OpenAI's own
    # SDK waits 600 s too).
    upstream_read_timeout_s: float = 600.0
    # The output cap sent upstream (and reserved for) when a chat request sets none.
    default_max_tokens: int = 8192
    # "aiohttp" (aiohttp directly), "httpx-aiohttp" (httpx's API over aiohttp's
    # connections) or "httpx" (httpx's own transport).
    upstream_transport: str = "aiohttp"
    # hypercorn's event loop: "asyncio" or "uvloop" (bench/README.md measures both).
    worker_class: str = "asyncio"
    # On SIGTERM, how long answers in flight may take to finish before they are ended (and
    # charged) as if their clients had left. Under Kubernetes' and systemd's own grace.
    shutdown_grace_s: float = 20.0
    # How often a process proves it is alive; what a process 3 beats late held is released.
    heartbeat_interval_s: float = 10.0
    # The most history (estimated tokens) a conversation ask sends to the model (SPEC §11).
    history_max_tokens: int = 32000
    # How often an answer's new text is written to its stream log (bench/conversations.py).
    stream_flush_interval_s: float = 0.1
    # The largest knowledge-base upload (SPEC §15): a bigger body is a 413.
    max_upload_bytes: int = 50 * 1024 * 1024
    # How often, at most, a user's context summary is recomputed from their questions
    # (SPEC §15: every 5 minutes at most; tests shorten it).
    user_context_refresh_s: float = 300.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> Config:
        env = os.environ if environ is None else environ
        public_url = _clean_public_url(env.get("LEGION_PUBLIC_URL", DEFAULT_PUBLIC_URL))
        database_url = env.get("LEGION_DATABASE_URL", DEFAULT_DATABASE_URL).strip()
        _check_database_url(database_url)
        config = cls(
            database_url=database_url,
            public_url=public_url,
            secret_key=env.get("LEGION_SECRET_KEY") or None,
            default_model=env.get("LEGION_DEFAULT_MODEL", DEFAULT_MODEL).strip() or DEFAULT_MODEL,
            redis_url=env.get("LEGION_REDIS_URL") or None,
            demo=env.get("LEGION_DEMO", "") in ("1", "true", "yes"),
            providers=_providers_from_env(env),
            limits=_limits_from_env(env),
            lifetimes=_lifetimes_from_env(env),
            trusted_proxy_hops=_int(env, "LEGION_TRUSTED_PROXY_HOPS", 0),
            upstream_connect_timeout_s=_float(env, "LEGION_UPSTREAM_CONNECT_TIMEOUT", 10.0),
            upstream_read_timeout_s=_float(env, "LEGION_UPSTREAM_READ_TIMEOUT", 600.0),
            default_max_tokens=_int(env, "LEGION_DEFAULT_MAX_TOKENS", 8192) or 8192,
            upstream_transport=_transport(env.get("LEGION_UPSTREAM_TRANSPORT", "aiohttp")),
            worker_class=_worker_class(env.get("LEGION_WORKER_CLASS", "asyncio")),
            shutdown_grace_s=_float(env, "LEGION_SHUTDOWN_GRACE", 20.0),
            heartbeat_interval_s=_float(env, "LEGION_HEARTBEAT_INTERVAL", 10.0),
            history_max_tokens=_int(env, "LEGION_HISTORY_MAX_TOKENS", 32000) or 32000,
            stream_flush_interval_s=_float(env, "LEGION_STREAM_FLUSH_INTERVAL", 0.1),
            max_upload_bytes=_int(env, "LEGION_MAX_UPLOAD_BYTES", 50 * 1024 * 1024) or 1,
            user_context_refresh_s=_float(env, "LEGION_USER_CONTEXT_REFRESH", 300.0),
        )
        return replace(config, **overrides) if overrides else config

    @property
    def issuer(self) -> str:
        return self.public_url

    @property
    def public_origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when the database is SQLite, else None."""
        if not self.database_url.startswith("sqlite"):
            return None
        path = self.database_url.split(":///", 1)[1]
        return Path(path)


PROVIDER_DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "google": "https://generativelanguage.googleapis.com",
    "xai": "https://api.x.ai/v1",
}

_PROVIDER_ENV_PREFIX = {
    "openai": "OPENAI",
    "anthropic": "ANTHROPIC",
    "google": "GEMINI",
    "xai": "XAI",
}


def _providers_from_env(env: Mapping[str, str]) -> dict[str, ProviderSettings]:
    providers = {}
    for name, prefix in _PROVIDER_ENV_PREFIX.items():
        base_url = (env.get(f"{prefix}_BASE_URL") or PROVIDER_DEFAULT_BASE_URLS[name]).rstrip("/")
        providers[name] = ProviderSettings(
            api_key=env.get(f"{prefix}_API_KEY") or None, base_url=base_url
        )
    return providers


def _limits_from_env(env: Mapping[str, str]) -> Limits:
    defaults = Limits()
    return Limits(
        login_max_failures=_int(env, "LEGION_LOGIN_MAX_FAILURES", defaults.login_max_failures),
        login_failure_window_s=_int(
            env, "LEGION_LOGIN_FAILURE_WINDOW", defaults.login_failure_window_s
        ),
        registrations_per_address=_int(
            env, "LEGION_REGISTER_MAX_PER_ADDRESS", defaults.registrations_per_address
        ),
        registration_window_s=_int(env, "LEGION_REGISTER_WINDOW", defaults.registration_window_s),
        token_requests_per_minute=_int(
            env, "LEGION_TOKEN_RATE_LIMIT", defaults.token_requests_per_minute
        ),
        chat_requests_per_minute_per_token=_int(
            env, "LEGION_CHAT_RATE_LIMIT_PER_TOKEN", defaults.chat_requests_per_minute_per_token
        ),
        chat_requests_per_minute_per_user=_int(
            env, "LEGION_CHAT_RATE_LIMIT_PER_USER", defaults.chat_requests_per_minute_per_user
        ),
        max_form_bytes=defaults.max_form_bytes,
        max_json_bytes=_int(env, "LEGION_MAX_BODY_BYTES", defaults.max_json_bytes),
    )


def _lifetimes_from_env(env: Mapping[str, str]) -> Lifetimes:
    defaults = Lifetimes()
    return Lifetimes(
        authorization_code=_int(env, "LEGION_CODE_LIFETIME", defaults.authorization_code) or 1,
        access_token=_int(env, "LEGION_ACCESS_TOKEN_LIFETIME", defaults.access_token) or 1,
        authorization=_int(env, "LEGION_AUTHORIZATION_LIFETIME", defaults.authorization) or 1,
        session=_int(env, "LEGION_SESSION_LIFETIME", defaults.session) or 1,
    )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive")
    return value


def _transport(raw: str) -> str:
    value = (raw or "aiohttp").strip().lower()
    if value not in ("aiohttp", "httpx-aiohttp", "httpx"):
        raise ConfigError(
            f"LEGION_UPSTREAM_TRANSPORT must be aiohttp, httpx-aiohttp or httpx, not {raw!r}"
        )
    return value


def _worker_class(raw: str) -> str:
    value = (raw or "asyncio").strip().lower()
    if value not in ("asyncio", "uvloop"):
        raise ConfigError(f"LEGION_WORKER_CLASS must be asyncio or uvloop, not {raw!r}")
    if value == "uvloop":
        try:
            import uvloop  # noqa: F401
        except ImportError:
            raise ConfigError("LEGION_WORKER_CLASS=uvloop needs uvloop installed") from None
    return value


def _clean_public_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"LEGION_PUBLIC_URL must be an http(s) URL, not {raw!r}")
    if parts.query or parts.fragment:
        raise ConfigError("LEGION_PUBLIC_URL must not have a query or a fragment")
    return url


def _check_database_url(url: str) -> None:
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return
    if url.startswith(("postgresql://", "postgres://", "postgresql+asyncpg://")):
        return
    raise ConfigError(
        f"LEGION_DATABASE_URL must be sqlite:///PATH or postgresql://user:pass@host/db, not {url!r}"
    )
