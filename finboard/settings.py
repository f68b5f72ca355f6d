"""The one place that reads FinBoard's configuration from the environment.

Every backend (Flask, FastAPI, Django, raw), both gunicorn config files and the
benchmark call :func:`load_settings`, so one ``DATABASE_URL`` / ``REDIS_URL`` /
``SECRET_KEY`` configures all of them. Nothing else in ``finboard``/``backends``
reads ``os.environ`` (tests/project/test_settings.py checks it).

``DATABASE_URL`` is normalised here, once, to the SQLAlchemy URL every backend
uses (:attr:`Settings.database_url`); the forms the other drivers need are
derived from it (:attr:`Settings.psycopg_dsn`, :meth:`Settings.async_database_url`,
:meth:`Settings.django_database`).
"""

from __future__ import annotations

import multiprocessing
import secrets
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "instance" / "finboard.sqlite3"
DEFAULT_OUTBOX = PROJECT_ROOT / "instance" / "outbox"
MAIL_SCHEMES = ("smtp", "smtps", "smtp+plain")

DEV_SECRET_FILE = PROJECT_ROOT / "instance" / ".dev-secret-key"
DEFAULT_AVATAR_DIR = PROJECT_ROOT / "instance" / "avatars"
DEFAULT_EXPORT_DIR = PROJECT_ROOT / "instance" / "exports"
DEFAULT_MEDIA_DIR = PROJECT_ROOT / "instance" / "media"
DEVELOPMENT_ENVIRONMENTS = ("development", "testing")


class ConfigError(RuntimeError):
    """Raised when the environment cannot configure FinBoard safely."""


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


def require_postgres_for_sql(data_layer: str, database_url: str) -> None:
    """``DATA_LAYER=sql`` reads through ``finboard.rawsql``: PostgreSQL's SQL on psycopg.

    One rule for every adapter: on SQLite there is no such layer to run, and
    answering from the ORM instead would make a benchmark label lie, so the
    configuration is refused before anything serves.
    """
    if data_layer == "sql" and make_url(database_url).get_backend_name() != "postgresql":
        raise ConfigError(
            "DATA_LAYER=sql needs PostgreSQL (the hand-written SQL layer finboard.rawsql is "
            "PostgreSQL's): set DATABASE_URL to a postgresql:// URL, or DATA_LAYER=orm"
        )


def _env(name: str, *more: str):
    """The field reads environment variable ``name`` (and, failing that, ``more``)."""
    return AliasChoices(name, *more) if more else name


