"""Dependencies: the per-request session, settings, cache, bearer auth, and the
shared contract's way of reading path ids, query strings and JSON bodies.

FastAPI resolves an endpoint's dependencies in the order they are declared, so
declaring ``PostId``, then ``CurrentUser``, then a body dependency gives the
reference order of checks: 404 for a bad id, then 401, then 413/400/422.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, TypeVar
from urllib.parse import parse_qsl, quote

from fastapi import Depends, Header, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.concurrency import run_in_threadpool

from backends.fastapi.reads import CachedReads
from finboard.contract.comments import CommentCreate, CommentUpdate
from finboard.contract.errors import ApiError, http_error
from finboard.contract.limits import MAX_BODY_BYTES
from finboard.contract.moderation import (
    CommentModeration,
    PostModeration,
    ReportCreate,
    ReportQuery,
    ReportResolve,
    UserModeration,
)
from finboard.contract.notifications import MarkRead, NotificationPreferencesUpdate, NotificationQuery
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostCreate, PostListQuery, PostUpdate
from finboard.contract.reactions import ReactionSet
from finboard.contract.request_parsing import login_name, parse_body, parse_id, parse_path_text, parse_query
from finboard.contract.two_factor import TwoFactorDisable, TwoFactorEnable
from finboard.contract.users import LoginRequest, ProfileUpdate, UserCreate
from finboard.core import api_service
from finboard.core.generation_cache import AsyncGenerationCache
from finboard.core.models import User
from finboard.core.ratelimit import AuthRateLimiter, account_key, resolvable, user_id_by_login_statement
from finboard.rawsql.replicas import ReplicaSet
from finboard.settings import Settings

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Resources:
    """What the lifespan builds once per worker process (``app.state.resources``)."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cache: AsyncGenerationCache
    limiter: AuthRateLimiter
    reads: CachedReads  # the five cached reads, on the data layer DATA_LAYER names
    replicas: ReplicaSet | None = None  # DATABASE_REPLICA_URLS (backends.fastapi.replicas)


def resources(request: Request) -> Resources:
    return request.app.state.resources


async def get_settings(request: Request) -> Settings:
    return resources(request).settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; closing it rolls back whatever was not committed."""
    async with resources(request).sessions() as session:
        yield session


async def get_cache(request: Request) -> AsyncGenerationCache:
    return resources(request).cache


async def get_reads(request: Request) -> CachedReads:
    return resources(request).reads


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
CacheDep = Annotated[AsyncGenerationCache, Depends(get_cache)]
ReadsDep = Annotated[CachedReads, Depends(get_reads)]


# --- auth -------------------------------------------------------------------


async def current_user(
    session: SessionDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> User:
    """The user behind the bearer token (one primary-key lookup) or 401."""
    claims = api_service.token_claims(settings, authorization)
    return api_service.check_user(await session.get(User, claims.user_id), claims.token_version)


CurrentUser = Annotated[User, Depends(current_user)]


async def optional_user(
    session: SessionDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> User | None:
    """The bearer token's user when one is sent (401 when it is bad), else None: a visitor."""
    return await current_user(session, settings, authorization) if authorization else None


ViewerOrNone = Annotated[User | None, Depends(optional_user)]


# --- path and query ---------------------------------------------------------


def path_id(name: str):
    """The path parameter ``name`` as an id: anything that is not a positive 32-bit
    integer is a 404, before anything else (declare it first)."""

    async def dependency(request: Request) -> int:
        return parse_id(request.path_params[name])

    return Depends(dependency)


PostId = Annotated[int, path_id("post_id")]
CommentId = Annotated[int, path_id("comment_id")]
ReportId = Annotated[int, path_id("report_id")]


def path_text(name: str):
    """The path parameter ``name`` as text (username, slug, ticker): a control
    character in it is a 404, before anything else (declare it first)."""

    async def dependency(request: Request) -> str:
        return parse_path_text(request.path_params[name])

    return Depends(dependency)


Username = Annotated[str, path_text("username")]
Slug = Annotated[str, path_text("slug")]
Ticker = Annotated[str, path_text("ticker")]
Word = Annotated[str, path_text("word")]


