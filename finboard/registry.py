"""The backend registry: every implementation of /api/v1 that FinBoard can serve.

A backend is data — its name, framework and data layer, app import path,
production server command line (with workers, host and port as parameters)
and health URL — so the conformance suite, ``flask bench serve`` and ``flask
bench run`` all start backends the same way. The built-ins are a matrix: each
framework adapter on its own ORM (``-orm``) and with its reads on the shared
hand-written SQL layer (``-sql``: ``DATA_LAYER=sql``), plus the framework-less
ceilings (``wsgi-raw``). A third-party adapter registers through the
``finboard.backends`` entry-point group, whose entry point is a ``Backend``
(or a callable returning one), without editing FinBoard.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points

logger = logging.getLogger("finboard.registry")

ENTRY_POINT_GROUP = "finboard.backends"
SERVER_CONFIG = "backends/server_conf.py"


@dataclass(frozen=True)
class Backend:
    name: str
    framework: str
    app: str  # "module:attribute"
    worker_class: str = "sync"  # gunicorn worker class for the default command line
    # (host, port, workers) -> argv; default: gunicorn on ``app`` with the shared server config.
    command: Callable[[str, int, int], list[str]] | None = None
    requires: tuple[str, ...] = ()  # modules that must import for it to start
    health_path: str = "/api/v1/healthz"
    env: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    pages: bool = False  # also serves the server-rendered forum
    read_only: bool = False  # serves only the read operations of /api/v1 (writes answer 405)
    extra: str = ""  # the pyproject.toml extra that installs ``requires`` (named when they are missing)
    # The framework's or server's documented performance advice this entry applies (the bench report lists it).
    tuning: tuple[str, ...] = ()
    # How another server (``flask bench run --server granian``) must call ``app``: "wsgi" or "asgi";
    # empty: ASGI when the worker class is uvicorn's, else WSGI (finboard.bench.servers.app_interface).
    interface: str = ""
    data_layer: str = ""  # what answers its reads: "orm" (the framework's own) or "sql" (finboard.rawsql)
    postgres_only: bool = False  # refuses to start on SQLite
    # Serves only GET /hello (finboard.bench.hello): the yardstick page scenarios are divided by, not an
    # implementation of /api/v1 — left out of registered() unless asked for, so no suite iterates it as one.
    yardstick: bool = False

    def argv(self, host: str, port: int, workers: int) -> list[str]:
        if self.command is not None:
            return self.command(host, port, workers)
        return gunicorn_argv(self.app, host, port, workers, "--worker-class", self.worker_class)

    def database_problem(self, database_url: str) -> str | None:
        """Why it can't serve that database (a PostgreSQL-only backend on SQLite), or None."""
        if self.postgres_only and database_url.startswith("sqlite"):
            return "needs PostgreSQL (DATABASE_URL is SQLite)"
        return None

    def missing_dependencies(self) -> list[str]:
        """Why it can't start: each module in ``requires`` (or the app's own) that doesn't import."""
        absent = [m for m in self.requires if importlib.util.find_spec(m.split(".")[0]) is None]
        if absent and self.extra:  # one line naming what to install, not the app's import error as well
            return [f"{', '.join(absent)} not installed: {install_hint(self.extra)}"]
        missing = []
        for module in (*self.requires, self.app.partition(":")[0]):
            if importlib.util.find_spec(module.split(".")[0]) is None:
                missing.append(f"{module} is not installed")
                continue
            try:
                importlib.import_module(module)
            except Exception as exc:  # noqa: BLE001 - report any import failure
                missing.append(f"{module} fails to import ({exc.__class__.__name__}: {exc})")
        return missing


def install_hint(extra: str) -> str:
    """How to install an extra of pyproject.toml (requirements-dev.txt pins every extra)."""
    return f"install the {extra} extra: pip install -r requirements-dev.txt (pinned), or pip install -e '.[{extra}]'"


