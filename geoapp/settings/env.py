"""The one place that reads the environment (and the project's `.env` file)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE_DIR = Path(__file__).resolve().parents[2]
ENV_FILE = BASE_DIR / ".env"


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


_FILE_VALUES = _read_env_file(ENV_FILE)


def env(key: str, default: str | None = None) -> str | None:
    """Return a setting from the process environment, else `.env`, else the default."""
    if key in os.environ:
        return os.environ[key]
    return _FILE_VALUES.get(key, default)


def env_bool(key: str, default: bool = False) -> bool:
    """Return a boolean setting ("1", "true", "yes", "on" are true)."""
    value = env(key)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(key: str, default: int) -> int:
    """Return an integer setting."""
    value = env(key)
    return int(value) if value not in (None, "") else default


def env_list(key: str, default: str = "") -> list[str]:
    """Return a comma-separated setting as a list of non-empty items."""
    return [item.strip() for item in (env(key, default) or "").split(",") if item.strip()]


def database_from_url(url: str) -> dict[str, object]:
    """Translate `postgis://user:password@host:port/name?sslmode=...` into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgis", "postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must use postgis:// or postgres://, got {parsed.scheme!r}")
    options: dict[str, str] = {}
    for pair in filter(None, parsed.query.split("&")):
        key, _, value = pair.partition("=")
        options[key] = unquote(value)
    return {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
