"""Member profiles and a post's edit history: thin routes over ``finboard.core.profile_service``
and ``api_service.revisions``, run on this request's session (``run_sync``).

Dependencies are declared in the reference order of checks: path id (404), token (401), then
query or body (400/422); the use case makes its own checks. PATCH /users/me and
GET /users/{username} share a path: GET /users/me is the profile of a member named "me" (as in
Flask), and other methods are a 405.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from backends.fastapi.deps import CurrentUser, PageParams, PostId, ProfileChanges, SessionDep, Username
from backends.fastapi.responses import json_response
from finboard.core import api_service, profile_service

router = APIRouter(tags=["profiles"])


@router.get("/users/{username}")
async def user_profile(username: Username, session: SessionDep) -> Response:
    return json_response(await session.run_sync(profile_service.profile, username))


@router.patch("/users/me")
async def update_profile(user: CurrentUser, payload: ProfileChanges, session: SessionDep) -> Response:
    return json_response(await session.run_sync(profile_service.update_profile, user, payload))


@router.get("/users/{username}/comments")
async def user_comments(username: Username, query: PageParams, session: SessionDep) -> Response:
    return json_response(await session.run_sync(profile_service.user_comments, username, query))


@router.get("/posts/{post_id}/revisions")
async def post_revisions(post_id: PostId, session: SessionDep) -> Response:
    return json_response(await session.run_sync(api_service.revisions, post_id))
