"""The one place that reads FinBoard's configuration from the environment.

Every backend (Flask, FastAPI, Django) calls :func:`load_settings`, so one
``DATABASE_URL`` / ``REDIS_URL`` / ``SECRET_KEY`` configures all of them.
"""

from __future__ import annotations

import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "instance" / "finboard.sqlite3"

DEV_SECRET_FILE = PROJECT_ROOT / "instance" / ".dev-secret-key"


class ConfigError(RuntimeError):
    """Raised when the environment cannot configure FinBoard safely."""


@dataclass(frozen=True)
class Settings:
    """Resolved configuration shared by every backend."""

    database_url: str
    redis_url: str | None
    secret_key: str
    environment: str
    token_ttl_seconds: int = 3600
    db_pool_size: int = 5
    # Rate limits in the `limits` notation, shared by every backend. The
    # benchmark raises them for its login scenario (it measures throughput).
    login_limit_per_ip: str = "20/minute"
    login_limit_per_account: str = "5/minute"
    register_limit_per_ip: str = "10/hour"
    cache_enabled: bool = True
    # Anti-spam, per account (counted in the database, so every backend and worker
    # agrees): posts and comments an hour, lower while the account is new.
    posts_per_hour: int = 20
    comments_per_hour: int = 60
    new_account_posts_per_hour: int = 3
    new_account_comments_per_hour: int = 10
    new_account_hours: int = 24

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def async_database_url(self) -> str:
        """The same database for async SQLAlchemy (psycopg 3 / aiosqlite)."""
        url = make_url(self.database_url)
        if url.get_backend_name() == "postgresql":
            return url.set(drivername="postgresql+psycopg_async").render_as_string(hide_password=False)
        return url.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)

    def django_database(self) -> dict:
        """The same database as a Django ``DATABASES['default']`` entry."""
        url = make_url(self.database_url)
        if url.get_backend_name() == "postgresql":
            return {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": url.database or "",
                "USER": url.username or "",
                "PASSWORD": url.password or "",
                "HOST": url.host or "",
                "PORT": str(url.port or ""),
            }
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url.database}


# Every backend's PostgreSQL sessions plan each statement with its values.
# psycopg prepares a statement after five runs, and PostgreSQL may then switch it
# to a generic plan that ignores the values: at a million posts a search for a
# rare word took 841 ms generic against 0.25 ms custom, a cashtag page 14 ms
# against 0.5 ms. Planning these statements costs well under a millisecond.
PG_SESSION_OPTIONS = "-c plan_cache_mode=force_custom_plan"


def normalize_database_url(raw: str) -> str:
    """Accept the common spellings and return the one SQLAlchemy form we use.

    ``postgres://`` and ``postgresql://`` (as Heroku-style providers hand them
    out) become ``postgresql+psycopg://`` so that psycopg 3 is always the driver.
    """
    url: URL = make_url(raw)
    backend = url.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    if backend == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        url = url.set(drivername="sqlite")
    else:
        raise ConfigError(f"DATABASE_URL must be PostgreSQL or SQLite, not {backend!r}")
    return url.render_as_string(hide_password=False)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the environment once and fail fast on unsafe production settings."""
    env = os.environ if environ is None else environ
    environment = env.get("FINBOARD_ENV", "development").strip().lower()
    raw_url = env.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    secret = env.get("SECRET_KEY")
    if not secret:
        if environment not in ("development", "testing"):
            raise ConfigError("SECRET_KEY must be set when FINBOARD_ENV is not development")
        warnings.warn(
            "SECRET_KEY is not set: using a random development key (sessions and tokens "
            "will not survive a restart). Set SECRET_KEY in production.",
            stacklevel=2,
        )
        secret = _development_secret()
    return Settings(
        database_url=normalize_database_url(raw_url),
        redis_url=env.get("REDIS_URL") or None,
        secret_key=secret,
        environment=environment,
        token_ttl_seconds=int(env.get("TOKEN_TTL_SECONDS", "3600")),
        db_pool_size=int(env.get("DB_POOL_SIZE", "5")),
        login_limit_per_ip=env.get("LOGIN_LIMIT_PER_IP", "20/minute"),
        login_limit_per_account=env.get("LOGIN_LIMIT_PER_ACCOUNT", "5/minute"),
        register_limit_per_ip=env.get("REGISTER_LIMIT_PER_IP", "10/hour"),
        cache_enabled=env.get("CACHE_ENABLED", "1").lower() not in ("0", "false", "off", "no"),
        posts_per_hour=_count(env, "POSTS_PER_HOUR", 20),
        comments_per_hour=_count(env, "COMMENTS_PER_HOUR", 60),
        new_account_posts_per_hour=_count(env, "NEW_ACCOUNT_POSTS_PER_HOUR", 3),
        new_account_comments_per_hour=_count(env, "NEW_ACCOUNT_COMMENTS_PER_HOUR", 10),
        new_account_hours=_count(env, "NEW_ACCOUNT_HOURS", 24),
    )


def _count(env, name: str, default: int) -> int:
    """A non-negative integer setting, or a ConfigError that names it."""
    raw = env.get(name, str(default)).strip()
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number >= 0, not {raw!r}")
    return int(raw)


def _development_secret() -> str:
    """A random key kept in instance/ so every worker and restart shares it.

    Never used in production: load_settings() refuses to start there without
    SECRET_KEY.
    """
    try:
        return DEV_SECRET_FILE.read_text().strip()
    except FileNotFoundError:
        DEV_SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        DEV_SECRET_FILE.write_text(key)
        DEV_SECRET_FILE.chmod(0o600)
        return key
