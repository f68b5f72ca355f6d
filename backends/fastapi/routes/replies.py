"""Comment edits and their history: thin routes over ``finboard.core.comment_service``, run on this
request's session (``run_sync``). Replies are ``POST /posts/{id}/comments`` with ``parent_id``.

Dependencies in the reference order of checks: path id (404), token (401), then body (400/422).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from backends.fastapi.deps import CacheDep, CommentChanges, CommentId, CurrentUser, SessionDep
from backends.fastapi.responses import json_response
from finboard.core import comment_service

router = APIRouter(tags=["comments"])


@router.patch("/comments/{comment_id}")
async def update_comment(
    comment_id: CommentId, user: CurrentUser, payload: CommentChanges, session: SessionDep, cache: CacheDep
) -> Response:
    updated = await session.run_sync(comment_service.update_comment, user, comment_id, payload)
    await cache.invalidate()
    return json_response(updated)


@router.get("/comments/{comment_id}/history")
async def comment_history(comment_id: CommentId, session: SessionDep) -> Response:
    return json_response(await session.run_sync(comment_service.revisions, comment_id))
