"""Small typed readers for environment variables that fail loudly on bad values."""

import os
import zoneinfo
from urllib.parse import parse_qsl, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    """The variable's value; unset or empty (`NAME=` in an env file) means the default."""
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"environment variable {name} is required")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def env_choice(name: str, default: str, choices, *, lower: bool = False) -> str:
    """One of `choices` (unset or empty: the default; `lower`: compared in lower case); anything else stops the
    server with an error naming the choices."""
    value = env_str(name, default)
    value = value.lower() if lower else value
    if value not in choices:
        *rest, last = list(choices)
        allowed = f"{', '.join(rest)} or {last}" if rest else last
        raise ImproperlyConfigured(f"{name}={value!r}: use {allowed}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_time_zone(name: str, default: str) -> str:
    """An IANA time zone name (e.g. Asia/Seoul); an unknown zone stops the server with an error."""
    value = env_str(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a known time zone (e.g. Asia/Seoul, UTC)"
        ) from None
    return value


def _url_options(query: str) -> dict:
    """Query parameters of a DATABASE_URL: `conn_max_age` sets CONN_MAX_AGE, every other one goes to the
    driver's OPTIONS (libpq: ?sslmode=require&sslrootcert=/path&connect_timeout=5)."""
    options = dict(parse_qsl(query, keep_blank_values=True))
    result: dict = {}
    if "conn_max_age" in options:
        value = options.pop("conn_max_age")
        try:
            result["CONN_MAX_AGE"] = None if value.lower() == "none" else int(value)
        except ValueError:
            raise ImproperlyConfigured(f"DATABASE_URL conn_max_age={value!r} is not an integer") from None
    if options:
        result["OPTIONS"] = options
    return result


def database_from_url(url: str) -> dict:
    """Turn postgres://user:pass@host:port/name (or sqlite:///path) into a Django DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql", "pgsql"):
        name = parsed.path.lstrip("/")
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL {url!r} names no database")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(name),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            **_url_options(parsed.query),
        }
    if parsed.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parsed.path or ":memory:"}
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parsed.scheme!r} is not supported (postgres or sqlite)")