def gunicorn_argv(app: str, host: str, port: int, workers: int, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--config",
        SERVER_CONFIG,
        "--workers",
        str(workers),
        "--bind",
        f"{host}:{port}",
        *extra,
    ]


# uvicorn as deployed: gunicorn-managed uvicorn workers on uvloop and httptools (backends/asgi_worker.py).
ASGI_WORKER = "backends.asgi_worker.TunedUvicornWorker"
ASGI_TUNING = ("uvloop event loop", "httptools HTTP parser")

ORM, SQL = "orm", "sql"  # the data layers (Settings.data_layer, DATA_LAYER)
SQL_ENV = {"DATA_LAYER": SQL}
SQL_NOTE = " Reads on finboard.rawsql, writes on the ORM; PostgreSQL only."


def sql_twin(orm: Backend, framework: str) -> Backend:
    """The ``-sql`` entry of an ORM adapter: the same app with ``DATA_LAYER=sql``, on PostgreSQL only.

    One place for what every adapter's twin changes, so the three twins cannot drift apart.
    """
    return replace(
        orm,
        name=orm.name.removesuffix("-orm") + "-sql",
        framework=framework,
        env={**orm.env, **SQL_ENV},
        description=orm.description + SQL_NOTE,
        data_layer=SQL,
        postgres_only=True,
    )


FLASK_ORM = Backend(
    name="flask-orm",
    framework="Flask + Flask-SQLAlchemy ORM",
    app="wsgi:app",
    requires=("flask", "flask_sqlalchemy", "gunicorn"),
    description="The FinBoard app itself (forum + /api/v1 blueprint), gunicorn sync workers.",
    pages=True,
    data_layer=ORM,
)
FLASK_SQL = sql_twin(
    FLASK_ORM,
    "Flask, reads on finboard.rawsql (psycopg + orjson), writes on Flask-SQLAlchemy",
)
FASTAPI_ORM = Backend(
    name="fastapi-orm",
    framework="FastAPI + async SQLAlchemy ORM (psycopg 3)",
    app="backends.fastapi.main:app",
    worker_class=ASGI_WORKER,
    interface="asgi",
    requires=("fastapi", "uvicorn", "uvicorn_worker", "uvloop", "httptools", "greenlet", "gunicorn"),
    extra="fastapi",
    description="FastAPI routers and dependencies, uvicorn workers (uvloop, httptools) under gunicorn.",
    tuning=(
        *ASGI_TUNING,
        "JSON serialised once to bytes (pydantic-core; orjson with DATA_LAYER=sql) in a plain Response: "
        "no jsonable_encoder",
    ),
    data_layer=ORM,
)
FASTAPI_SQL = sql_twin(
    FASTAPI_ORM,
    "FastAPI, reads on finboard.rawsql (psycopg + orjson), writes on async SQLAlchemy",
)
DJANGO_ORM = Backend(
    name="django-orm",
    framework="Django ORM (managed=False, psycopg 3 pool)",
    app="backends.django.wsgi:application",
    requires=("django", "gunicorn"),
    extra="django",
    env={"DJANGO_SETTINGS_MODULE": "backends.django.settings"},
    description="A small Django project on the same tables, gunicorn sync workers.",
    data_layer=ORM,
)
DJANGO_SQL = sql_twin(
    DJANGO_ORM,
    "Django, reads on finboard.rawsql (psycopg + orjson), writes on the Django ORM",
)
# The uncached ceiling the benchmark compares the frameworks with. It serves only
# the reads: the conformance suite and the benchmark send it only those.
WSGI_RAW = Backend(
    name="wsgi-raw",
    framework="plain WSGI + finboard.rawsql (psycopg pool + orjson)",
    app="backends.raw.wsgi:application",
    requires=("psycopg_pool", "orjson", "gunicorn"),
    description=(
        "The reads of /api/v1 with no framework: a WSGI callable, hand-written SQL on a psycopg 3 pool, "
        "orjson; PostgreSQL only, read-only (writes answer 405), gunicorn sync workers."
    ),
    read_only=True,
    tuning=("orjson documents",),
    data_layer=SQL,
    postgres_only=True,
)
ASGI_RAW = Backend(
    name="asgi-raw",
    framework="plain ASGI + finboard.rawsql async face (psycopg async pool + orjson)",
    app="backends.raw.asgi:application",
    worker_class=ASGI_WORKER,
    interface="asgi",
    requires=("psycopg_pool", "orjson", "uvicorn", "uvicorn_worker", "uvloop", "httptools", "gunicorn"),
    extra="fastapi",
    description=(
        "The reads of /api/v1 with no framework on the async face of the same SQL layer: an ASGI callable, "
        "a psycopg 3 AsyncConnectionPool, orjson; PostgreSQL only, read-only (writes answer 405), "
        "uvicorn workers (uvloop, httptools) under gunicorn."
    ),
    read_only=True,
    tuning=(*ASGI_TUNING, "orjson documents"),
    data_layer=SQL,
    postgres_only=True,
)
BUILTIN: tuple[Backend, ...] = (
    FLASK_ORM,
    FLASK_SQL,
    FASTAPI_ORM,
    FASTAPI_SQL,
    DJANGO_ORM,
    DJANGO_SQL,
    WSGI_RAW,
    ASGI_RAW,
)
# The yardstick of the page scenarios (issue 19): the cheapest answer of the same stack (Flask under gunicorn's
# sync workers with the same server config as flask-orm), measured in the same run as the pages.
HELLO = Backend(
    name="hello",
    framework="Flask, one /hello route (the yardstick)",
    app="finboard.bench.hello:app",
    requires=("flask", "gunicorn"),
    health_path="/hello",
    description="A minimal Flask app (GET /hello → 'Hello, World!'), gunicorn sync workers, the same server "
    "config as flask-orm: the yardstick every page scenario is divided by.",
    yardstick=True,
)
YARDSTICKS: tuple[Backend, ...] = (HELLO,)
# The names before the data-layer matrix (issue 14), still accepted by get() and canonical().
ALIASES: Mapping[str, str] = {"flask": "flask-orm", "fastapi": "fastapi-orm", "django": "django-orm", "raw": "wsgi-raw"}
FLASK, FASTAPI, DJANGO, RAW = FLASK_ORM, FASTAPI_ORM, DJANGO_ORM, WSGI_RAW  # their constants, likewise


