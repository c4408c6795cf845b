"""Settings read from environment variables, in one place (the README has the table)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ASYNC_MODES = ("gevent", "eventlet", "threading")


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _count(env: dict[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 0:
        raise ConfigError(f"{name} cannot be negative, got {value}")
    return value


def _percent(env: dict[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if not 1 <= value <= 100:
        raise ConfigError(f"{name} must be a percentage from 1 to 100, got {value}")
    return value


def _limits(env: dict[str, str]) -> dict[str, int]:
    """Flood control and sign-in limits (0 switches a limit off); proxies to trust."""
    message_limit = _count(env, "CHAT_MESSAGE_LIMIT", 5)
    return {
        "CHAT_MESSAGE_LIMIT": message_limit,
        "CHAT_MESSAGE_LIMIT_SECONDS": _count(env, "CHAT_MESSAGE_LIMIT_SECONDS", 10),
        "CHAT_MESSAGE_BURST": _count(env, "CHAT_MESSAGE_BURST", message_limit),
        "CHAT_REPEAT_SECONDS": _count(env, "CHAT_REPEAT_SECONDS", 30),
        "CHAT_REPORT_LIMIT": _count(env, "CHAT_REPORT_LIMIT", 10),
        "CHAT_REPORT_LIMIT_SECONDS": _count(env, "CHAT_REPORT_LIMIT_SECONDS", 600),
        "CHAT_CONNECTION_REQUESTS_PER_DAY": _count(env, "CHAT_CONNECTION_REQUESTS_PER_DAY", 10),
        "CHAT_SIGN_IN_ACCOUNT_LIMIT": _count(env, "CHAT_SIGN_IN_ACCOUNT_LIMIT", 5),
        "CHAT_SIGN_IN_ADDRESS_LIMIT": _count(env, "CHAT_SIGN_IN_ADDRESS_LIMIT", 20),
        "CHAT_SIGN_IN_LIMIT_SECONDS": _count(env, "CHAT_SIGN_IN_LIMIT_SECONDS", 900),
        "CHAT_TRUSTED_PROXIES": _count(env, "CHAT_TRUSTED_PROXIES", 0),
    }


def _secret_key(env: dict[str, str], instance_path: Path, development: bool) -> str:
    """Return SECRET_KEY from the environment, or in development one kept in instance/."""
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    if not development:
        raise ConfigError(
            "SECRET_KEY is required outside development: set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def from_environment(
    instance_path: Path, env: dict[str, str] | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables, then apply `overrides`."""
    env = dict(os.environ if env is None else env)
    overrides = overrides or {}
    if overrides.get("SECRET_KEY"):
        env["SECRET_KEY"] = overrides["SECRET_KEY"]
    development = env.get("CHAT_ENV", "production") == "development"
    async_mode = env.get("CHAT_ASYNC_MODE", "gevent")
    if async_mode not in ASYNC_MODES:
        raise ConfigError(f"CHAT_ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}")
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'traineetalk.db'}"
    # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants psycopg 3 spelled out.
    if database_url.startswith(("postgres://", "postgresql://")):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    scheme = env.get("PREFERRED_URL_SCHEME") or "http"
    # Cookies are Secure when told so, or when the site is served over HTTPS; a request
    # that arrived over HTTPS (directly or via a trusted proxy) also gets them (chat/proxy.py).
    secure_cookies = (
        env.get("CHAT_SECURE_COOKIES", "0" if development else "1") == "1" or scheme == "https"
    )
    settings = {
        "CHAT_ENV": "development" if development else "production",
        "SECRET_KEY": _secret_key(env, instance_path, development),
        "DATABASE_URL": database_url,
        "REDIS_URL": env.get("REDIS_URL") or None,
        "CHAT_ASYNC_MODE": async_mode,
        "CHAT_HOST": env.get("CHAT_HOST", "127.0.0.1"),
        "CHAT_PORT": _int(env, "PORT", 5000),
        "CHAT_PUBLIC_URL": env.get("CHAT_PUBLIC_URL") or None,
        "CHAT_LOBBY_MINUTES": _int(env, "CHAT_LOBBY_MINUTES", 15),
        "CHAT_CLOCK_SECONDS": _int(env, "CHAT_CLOCK_SECONDS", 1),
        "CHAT_CLOCK_ENABLED": True,
        "CHAT_EVENT_LOG": env.get("CHAT_EVENT_LOG", "1") == "1",
        "CHAT_PRESENCE_SECONDS": _count(env, "CHAT_PRESENCE_SECONDS", 1),
        "CHAT_MAX_OPEN_QUESTIONS": _int(env, "CHAT_MAX_OPEN_QUESTIONS", 3),
        "CHAT_CERTIFICATE_SHARE": _percent(env, "CHAT_CERTIFICATE_SHARE", 75),
        "CHAT_CALENDAR_DOMAIN": env.get("CHAT_CALENDAR_DOMAIN", "traineetalk.live"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": scheme,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        **_limits(env),
    }
    settings.update(overrides)
    return settings
