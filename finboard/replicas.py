"""The Flask app's read replicas (``DATABASE_REPLICA_URLS``; ``finboard.rawsql.replicas``).

Each replica is a Flask-SQLAlchemy bind (``replica-0``, ``replica-1``, ...), so its
engine is built, pooled and disposed like the primary's; only the content reads
(``finboard.reads``: listings, posts, comments, categories, both data layers) run
on one, in a session or connection of their own, never in ``db.session``. Writes,
logins, the forms and a member's own pages stay on ``db.session``: the primary.

Per request: ``before_request`` opens the read context with the member's pin
(their id from the bearer token or the signed session cookie, one Redis GET;
anonymous readers have no pin and cost nothing); a request that may write (any
method but GET/HEAD/OPTIONS) reads from the primary; ``after_request`` pins a
member whose write succeeded to the primary until the replicas replay it.
"""

from __future__ import annotations

from typing import Any

import psycopg
from flask import Flask, current_app, g, has_app_context, request, session
from sqlalchemy import exc as sa_exc

from finboard.contract.errors import ApiError
from finboard.core import api_service
from finboard.rawsql import replicas as routing
from finboard.settings import Settings

EXTENSION = "finboard.replicas"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a replica that died or was cut off raises: the read is retried on the primary.
READ_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, psycopg.OperationalError)
REPLICA_POOL_TIMEOUT = 1  # seconds a read waits for a replica connection before the primary answers


def bind_key(index: int) -> str:
    return f"replica-{index}"


def engine_binds(settings: Settings, engine_options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``SQLALCHEMY_BINDS``: the primary's engine options, with short waits for a replica that is gone."""
    binds = {}
    for index, url in enumerate(settings.replica_urls):
        connect_args = {**engine_options.get("connect_args", {}), "connect_timeout": routing.CONNECT_TIMEOUT}
        binds[bind_key(index)] = {
            **engine_options,
            "url": url,
            "pool_timeout": REPLICA_POOL_TIMEOUT,
            "connect_args": connect_args,
        }
    return binds


def init_app(app: Flask) -> None:
    replica_set = routing.ReplicaSet.from_settings(app.config["FINBOARD_SETTINGS"])
    if replica_set is None:
        return
    app.extensions[EXTENSION] = replica_set.start()
    app.before_request(_enter)
    app.after_request(_record_write)
    app.teardown_request(_leave)


def replica_set() -> routing.ReplicaSet | None:
    """This app's replicas, or None (no DATABASE_REPLICA_URLS, or outside an app)."""
    return current_app.extensions.get(EXTENSION) if has_app_context() else None


def _member_id() -> int | None:
    """Who is asking, without a database round trip: the bearer token's id, else the session cookie's."""
    authorization = request.headers.get("Authorization")
    if authorization:
        try:
            return api_service.token_claims(current_app.config["FINBOARD_SETTINGS"], authorization).user_id
        except ApiError:
            return None
    if current_app.config.get("SESSION_COOKIE_NAME", "session") not in request.cookies:
        return None  # not touching the session keeps an API answer's headers as they were
    user_id = str(session.get("_user_id") or "").partition(":")[0]  # Flask-Login's "<id>:<version>:<token>"
    return int(user_id) if user_id.isdigit() else None


def _enter() -> None:
    replicas = current_app.extensions[EXTENSION]
    pin = routing.PIN_UNKNOWN if request.method not in SAFE_METHODS else replicas.pin_of(_member_id())
    g.replica_context = routing.enter(replicas, pin)


def _record_write(response):
    if request.method not in SAFE_METHODS and response.status_code < 400:
        member_id = _member_id()
        if member_id is not None:
            current_app.extensions[EXTENSION].record_write(member_id)
    return response


def _leave(_error: BaseException | None = None) -> None:
    token = g.pop("replica_context", None)
    if token is not None:
        try:
            routing.leave(token)
        except ValueError:  # reset from another context (a streamed answer): nothing to undo
            pass
