"""Posts and their comments. Reads are cached JSON (``ReadsDep``: from the data layer
DATA_LAYER names); writes run the shared sync use cases on this request's session
(``run_sync``) and then retire the cache."""

from __future__ import annotations

from fastapi import APIRouter, Response

from backends.fastapi.deps import (
    CacheDep,
    CurrentUser,
    NewComment,
    NewPost,
    PageParams,
    PostChanges,
    PostId,
    PostListParams,
    ReadsDep,
    SessionDep,
    SettingsDep,
)
from backends.fastapi.responses import json_response
from finboard.core import api_service

router = APIRouter(prefix="/posts", tags=["posts"])


@router.get("")
async def list_posts(query: PostListParams, reads: ReadsDep) -> Response:
    return json_response(await reads.posts_json(query))


@router.post("")
async def create_post(
    user: CurrentUser, payload: NewPost, session: SessionDep, cache: CacheDep, settings: SettingsDep
) -> Response:
    created = await session.run_sync(api_service.create_post, settings, user, payload)
    await cache.invalidate()
    return json_response(created, 201)


@router.get("/{post_id}")
async def get_post(post_id: PostId, reads: ReadsDep) -> Response:
    return json_response(await reads.post_json(post_id))


@router.patch("/{post_id}")
async def update_post(
    post_id: PostId, user: CurrentUser, payload: PostChanges, session: SessionDep, cache: CacheDep
) -> Response:
    updated = await session.run_sync(api_service.update_post, user, post_id, payload)
    await cache.invalidate()
    return json_response(updated)


@router.delete("/{post_id}", status_code=204)
async def delete_post(post_id: PostId, user: CurrentUser, session: SessionDep, cache: CacheDep) -> Response:
    await session.run_sync(api_service.delete_post, user, post_id)
    await cache.invalidate()
    return Response(status_code=204)


@router.get("/{post_id}/comments")
async def list_comments(post_id: PostId, query: PageParams, reads: ReadsDep) -> Response:
    return json_response(await reads.comments_json(post_id, query))


@router.post("/{post_id}/comments")
async def create_comment(
    post_id: PostId, user: CurrentUser, payload: NewComment, session: SessionDep, cache: CacheDep, settings: SettingsDep
) -> Response:
    created = await session.run_sync(api_service.create_comment, settings, user, post_id, payload)
    await cache.invalidate()
    return json_response(created, 201)