def _from_entry_points() -> list[Backend]:
    found = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = entry.load()
            backend = obj() if callable(obj) and not isinstance(obj, Backend) else obj
        except Exception:  # noqa: BLE001 - a broken plugin must not break FinBoard
            logger.warning("backend entry point %s failed to load", entry.name, exc_info=True)
            continue
        if isinstance(backend, Backend):
            found.append(backend)
        else:
            logger.warning("entry point %s is not a finboard Backend", entry.name)
    return found


def registered(yardsticks: bool = False) -> dict[str, Backend]:
    """Built-ins first, then plugins (a plugin cannot replace a built-in name); with ``yardsticks``, also
    the yardsticks (``hello``), which serve no /api/v1 and which only ``flask bench`` runs."""
    backends = {b.name: b for b in BUILTIN}
    if yardsticks:
        backends.update((b.name, b) for b in YARDSTICKS)
    for backend in _from_entry_points():
        backends.setdefault(backend.name, backend)
    return backends


def canonical(name: str) -> str:
    """The registered name behind ``name`` (an old name of ``ALIASES``, or ``name`` itself)."""
    return ALIASES.get(name, name)


def get(name: str) -> Backend:
    """A backend by its registered name or an old one (``ALIASES``), yardsticks included."""
    backends = registered(yardsticks=True)
    found = backends.get(canonical(name))
    if found is None:
        raise KeyError(f"unknown backend {name!r}; registered: {', '.join(backends)}")
    return found