class Settings(BaseSettings):
    """Resolved configuration shared by every backend and server config.

    Field names are the environment variables in lower case (README,
    Configuration). An empty variable counts as unset.
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_ignore_empty=True, populate_by_name=False)

    database_url: str = Field(default=f"sqlite:///{DEFAULT_SQLITE_PATH}", validation_alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    secret_key: str = Field(default="", validation_alias="SECRET_KEY")
    environment: str = Field(default="development", validation_alias="FINBOARD_ENV")
    token_ttl_seconds: PositiveInt = Field(default=3600, validation_alias="TOKEN_TTL_SECONDS")
    db_pool_size: PositiveInt = Field(default=5, validation_alias="DB_POOL_SIZE")
    # Which data layer answers the API's reads (and the forum's): "orm" is each
    # framework's own ORM (Flask-SQLAlchemy, async SQLAlchemy, the Django ORM),
    # "sql" is the shared hand-written SQL layer (finboard.rawsql: psycopg +
    # orjson), so PostgreSQL only (require_postgres_for_sql). Writes stay on the
    # ORM either way. Every benchmark label names the layer.
    data_layer: Literal["orm", "sql"] = Field(default="orm", validation_alias="DATA_LAYER")
    # Rate limits in the `limits` notation, shared by every backend. The
    # benchmark raises them for its login scenario (it measures throughput).
    login_limit_per_ip: str = Field(default="20/minute", validation_alias="LOGIN_LIMIT_PER_IP")
    login_limit_per_account: str = Field(default="5/minute", validation_alias="LOGIN_LIMIT_PER_ACCOUNT")
    register_limit_per_ip: str = Field(default="10/hour", validation_alias="REGISTER_LIMIT_PER_IP")
    # Two-factor codes (login, confirming enrolment, turning it off), on top of the login limits.
    two_factor_limit_per_account: str = Field(default="5/minute", validation_alias="TWO_FACTOR_LIMIT_PER_ACCOUNT")
    two_factor_limit_per_ip: str = Field(default="20/minute", validation_alias="TWO_FACTOR_LIMIT_PER_IP")
    # Moderators and admins must turn on two-factor login before they can moderate.
    require_2fa_for_staff: bool = Field(default=False, validation_alias="REQUIRE_2FA_FOR_STAFF")
    # Where re-encoded avatars are written (content-addressed file names).
    avatar_dir: str = Field(default=str(DEFAULT_AVATAR_DIR), validation_alias="AVATAR_DIR")
    # "Download my data": where the ZIPs are built (unguessable names), and for how many days
    # the mailed link works.
    export_dir: str = Field(default=str(DEFAULT_EXPORT_DIR), validation_alias="EXPORT_DIR")
    export_days: int = Field(default=7, ge=1, le=90, validation_alias="EXPORT_DAYS")
    # "Delete my account": days between the request and the anonymisation (cancel meanwhile).
    account_deletion_grace_days: int = Field(default=7, ge=0, le=90, validation_alias="ACCOUNT_DELETION_GRACE_DAYS")
    # Uploaded images (finboard.core.media): "local" writes them to MEDIA_DIR, "s3" to the bucket
    # MEDIA_S3_BUCKET of any S3-compatible store (MEDIA_S3_ENDPOINT_URL for one that is not AWS;
    # credentials from MEDIA_S3_ACCESS_KEY / MEDIA_S3_SECRET_KEY, else boto3's usual chain).
    media_storage: Literal["local", "s3"] = Field(default="local", validation_alias="MEDIA_STORAGE")
    media_dir: str = Field(default=str(DEFAULT_MEDIA_DIR), validation_alias="MEDIA_DIR")
    media_s3_bucket: str | None = Field(default=None, validation_alias="MEDIA_S3_BUCKET")
    media_s3_endpoint_url: str | None = Field(default=None, validation_alias="MEDIA_S3_ENDPOINT_URL")
    media_s3_region: str | None = Field(default=None, validation_alias="MEDIA_S3_REGION")
    media_s3_access_key: str | None = Field(default=None, validation_alias="MEDIA_S3_ACCESS_KEY")
    media_s3_secret_key: str | None = Field(default=None, validation_alias="MEDIA_S3_SECRET_KEY")
    media_s3_prefix: str = Field(default="media/", validation_alias="MEDIA_S3_PREFIX")
    # Images one member may upload an hour (counted in the uploads table, on every backend).
    uploads_per_hour: NonNegativeInt = Field(default=30, validation_alias="UPLOADS_PER_HOUR")
    # The forms and endpoints that send account mail (password reset, verification, e-mail
    # change) and the ones that take its links, per IP and per account.
    account_mail_limit_per_ip: str = Field(default="20/hour", validation_alias="ACCOUNT_MAIL_LIMIT_PER_IP")
    account_mail_limit_per_account: str = Field(default="5/hour", validation_alias="ACCOUNT_MAIL_LIMIT_PER_ACCOUNT")
    # Reactions set or removed per account (pages and every backend's API).
    reaction_limit_per_account: str = Field(default="60/minute", validation_alias="REACTION_LIMIT_PER_ACCOUNT")
    # Outgoing mail (finboard.core.mail): smtp://user:pass@host:587 (STARTTLS, required),
    # smtps://…:465 (implicit TLS), smtp+plain://host:25 (no TLS: a local relay). Unset: each
    # mail is written as an .eml file to MAIL_OUTBOX and logged.
    mail_url: str | None = Field(default=None, validation_alias="MAIL_URL")
    mail_from: str = Field(default="FinBoard <noreply@finboard.invalid>", validation_alias="MAIL_FROM")
    mail_outbox: Path = Field(default=DEFAULT_OUTBOX, validation_alias="MAIL_OUTBOX")
    # The address the forum is reached at: the links in mail are built on it (a job has no request).
    site_url: str = Field(default="http://127.0.0.1:5000", validation_alias="SITE_URL")
    cache_enabled: bool = Field(default=True, validation_alias="CACHE_ENABLED")
    # In-process cache without Redis: unset means "when gunicorn runs one
    # worker" (see in_process_cache).
    local_cache: bool | None = Field(default=None, validation_alias="LOCAL_CACHE")
    # Whole pages for logged-out visitors (finboard.page_cache): on with the read cache; kept at
    # most PAGE_CACHE_TTL seconds (their relative times age no further), and browsers or a proxy
    # may hold them PAGE_CACHE_MAX_AGE seconds (Cache-Control: public, max-age).
    page_cache: bool = Field(default=True, validation_alias="PAGE_CACHE")
    page_cache_ttl: int = Field(default=60, ge=1, le=3600, validation_alias="PAGE_CACHE_TTL")
    page_cache_max_age: int = Field(default=5, ge=0, le=3600, validation_alias="PAGE_CACHE_MAX_AGE")
    # Anti-spam, per account (counted in the database, so every backend and worker
    # agrees): posts and comments an hour, lower while the account is new.
    posts_per_hour: NonNegativeInt = Field(default=20, validation_alias="POSTS_PER_HOUR")
    comments_per_hour: NonNegativeInt = Field(default=60, validation_alias="COMMENTS_PER_HOUR")
    new_account_posts_per_hour: NonNegativeInt = Field(default=3, validation_alias="NEW_ACCOUNT_POSTS_PER_HOUR")
    new_account_comments_per_hour: NonNegativeInt = Field(default=10, validation_alias="NEW_ACCOUNT_COMMENTS_PER_HOUR")
    new_account_hours: NonNegativeInt = Field(default=24, validation_alias="NEW_ACCOUNT_HOURS")
    # Proxies in front of the app: X-Forwarded-* are trusted only when > 0, by the
    # app (werkzeug's ProxyFix) and by gunicorn/uvicorn (forwarded_allow_ips).
    trusted_proxies: NonNegativeInt = Field(default=0, validation_alias="TRUSTED_PROXIES")

    # gunicorn (gunicorn.conf.py for the Flask app, backends/server_conf.py for the registry).
    bind: str = Field(default="127.0.0.1:5000", validation_alias="BIND")
    web_concurrency: PositiveInt | None = Field(default=None, validation_alias="WEB_CONCURRENCY")
    gunicorn_threads: PositiveInt | None = Field(default=None, validation_alias="GUNICORN_THREADS")
    graceful_timeout: NonNegativeInt = Field(default=30, validation_alias="GRACEFUL_TIMEOUT")
    gunicorn_timeout: NonNegativeInt = Field(default=30, validation_alias="GUNICORN_TIMEOUT")
    access_log: str = Field(default="-", validation_alias="ACCESS_LOG")
    gunicorn_loglevel: str = Field(default="warning", validation_alias="GUNICORN_LOGLEVEL")

    # Background jobs (finboard.core.jobs, README "Background jobs"): "queue" enqueues in the
    # write's transaction for `flask worker` (PostgreSQL only), "embedded" runs each job in the
    # writing process right after commit; "auto" is queue on PostgreSQL, embedded on SQLite.
    jobs_runner: Literal["auto", "queue", "embedded"] = Field(default="auto", validation_alias="JOBS_RUNNER")
    # Seconds without a heartbeat after which a worker counts as dead and its running jobs are
    # retried by the others (a worker beats every third of this).
    jobs_stalled_after: PositiveFloat = Field(default=30.0, validation_alias="JOBS_STALLED_AFTER")
    # A fan-out to more ticker followers than this is split into one job per range of this many
    # (finboard.rawsql.fanout), which a worker runs JOBS_CONCURRENCY at a time (README, measured).
    jobs_fanout_chunk: PositiveInt = Field(default=20_000, validation_alias="JOBS_FANOUT_CHUNK")
    # Jobs one `flask worker` process runs at once (its --concurrency default).
    jobs_concurrency: PositiveInt = Field(default=4, validation_alias="JOBS_CONCURRENCY")

    # Between the app and PostgreSQL, PgBouncer in transaction pooling (README, "PgBouncer"): every
    # psycopg connection then goes without startup `options` and prepared statements, and sets its
    # TimeZone by a SET that PgBouncer replays (finboard.rawsql.connect).
    database_pgbouncer: bool = Field(default=False, validation_alias="DATABASE_PGBOUNCER")
    # PostgreSQL itself, for what needs a server session of its own: the job worker's LISTEN.
    database_direct_url: str | None = Field(default=None, validation_alias="DATABASE_DIRECT_URL")
    # Seconds between a worker's looks for new jobs when it cannot LISTEN (behind PgBouncer, without
    # DATABASE_DIRECT_URL); with LISTEN it is woken at once and looks every 5 s besides.
    jobs_poll_interval: PositiveFloat = Field(default=1.0, validation_alias="JOBS_POLL_INTERVAL")

    # Read replicas (finboard.rawsql.replicas, README "Running on more than one machine"):
    # comma-separated PostgreSQL URLs of streaming standbys of DATABASE_URL. The content reads
    # go to a healthy one; writes, the worker and a member who just wrote stay on the primary.
    database_replica_urls: str = Field(default="", validation_alias="DATABASE_REPLICA_URLS")
    # A replica whose replay is more than this many seconds behind the primary serves nothing.
    replica_max_lag: PositiveFloat = Field(default=5.0, validation_alias="REPLICA_MAX_LAG")
    # Seconds between two health checks of each replica (a dead one is retried with backoff).
    replica_check_interval: PositiveFloat = Field(default=1.0, validation_alias="REPLICA_CHECK_INTERVAL")

    # The raw backend's psycopg pool: seconds a request waits for a connection.
    pg_pool_timeout: PositiveFloat = Field(default=3.0, validation_alias=_env("PG_POOL_TIMEOUT", "RAW_POOL_TIMEOUT"))
    # The benchmark's PostgreSQL superuser connection (creates its throwaway databases).
    bench_pg_admin: str = Field(
        default="postgresql://root@127.0.0.1:5432/postgres", validation_alias="FINBOARD_BENCH_PG_ADMIN"
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        try:
            return normalize_database_url(value)
        except (ConfigError, ArgumentError) as exc:
            raise ValueError(str(exc)) from None

    @field_validator("database_direct_url")
    @classmethod
    def _direct_is_postgres(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            url = normalize_database_url(value)
        except (ConfigError, ArgumentError) as exc:
            raise ValueError(str(exc).replace("DATABASE_URL", "DATABASE_DIRECT_URL")) from None
        if not url.startswith("postgresql"):
            raise ValueError("DATABASE_DIRECT_URL must be PostgreSQL (the server behind DATABASE_URL's PgBouncer)")
        return url

    @field_validator("database_replica_urls")
    @classmethod
    def _normalise_replicas(cls, value: str) -> str:
        urls = []
        for raw in (part.strip() for part in value.split(",")):
            if not raw:
                continue
            try:
                backend = make_url(raw).get_backend_name()
            except ArgumentError:
                raise ValueError("not a database URL (comma-separated postgresql:// URLs)") from None
            if backend not in ("postgres", "postgresql"):
                raise ValueError(f"replicas are PostgreSQL standbys: postgresql:// URLs only, not {backend!r}")
            urls.append(normalize_database_url(raw))
        return ",".join(urls)

    def jobs_queued(self, dialect: str) -> bool:
        """Whether a write on ``dialect`` enqueues its jobs for ``flask worker`` (else runs them after commit)."""
        if self.jobs_runner == "auto":
            return dialect == "postgresql"
        if self.jobs_runner == "queue" and dialect != "postgresql":
            raise ConfigError(f"JOBS_RUNNER=queue needs PostgreSQL (the jobs live in it), not {dialect}")
        return self.jobs_runner == "queue"

    @field_validator("environment")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("mail_url")
    @classmethod
    def _mail_url(cls, value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in MAIL_SCHEMES or not parts.hostname:
            raise ValueError("must be smtp://host:587 (STARTTLS), smtps://host:465 or smtp+plain://host:25")
        return value

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// address: {value!r}")
        return value.rstrip("/")

    @field_validator(
        "login_limit_per_ip",
        "login_limit_per_account",
        "register_limit_per_ip",
        "two_factor_limit_per_account",
        "two_factor_limit_per_ip",
        "account_mail_limit_per_ip",
        "account_mail_limit_per_account",
        "reaction_limit_per_account",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"not a rate limit such as '20/minute': {value!r}") from None
        return value

    @model_validator(mode="after")
    def _sql_layer_on_postgres(self) -> Settings:
        try:
            require_postgres_for_sql(self.data_layer, self.database_url)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        if self.database_replica_urls:
            if self.is_sqlite:
                raise ValueError("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL (the replicas stream from it)")
            if not self.redis_url:
                raise ValueError(
                    "DATABASE_REPLICA_URLS needs REDIS_URL: the read-your-writes pins live there, "
                    "where every worker and host sees them"
                )
        return self

    @model_validator(mode="after")
    def _s3_media_has_a_bucket(self) -> Settings:
        if self.media_storage == "s3" and not self.media_s3_bucket:
            raise ValueError("MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET (the bucket the images go to)")
        return self

    @model_validator(mode="after")
    def _pgbouncer_on_postgres(self) -> Settings:
        if self.database_pgbouncer and self.is_sqlite:
            raise ValueError("DATABASE_PGBOUNCER=1 needs a postgresql:// DATABASE_URL (the PgBouncer's address)")
        return self

    # --- derived values -------------------------------------------------------

    def replace(self, **changes) -> Settings:
        """A copy with ``changes`` (by field name), validated as if read from the environment."""
        data = {}
        for name, value in {**self.model_dump(), **changes}.items():
            alias = type(self).model_fields[name].validation_alias
            data[alias.choices[0] if isinstance(alias, AliasChoices) else alias] = value
        return type(self).model_validate(data)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def worker_settings(self) -> Settings:
        """What the job worker connects with: PostgreSQL itself when ``DATABASE_DIRECT_URL`` is set
        (Procrastinate's LISTEN needs a server session of its own, which transaction pooling never
        gives), else ``DATABASE_URL`` as the app uses it (behind PgBouncer the worker then polls)."""
        if self.database_direct_url is None:
            return self
        return self.replace(database_url=self.database_direct_url, database_pgbouncer=False, database_direct_url=None)

    @property
    def worker_listens(self) -> bool:
        """Whether a worker on these settings is woken by LISTEN/NOTIFY (not through PgBouncer)."""
        return not self.database_pgbouncer

    @property
    def psycopg_dsn(self) -> str:
        """The same PostgreSQL database as a libpq URI for psycopg itself (raw backend, tools)."""
        url = make_url(self.database_url)
        if url.get_backend_name() != "postgresql":
            raise ConfigError(f"DATABASE_URL is not PostgreSQL ({url.get_backend_name()!r})")
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    @property
    def replica_urls(self) -> tuple[str, ...]:
        """DATABASE_REPLICA_URLS as SQLAlchemy URLs (psycopg 3), in the order given; () without replicas."""
        return tuple(self.database_replica_urls.split(",")) if self.database_replica_urls else ()

    def replica_psycopg_dsns(self) -> tuple[str, ...]:
        """The replicas as libpq URIs, for psycopg itself (the SQL layer's pools, the health checks)."""
        return tuple(
            make_url(u).set(drivername="postgresql").render_as_string(hide_password=False) for u in self.replica_urls
        )

    def async_database_url(self, url_text: str | None = None) -> str:
        """The same database (or the replica ``url_text``) for async SQLAlchemy (psycopg 3 / aiosqlite)."""
        url = make_url(url_text or self.database_url)
        if url.get_backend_name() == "postgresql":
            return url.set(drivername="postgresql+psycopg_async").render_as_string(hide_password=False)
        return url.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)

    def django_database(self, url_text: str | None = None) -> dict:
        """The same database (or the replica ``url_text``) as a Django ``DATABASES`` entry."""
        url = make_url(url_text or self.database_url)
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

    @property
    def workers(self) -> int:
        """gunicorn workers: WEB_CONCURRENCY, else cores x 2 + 1 with Redis and 1 without."""
        if self.web_concurrency is not None:
            return self.web_concurrency
        return multiprocessing.cpu_count() * 2 + 1 if self.redis_url else 1

    @property
    def threads(self) -> int:
        """Threads per gunicorn worker: GUNICORN_THREADS, else 1 with Redis and 4 without."""
        if self.gunicorn_threads is not None:
            return self.gunicorn_threads
        return 1 if self.redis_url else 4

    def in_process_cache(self, server_workers: int | None) -> bool:
        """Cache in the worker's memory when there is no Redis.

        Only coherent in a single process, so by default only when the server
        says it runs exactly one worker (``server_workers``, from
        :func:`record_server_workers`; None outside gunicorn: no in-process
        cache). ``LOCAL_CACHE`` decides when it is set.
        """
        if self.redis_url:
            return False
        if self.local_cache is not None:
            return self.local_cache
        return server_workers == 1

    @property
    def forwarded_allow_ips(self) -> str:
        """gunicorn's and uvicorn's ``forwarded_allow_ips``: trust X-Forwarded-* only with TRUSTED_PROXIES.

        The app's ProxyFix already takes exactly TRUSTED_PROXIES hops from the
        right; the server must not trust the headers on its own (its old default,
        127.0.0.1, let anything on loopback claim HTTPS).
        """
        return "*" if self.trusted_proxies > 0 else ""


