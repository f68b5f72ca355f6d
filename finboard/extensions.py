"""Bare extension instances, bound to an app in ``create_app`` (init_app).

``db`` uses the shared metadata from ``finboard.core.models`` so the forum,
the migrations and the other backends all see the same tables. ``cache`` is
the app's read cache, the one every backend uses
(``finboard.core.generation_cache``), built by :func:`init_cache`.
"""

from typing import cast

from flask import Flask, current_app
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from werkzeug.local import LocalProxy

from finboard.core.generation_cache import KEY_PREFIX, TTL_SECONDS, GenerationCache, LocalStore, RedisStore
from finboard.core.models import Base

db = SQLAlchemy(metadata=Base.metadata)
login_manager = LoginManager()
csrf = CSRFProtect()

CACHE_EXTENSION = "finboard.generation_cache"


def init_cache(app: Flask) -> None:
    """The app's read cache, from its config (``finboard.config``).

    ``CACHE_TYPE``: ``RedisCache`` (``CACHE_REDIS_URL``, shared with every
    worker and backend), ``SimpleCache`` (in this process, ``CACHE_THRESHOLD``
    entries) or ``NullCache`` (off); keys under ``CACHE_KEY_PREFIX``.
    """
    kind = app.config.get("CACHE_TYPE", "NullCache")
    if kind == "RedisCache":
        store: RedisStore | LocalStore | None = RedisStore.from_url(app.config["CACHE_REDIS_URL"])
    elif kind == "SimpleCache":
        store = LocalStore(app.config.get("CACHE_THRESHOLD", 2000))
    elif kind == "NullCache":
        store = None
    else:
        raise ValueError(f"unknown CACHE_TYPE {kind!r}")
    app.extensions[CACHE_EXTENSION] = GenerationCache(
        store,
        prefix=app.config.get("CACHE_KEY_PREFIX", KEY_PREFIX),
        ttl=app.config.get("CACHE_DEFAULT_TIMEOUT", TTL_SECONDS),
    )


cache = cast(GenerationCache, LocalProxy(lambda: current_app.extensions[CACHE_EXTENSION]))
