"""Profiles, edit history, reports and moderation: thin routes over
``finboard.core``'s profile, report and moderation services, run on this request's session
(``run_sync``).

Dependencies are declared in the reference order of checks: path id (404),
token (401), then query or body (400/422); the use case makes its own checks.
Moderating a post or a comment changes what the cached reads show, so those
two retire the cache, as the Flask reference does.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from backends.fastapi.deps import (
    CacheDep,
    CommentDecision,
    CommentId,
    CurrentUser,
    NewReport,
    PageParams,
    PostDecision,
    PostId,
    ProfileChanges,
    ReportId,
    ReportParams,
    Resolution,
    SessionDep,
    UserDecision,
    Username,
)
from backends.fastapi.responses import json_response
from finboard.core import api_service, moderation_service, profile_service, report_service

router = APIRouter(tags=["community"])


# --- profiles and history ------------------------------------------------------------
# PATCH /users/me and GET /users/{username} share a path: GET /users/me is the
# profile of a member named "me" (as in Flask), and other methods are a 405.


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


# --- reports and moderation ------------------------------------------------------------


@router.post("/reports")
async def create_report(user: CurrentUser, payload: NewReport, session: SessionDep) -> Response:
    return json_response(await session.run_sync(report_service.create_report, user, payload), 201)


@router.get("/moderation/reports")
async def moderation_reports(user: CurrentUser, query: ReportParams, session: SessionDep) -> Response:
    return json_response(await session.run_sync(report_service.reports, user, query))


@router.post("/moderation/reports/{report_id}/resolve")
async def resolve_report(report_id: ReportId, user: CurrentUser, payload: Resolution, session: SessionDep) -> Response:
    return json_response(await session.run_sync(report_service.resolve_report, user, report_id, payload))


@router.post("/moderation/posts/{post_id}")
async def moderate_post(
    post_id: PostId, user: CurrentUser, payload: PostDecision, session: SessionDep, cache: CacheDep
) -> Response:
    result = await session.run_sync(moderation_service.moderate_post, user, post_id, payload)
    await cache.invalidate()
    return json_response(result)


@router.post("/moderation/comments/{comment_id}")
async def moderate_comment(
    comment_id: CommentId, user: CurrentUser, payload: CommentDecision, session: SessionDep, cache: CacheDep
) -> Response:
    result = await session.run_sync(moderation_service.moderate_comment, user, comment_id, payload)
    await cache.invalidate()
    return json_response(result)


@router.post("/moderation/users/{username}")
async def moderate_user(username: Username, user: CurrentUser, payload: UserDecision, session: SessionDep) -> Response:
    return json_response(await session.run_sync(moderation_service.moderate_user, user, username, payload))


@router.get("/moderation/actions")
async def moderation_log(user: CurrentUser, query: PageParams, session: SessionDep) -> Response:
    return json_response(await session.run_sync(moderation_service.moderation_log, user, query))
