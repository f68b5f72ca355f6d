"""Django settings for the /api/v1 adapter, derived from FinBoard's shared settings.

``finboard.settings.load_settings()`` reads the environment, exactly as
the Flask and FastAPI backends do, so one DATABASE_URL / REDIS_URL /
SECRET_KEY configures all three. Everything that would change a response
(debug pages, slash redirects, CSRF, sessions) is left out.
"""

from finboard.rawsql.connect import connect_kwargs
from finboard.settings import Settings, load_settings


def database_config(finboard_settings: Settings, replica_url: str | None = None) -> dict:
    """``DATABASES['default']`` for these settings (the in-process tests repoint Django with it),
    or a replica's entry (``replica_url``: short waits, so a replica that is gone hands the read
    to the primary within a second or two)."""
    database = finboard_settings.django_database(replica_url)
    database.update(
        # Connections come from psycopg's pool (PostgreSQL) and go back to it at
        # the end of each request; CONN_MAX_AGE must be 0 with a pool. The health
        # check makes the pool verify a connection before lending it out (like
        # SQLAlchemy's pool_pre_ping in the Flask backend).
        CONN_MAX_AGE=0,
        CONN_HEALTH_CHECKS=True,
    )
    if database["ENGINE"] == "django.db.backends.postgresql":
        replica = replica_url is not None
        database["OPTIONS"] = {
            "pool": {
                "min_size": 1,
                "max_size": finboard_settings.db_pool_size,
                # psycopg's pool never fails fast: a request waits up to `timeout`
                # for a connection while the pool retries in the background. Both
                # limits are short so a stopped database is a 503 within seconds
                # (well inside gunicorn's worker timeout), and once it is back the
                # next request connects at once instead of after a long backoff.
                "timeout": 1 if replica else 3,
                "reconnect_timeout": 2,
            },
            "connect_timeout": 2 if replica else 5,
            # Directly: PG_SESSION_OPTIONS; behind PgBouncer no startup options and no prepared
            # statements (finboard.rawsql.connect). Django sets the UTC time zone itself, by a
            # SET PgBouncer replays on every server connection.
            **connect_kwargs(finboard_settings.database_pgbouncer, utc=False),
        }
        # Transaction pooling gives a cursor's next FETCH to another server connection: no
        # server-side cursors (QuerySet.iterator() then reads in chunks client-side).
        database["DISABLE_SERVER_SIDE_CURSORS"] = finboard_settings.database_pgbouncer
    else:
        # The Flask backend's SQLite pragmas: WAL for concurrent readers, a busy
        # timeout for writers (foreign keys are always on in Django's SQLite backend).
        # IMMEDIATE: an atomic block takes the write lock when it begins. A deferred
        # one starts as a reader and, when it first writes after another worker
        # committed, fails at once with "database is locked" (the busy timeout never
        # applies to that upgrade) -- a 503 under two identical concurrent requests.
        database["OPTIONS"] = {
            "timeout": 5,
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
        }
    return database


FINBOARD_SETTINGS = load_settings()

SECRET_KEY = FINBOARD_SETTINGS.secret_key
DEBUG = False  # never Django's HTML debug pages: errors answer in the API's JSON shape

# This is a backend behind a reverse proxy, which is where the Host header is
# checked. Django itself never builds absolute URLs here, and answering 400 to
# a Host the proxy let through would make it disagree with the Flask and
# FastAPI backends, which accept any Host.
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = ["backends.django.forum"]

MIDDLEWARE = [
    # DATABASE_REPLICA_URLS: each request's read context, and read-your-writes pins.
    "backends.django.forum.replicas.ReadYourWritesMiddleware",
    # The shared security headers (finboard.core.security_headers), as the Flask app sends them.
    "backends.django.forum.middleware.SecurityHeadersMiddleware",
    "backends.django.forum.middleware.ContentLengthMiddleware",
    "backends.django.forum.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "backends.django.urls"
WSGI_APPLICATION = "backends.django.wsgi.application"

DATABASES = {"default": database_config(FINBOARD_SETTINGS)}

# DATABASE_REPLICA_URLS: one alias per replica; ReplicaRouter sends only the content reads there.
for _index, _url in enumerate(FINBOARD_SETTINGS.replica_urls):
    DATABASES[f"replica-{_index}"] = database_config(FINBOARD_SETTINGS, _url)
# migrations/ (Alembic) is the only DDL: Django never creates or alters a table.
DATABASE_ROUTERS = [
    "backends.django.forum.replicas.ReplicaRouter",
    "backends.django.forum.routers.NoMigrationsRouter",
]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

APPEND_SLASH = False
# The API answers an oversized body itself (413 from request_parsing.parse_body, or
# from the view when Content-Length is over this, like the Flask backend's
# MAX_CONTENT_LENGTH). Query strings are not capped by field count.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        # 5xx with their tracebacks; 4xx are answers, not errors.
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "finboard": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}
