"""The Flask app, FastAPI and Django adapters built in this process, behind one request interface.

The conformance suite starts every backend under its real server; these build the
same apps in-process (Flask's test client, Starlette's TestClient with the lifespan
running, Django's test Client), so the conformance cases run in seconds, with no
subprocess and no socket. ``InProcessBackend.request`` takes the arguments the
conformance scripts pass to httpx (``json``, ``content``, ``headers``) and answers
with an object that has httpx's ``status_code``, ``content``, ``headers``, ``text``
and ``json()``, so those scripts run unchanged.

Django's settings can be configured once per process, so Django is configured the
first time it is needed and then repointed before each request at the database and
settings of the backend being asked (``DjangoRuntime.activate``).
"""

from __future__ import annotations

import json as json_lib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finboard.settings import Settings, load_settings

ADAPTERS = ("flask", "fastapi", "django")
SECRET = "in-process-adapters-secret-0123456789abcdef"


def adapter_settings(database_url: str, **environ: str) -> Settings:
    """What the conformance suite gives every server, minus Redis and the worker.

    No read cache, limits in memory, and jobs run in-process right after each commit
    (JOBS_RUNNER=embedded), so a notification is in before the write's answer returns.
    """
    return load_settings(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET,
            "FINBOARD_ENV": "production",
            "CACHE_ENABLED": "0",
            "REDIS_URL": "",  # limits in memory, per build: never a count left in Redis by another test or run
            "DB_POOL_SIZE": "2",
            # Every request comes from one address: per-IP limits raised as in tests/conformance.
            "LOGIN_LIMIT_PER_IP": "1000/minute",
            "REGISTER_LIMIT_PER_IP": "1000/hour",
            "ACCOUNT_MAIL_LIMIT_PER_IP": "1000/hour",
            "JOBS_RUNNER": "embedded",
            "MAIL_OUTBOX": str(Path(tempfile.gettempdir()) / f"finboard-test-outbox-{os.getpid()}"),
            **environ,  # a test's own settings (REQUIRE_2FA_FOR_STAFF=1, …)
        }
    )


@dataclass
class Answer:
    """A response in httpx's terms, whichever test client produced it."""

    status_code: int
    content: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self) -> Any:
        return json_lib.loads(self.content)


@dataclass
class InProcessBackend:
    """One adapter on one database; ``send`` is the framework's test client call."""

    name: str
    database_url: str
    send: Callable[[str, str, bytes | None, dict[str, str]], Answer]
    read_only: bool = False  # as LiveBackend: the scripts skip writes on read-only backends

    @property
    def server_database_dsn(self) -> str:
        """The database as psycopg takes it (the conformance scripts set roles through it)."""
        return self.database_url.replace("postgresql+psycopg://", "postgresql://")

    def wait_for_jobs(self) -> None:
        """Nothing to wait for: the jobs ran after each commit, in-process (``adapter_settings``)."""

    def request(self, method: str, path: str, *, json=None, content: bytes | None = None, headers=None) -> Answer:
        headers = {name.lower(): value for name, value in (headers or {}).items()}
        if json is not None:
            # One encoding for every adapter (httpx's compact form), so each parses the same bytes.
            content = json_lib.dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
            headers.setdefault("content-type", "application/json")
        return self.send(method.upper(), path, content, headers)


def _lowered(headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@contextmanager
def flask_backend(database_url: str, **environ: str) -> Iterator[InProcessBackend]:
    from finboard.app import create_app
    from finboard.config import flask_config
    from finboard.extensions import db
    from finboard.ratelimits import limiter

    app = create_app(flask_config(adapter_settings(database_url, **environ)))
    with app.app_context():
        limiter().reset()  # the in-memory login counters are per process, not per app
    client = app.test_client()

    def send(method, path, content, headers):
        response = client.open(path, method=method, data=content, headers=headers)
        return Answer(response.status_code, response.get_data(), _lowered(response.headers))

    try:
        yield InProcessBackend("flask", database_url, send)
    finally:
        with app.app_context():
            db.session.remove()
            db.engines[None].dispose()


@contextmanager
def fastapi_backend(database_url: str, **environ: str) -> Iterator[InProcessBackend]:
    from fastapi.testclient import TestClient

    from backends.fastapi.main import create_app

    with TestClient(create_app(adapter_settings(database_url, **environ))) as client:  # runs the lifespan

        def send(method, path, content, headers):
            response = client.request(method, path, content=content, headers=headers)
            return Answer(response.status_code, response.content, _lowered(response.headers))

        yield InProcessBackend("fastapi", database_url, send)


class DjangoRuntime:
    """Django configured once for the process, pointed at one backend's database at a time."""

    active: tuple[str, Settings] | None = None

    @classmethod
    def setup(cls, database_url: str) -> None:
        import django
        from django.conf import settings

        if settings.configured:
            django.setup()
            return
        # The adapter's own settings module reads the environment once, here; the variables
        # are put back afterwards so no later test (tests/project/test_settings.py) sees them.
        given = {"DJANGO_SETTINGS_MODULE": "backends.django.settings", "DATABASE_URL": database_url}
        given["SECRET_KEY"] = SECRET
        saved = {name: os.environ.get(name) for name in given}
        os.environ.update({name: os.environ.get(name) or value for name, value in given.items()})
        try:
            django.setup()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    @classmethod
    def activate(cls, finboard_settings: Settings) -> None:
        """Repoint Django's default connection and its FINBOARD_SETTINGS, unless already there."""
        if cls.active is not None and cls.active[1] is finboard_settings:
            return
        from django.conf import settings
        from django.db import connections

        from backends.django.forum import replicas, runtime
        from backends.django.settings import database_config

        cls.release()
        settings.FINBOARD_SETTINGS = finboard_settings
        settings.SECRET_KEY = finboard_settings.secret_key
        settings.DATABASES["default"] = database_config(finboard_settings)
        connections._settings = None  # re-read DATABASES on next use
        connections.__dict__.pop("settings", None)  # (a cached_property)
        runtime.content_cache.cache_clear()
        runtime.rate_limiter.cache_clear()
        replicas.replica_set.cache_clear()
        cls.active = (finboard_settings.database_url, finboard_settings)

    @classmethod
    def release(cls) -> None:
        """Close the default connection and its pool (Django keeps PostgreSQL pools per alias)."""
        from django.db import connections

        if cls.active is None:
            # Nothing of ours is active, but another test may have made Django's default
            # connection (compiling a queryset does) with the settings of its own: drop it.
            if any(c.alias == "default" for c in connections.all(initialized_only=True)):
                connections["default"].close()
                del connections["default"]
            return
        connection = connections["default"]
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()
        del connections["default"]
        cls.active = None


@contextmanager
def django_backend(database_url: str, **environ: str) -> Iterator[InProcessBackend]:
    from django.test import Client

    DjangoRuntime.setup(database_url)
    finboard_settings = adapter_settings(database_url, **environ)
    client = Client()

    def send(method, path, content, headers):
        DjangoRuntime.activate(finboard_settings)
        content_type = headers.pop("content-type", None)
        extra = {"content_type": content_type} if content_type else {}
        response = client.generic(method, path, data=content or b"", headers=headers, **extra)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return Answer(response.status_code, body, _lowered(response.headers))

    try:
        yield InProcessBackend("django", database_url, send)
    finally:
        if DjangoRuntime.active is not None and DjangoRuntime.active[1] is finboard_settings:
            DjangoRuntime.release()


BUILDERS = {"flask": flask_backend, "fastapi": fastapi_backend, "django": django_backend}
