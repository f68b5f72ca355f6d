"""Reports and moderation: thin routes over ``finboard.core.report_service`` and
``moderation_service``, run on this request's session (``run_sync``).

Dependencies are declared in the reference order of checks: path id (404), token (401), then
query or body (400/422); the use case makes its own checks. Moderating a post or a comment
changes what the cached reads show, so those two retire the cache, as the Flask reference does.
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
    ReportId,
    ReportParams,
    Resolution,
    SessionDep,
    SettingsDep,
    UserDecision,
    Username,
)
from backends.fastapi.responses import json_response
from finboard.core import moderation_service, report_service, two_factor
from finboard.core.models import User

router = APIRouter(tags=["moderation"])


async def staff_gate(session: SessionDep, settings: SettingsDep, user: User) -> None:
    """``REQUIRE_2FA_FOR_STAFF``: a moderator without two-factor login is refused (403), after the body."""
    await session.run_sync(two_factor.check_staff, settings.require_2fa_for_staff, user)


@router.post("/reports")
async def create_report(user: CurrentUser, payload: NewReport, session: SessionDep) -> Response:
    return json_response(await session.run_sync(report_service.create_report, user, payload), 201)


@router.get("/moderation/reports")
async def moderation_reports(
    user: CurrentUser, query: ReportParams, session: SessionDep, settings: SettingsDep
) -> Response:
    await staff_gate(session, settings, user)
    return json_response(await session.run_sync(report_service.reports, user, query))


@router.post("/moderation/reports/{report_id}/resolve")
async def resolve_report(
    report_id: ReportId, user: CurrentUser, payload: Resolution, session: SessionDep, settings: SettingsDep
) -> Response:
    await staff_gate(session, settings, user)
    return json_response(await session.run_sync(report_service.resolve_report, user, report_id, payload))


@router.post("/moderation/posts/{post_id}")
async def moderate_post(
    post_id: PostId,
    user: CurrentUser,
    payload: PostDecision,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> Response:
    await staff_gate(session, settings, user)
    result = await session.run_sync(moderation_service.moderate_post, user, post_id, payload)
    await cache.invalidate()
    return json_response(result)


@router.post("/moderation/comments/{comment_id}")
async def moderate_comment(
    comment_id: CommentId,
    user: CurrentUser,
    payload: CommentDecision,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> Response:
    await staff_gate(session, settings, user)
    result = await session.run_sync(moderation_service.moderate_comment, user, comment_id, payload)
    await cache.invalidate()
    return json_response(result)


@router.post("/moderation/users/{username}")
async def moderate_user(
    username: Username, user: CurrentUser, payload: UserDecision, session: SessionDep, settings: SettingsDep
) -> Response:
    await staff_gate(session, settings, user)
    return json_response(await session.run_sync(moderation_service.moderate_user, user, username, payload))


@router.get("/moderation/actions")
async def moderation_log(
    user: CurrentUser, query: PageParams, session: SessionDep, settings: SettingsDep
) -> Response:
    await staff_gate(session, settings, user)
    return json_response(await session.run_sync(moderation_service.moderation_log, user, query))
