"""FastAPI's read replicas (``DATABASE_REPLICA_URLS``; ``finboard.rawsql.replicas``).

The content reads (``backends.fastapi.reads``) run on a replica's own async
engine (``orm``) or ``AsyncConnectionPool`` (``sql``) when one is fit for the
reader, on the primary's otherwise; every other session (writes, auth, a
member's own state) is the primary's. :class:`ReadYourWrites` is the ASGI
middleware that opens each request's read context with the member's pin (the
bearer token's id, one Redis GET in a thread) and pins a member whose write
succeeded *before* the answer's first byte leaves, so their next request, on
whichever worker or host, already reads what they wrote.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from finboard.contract.errors import ApiError
from finboard.core import api_service
from finboard.rawsql import replicas as routing
from finboard.rawsql.async_pool import AsyncDatabase
from finboard.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REPLICA_POOL_TIMEOUT = 1.0  # seconds a read waits for a replica connection before the primary answers


def replica_engines(settings: Settings, create_engine) -> list[AsyncEngine]:
    """One async engine per replica, made like the primary's (``create_engine(settings, url)``)."""
    return [create_engine(settings, url) for url in settings.replica_urls]


def replica_sessions(engines: list[AsyncEngine]) -> list[async_sessionmaker[AsyncSession]]:
    return [async_sessionmaker(engine, expire_on_commit=False) for engine in engines]


def replica_pools(settings: Settings) -> list[AsyncDatabase]:
    """The SQL layer's async pools on the replicas, waiting briefly for a connection."""
    return [AsyncDatabase(dsn, settings.db_pool_size, REPLICA_POOL_TIMEOUT) for dsn in settings.replica_psycopg_dsns()]


def _member_id(settings: Settings, scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            try:
                return api_service.token_claims(settings, value.decode("latin-1")).user_id
            except ApiError:
                return None
    return None


class ReadYourWrites:
    """Each request's read context; a member's successful write pins them to the primary."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        resources = getattr(scope["app"].state, "resources", None) if scope["type"] == "http" else None
        replicas = getattr(resources, "replicas", None)
        if replicas is None:
            await self.app(scope, receive, send)
            return
        member_id = _member_id(resources.settings, scope)
        writes = scope["method"] not in SAFE_METHODS
        if writes:
            pin = routing.PIN_UNKNOWN  # a request that may write reads from the primary
        else:
            pin = await run_in_threadpool(replicas.pin_of, member_id) if member_id is not None else None

        async def send_pinned(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400 and member_id is not None:
                await run_in_threadpool(replicas.record_write, member_id)
            await send(message)

        token = routing.enter(replicas, pin)
        try:
            await self.app(scope, receive, send_pinned if writes else send)
        finally:
            routing.leave(token)
