"""Django's read replicas (``DATABASE_REPLICA_URLS``; ``finboard.rawsql.replicas``).

Each replica is a Django database alias (``replica-0``, ...) in ``DATABASES``.
:class:`ReplicaRouter` sends a model read to the alias the current content read
was given (``reading_from``), and everything else — every write, every read
outside the content reads — to ``default``, the primary. The content reads
(``forum.reads``) ask :meth:`ReplicaSet.read` for a replica fit for this reader
and fall back to the primary if it fails. :class:`ReadYourWritesMiddleware`
opens each request's read context with the member's pin (the bearer token's id,
one Redis GET) and pins a member whose write succeeded before the answer leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

import psycopg
from django.db import InterfaceError, OperationalError

from finboard.contract.errors import ApiError
from finboard.core import api_service
from finboard.rawsql import replicas as routing

from .runtime import finboard_settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a replica that died or was cut off raises: the read is retried on the primary.
READ_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError)
REPLICA_POOL_TIMEOUT = 1  # seconds a read waits for a replica connection before the primary answers

_reading_from: ContextVar[str | None] = ContextVar("finboard_django_read_alias", default=None)


def alias(index: int | None) -> str:
    return "default" if index is None else f"replica-{index}"


@cache
def replica_set() -> routing.ReplicaSet | None:
    return routing.ReplicaSet.from_settings(finboard_settings())


@contextmanager
def reading_from(name: str) -> Iterator[None]:
    """Model reads inside go to the database alias ``name``."""
    token = _reading_from.set(name)
    try:
        yield
    finally:
        _reading_from.reset(token)


def read(run: Callable[[str], bytes]) -> bytes:
    """``run(alias)`` on a replica fit for this reader, else (or if it fails) on ``default``."""
    replicas = replica_set()
    if replicas is None:
        return run("default")
    return replicas.read(lambda index: run(alias(index)), READ_ERRORS)


class ReplicaRouter:
    """Model reads inside ``reading_from`` go to that replica; all else to the primary."""

    def db_for_read(self, model, **hints):
        return _reading_from.get()

    def db_for_write(self, model, **hints):
        return "default"


def _member_id(request) -> int | None:
    authorization = request.headers.get("Authorization")
    if not authorization:
        return None
    try:
        return api_service.token_claims(finboard_settings(), authorization).user_id
    except ApiError:
        return None


class ReadYourWritesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        replicas = replica_set()
        if replicas is not None:
            replicas.start()  # built once per worker, when Django loads its middleware

    def __call__(self, request):
        replicas = replica_set()
        if replicas is None:
            return self.get_response(request)
        writes = request.method not in SAFE_METHODS
        member_id = _member_id(request)
        pin = routing.PIN_UNKNOWN if writes else replicas.pin_of(member_id)
        token = routing.enter(replicas, pin)
        try:
            response = self.get_response(request)
        finally:
            routing.leave(token)
        if writes and member_id is not None and response.status_code < 400:
            replicas.record_write(member_id)
        return response