def _quote_invalid(error: UnicodeDecodeError) -> tuple[str, int]:
    return quote(error.object[error.start : error.end], safe=""), error.end


codecs.register_error("finboard.url_quote", _quote_invalid)


def query_items(request: Request) -> list[tuple[str, str]]:
    """The query string's pairs, decoded like the Flask reference (Werkzeug) does:
    percent escapes that are not UTF-8 stay percent-encoded rather than becoming U+FFFD
    (the only way this differs from ``request.query_params.multi_items()``)."""
    raw = request.scope.get("query_string", b"").decode("latin-1")
    return parse_qsl(raw, keep_blank_values=True, errors="finboard.url_quote")


def query_model(schema: type[ModelT]):
    async def dependency(request: Request) -> ModelT:
        return parse_query(query_items(request), schema)

    return Depends(dependency)


PostListParams = Annotated[PostListQuery, query_model(PostListQuery)]
PageParams = Annotated[PageQuery, query_model(PageQuery)]
ReportParams = Annotated[ReportQuery, query_model(ReportQuery)]
NotificationParams = Annotated[NotificationQuery, query_model(NotificationQuery)]


# --- request bodies ---------------------------------------------------------


async def request_body(request: Request) -> bytes | None:
    """The raw body, or None when it is over MAX_BODY_BYTES (a large body is not read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


RawBody = Annotated[bytes | None, Depends(request_body)]


def json_body(schema: type[ModelT]):
    """The body as ``schema`` with the shared 413/400/422 answers (never FastAPI's own)."""

    async def dependency(raw: RawBody) -> ModelT:
        if raw is None:
            raise ApiError(413, "too_large")
        return parse_body(raw, schema)

    return Depends(dependency)


NewUser = Annotated[UserCreate, json_body(UserCreate)]
Credentials = Annotated[LoginRequest, json_body(LoginRequest)]
NewPost = Annotated[PostCreate, json_body(PostCreate)]
PostChanges = Annotated[PostUpdate, json_body(PostUpdate)]
NewComment = Annotated[CommentCreate, json_body(CommentCreate)]
CommentChanges = Annotated[CommentUpdate, json_body(CommentUpdate)]
ProfileChanges = Annotated[ProfileUpdate, json_body(ProfileUpdate)]
NewReport = Annotated[ReportCreate, json_body(ReportCreate)]
Resolution = Annotated[ReportResolve, json_body(ReportResolve)]
PostDecision = Annotated[PostModeration, json_body(PostModeration)]
CommentDecision = Annotated[CommentModeration, json_body(CommentModeration)]
UserDecision = Annotated[UserModeration, json_body(UserModeration)]
ReadMarks = Annotated[MarkRead, json_body(MarkRead)]
TwoFactorCode = Annotated[TwoFactorEnable, json_body(TwoFactorEnable)]
NewReaction = Annotated[ReactionSet, json_body(ReactionSet)]
TwoFactorOff = Annotated[TwoFactorDisable, json_body(TwoFactorDisable)]
PreferenceChanges = Annotated[NotificationPreferencesUpdate, json_body(NotificationPreferencesUpdate)]


# --- rate limits (checked before the body is validated, like every backend) ----


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


async def _allowed(request: Request, check, *args) -> None:
    state = resources(request)
    # With Redis the limiter does blocking I/O: keep it off the event loop.
    allowed = await run_in_threadpool(check, *args) if state.settings.redis_url else check(*args)
    if not allowed:
        raise http_error(429)


async def login_rate_limit(request: Request, raw: RawBody, session: SessionDep) -> None:
    """The shared login limiter, keyed by the account the raw body's name resolves to."""
    login = login_name(raw)
    user_id = await session.scalar(user_id_by_login_statement(login)) if resolvable(login) else None
    limiter = resources(request).limiter
    await _allowed(request, limiter.allow_login, client_ip(request), account_key(user_id, login))


async def code_rate_limit(request: Request, user_id: int) -> None:
    """The shared two-factor code limiter (per account and per IP): 429 when over."""
    await _allowed(request, resources(request).limiter.allow_code, client_ip(request), user_id)


async def register_rate_limit(request: Request) -> None:
    await _allowed(request, resources(request).limiter.allow_register, client_ip(request))