def load_settings(environ: Mapping[str, str] | None = None, *, require_secret: bool = True) -> Settings:
    """Read the environment (or ``environ``) once and fail fast on bad or unsafe settings.

    Every error is a :class:`ConfigError` naming the variable. ``require_secret``
    is False only for what never signs anything (the raw backend, the server
    config files, the benchmark's own settings): then a missing SECRET_KEY stays
    empty instead of being required or generated.
    """
    try:
        if environ is None:
            settings = Settings()
        else:
            settings = Settings.model_validate({k: v for k, v in environ.items() if v != ""})
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    if settings.secret_key or not require_secret:
        return settings
    if settings.environment not in DEVELOPMENT_ENVIRONMENTS:
        raise ConfigError("SECRET_KEY must be set when FINBOARD_ENV is not development")
    warnings.warn(
        "SECRET_KEY is not set: using a random development key (sessions and tokens "
        "will not survive a restart). Set SECRET_KEY in production.",
        stacklevel=2,
    )
    return settings.model_copy(update={"secret_key": _development_secret()})


SECRET_BEARING = (
    "DATABASE_URL",
    "DATABASE_DIRECT_URL",
    "DATABASE_REPLICA_URLS",
    "REDIS_URL",
    "SECRET_KEY",
    "FINBOARD_BENCH_PG_ADMIN",
    "MAIL_URL",
)


def _describe(exc: ValidationError) -> str:
    """One line naming each bad variable (its value too, unless it may hold a password)."""
    problems = []
    for error in exc.errors(include_url=False):
        message = error["msg"].removeprefix("Value error, ")
        if not error["loc"]:  # a rule across variables: its message names them (the input holds secrets)
            problems.append(message)
            continue
        name = ".".join(str(part) for part in error["loc"])
        shown = name if name in SECRET_BEARING else f"{name}={error['input']!r}"
        problems.append(f"{shown}: {message}")
    return "invalid configuration: " + "; ".join(problems)


_server_workers: int | None = None


def record_server_workers(count: int) -> None:
    """The gunicorn config files call this in each worker before the app is built
    (``post_fork``), with the worker count gunicorn really runs (``--workers``
    included): the app's in-process cache depends on it. A call, not an
    environment variable: nothing a child process or the operator could mistake
    for configuration.
    """
    global _server_workers
    _server_workers = count


def server_workers() -> int | None:
    """What :func:`record_server_workers` said; None when not under gunicorn."""
    return _server_workers


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
