"""Reactions on posts and comments: per member, never cached, thin routes over
``finboard.core.reaction_service`` (as the Flask reference, finboard/api/reactions.py).
POST sets the caller's reaction, DELETE removes it, GET reads the counts (and ``mine``
with a bearer token). A write retires the cache: counts and the hot order moved."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from backends.fastapi.deps import (
    CacheDep,
    CommentId,
    CurrentUser,
    NewReaction,
    PostId,
    SessionDep,
    ViewerOrNone,
    resources,
)
from backends.fastapi.responses import json_response
from finboard.core import reaction_service, trending_service

router = APIRouter(tags=["reactions"])


def _viewer_id(viewer) -> int | None:
    return viewer.id if viewer is not None else None


@router.get("/posts/{post_id}/reactions")
async def post_reactions(post_id: PostId, viewer: ViewerOrNone, session: SessionDep) -> Response:
    state = await session.run_sync(reaction_service.visible_post_reactions, post_id, _viewer_id(viewer))
    return json_response(state)


@router.post("/posts/{post_id}/reactions")
async def react_to_post(
    post_id: PostId, user: CurrentUser, payload: NewReaction, request: Request, session: SessionDep, cache: CacheDep
) -> Response:
    allow = resources(request).limiter.allow_reaction
    state = await session.run_sync(reaction_service.set_post_reaction, user, post_id, payload.kind, allow)
    await cache.invalidate()
    return json_response(state)


@router.delete("/posts/{post_id}/reactions")
async def unreact_to_post(
    post_id: PostId, user: CurrentUser, request: Request, session: SessionDep, cache: CacheDep
) -> Response:
    allow = resources(request).limiter.allow_reaction
    state = await session.run_sync(reaction_service.set_post_reaction, user, post_id, None, allow)
    await cache.invalidate()
    return json_response(state)


@router.get("/comments/{comment_id}/reactions")
async def comment_reactions(comment_id: CommentId, viewer: ViewerOrNone, session: SessionDep) -> Response:
    state = await session.run_sync(reaction_service.visible_comment_reactions, comment_id, _viewer_id(viewer))
    return json_response(state)


@router.post("/comments/{comment_id}/reactions")
async def react_to_comment(
    comment_id: CommentId,
    user: CurrentUser,
    payload: NewReaction,
    request: Request,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    allow = resources(request).limiter.allow_reaction
    state = await session.run_sync(reaction_service.set_comment_reaction, user, comment_id, payload.kind, allow)
    await cache.invalidate()
    return json_response(state)


@router.delete("/comments/{comment_id}/reactions")
async def unreact_to_comment(
    comment_id: CommentId, user: CurrentUser, request: Request, session: SessionDep, cache: CacheDep
) -> Response:
    allow = resources(request).limiter.allow_reaction
    state = await session.run_sync(reaction_service.set_comment_reaction, user, comment_id, None, allow)
    await cache.invalidate()
    return json_response(state)


@router.get("/trending")
async def trending(session: SessionDep, cache: CacheDep) -> Response:
    """Trending tickers, cached per minute under the key every backend uses."""
    now = datetime.now(UTC)

    async def build() -> bytes:
        return await session.run_sync(trending_service.trending_json, now)

    return json_response(
        await cache.get_or_build(trending_service.CACHE_NAME, trending_service.cache_params(now), build)
    )
