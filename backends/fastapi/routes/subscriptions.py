"""Notifications, watches (posts and categories), the ticker watchlist and the
feed: per-user, never cached, thin routes over ``finboard.core.notification_service``
and ``finboard.core.watch_service``.

A watch is one path answering PUT (start) and DELETE (stop), like the Flask
reference's single view; any other method there is a 405.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backends.fastapi.deps import (
    CurrentUser,
    NotificationParams,
    PageParams,
    PostId,
    PreferenceChanges,
    ReadMarks,
    SessionDep,
    Slug,
    Ticker,
)
from backends.fastapi.responses import json_response
from finboard.core import account_settings, block_service, notification_service, watch_service

router = APIRouter(tags=["subscriptions"])
ON_OFF = ["PUT", "DELETE"]


def switched_on(request: Request) -> bool:
    return request.method == "PUT"


@router.get("/notifications")
async def notifications(user: CurrentUser, query: NotificationParams, session: SessionDep) -> Response:
    return json_response(await session.run_sync(notification_service.notifications, user, query))


@router.post("/notifications/read")
async def mark_read(user: CurrentUser, payload: ReadMarks, session: SessionDep) -> Response:
    return json_response(await session.run_sync(notification_service.mark_read, user, payload))


@router.get("/notifications/preferences")
async def notification_preferences(user: CurrentUser, session: SessionDep) -> Response:
    return json_response(await session.run_sync(account_settings.preferences, user))


@router.patch("/notifications/preferences")
async def update_notification_preferences(
    user: CurrentUser, payload: PreferenceChanges, session: SessionDep
) -> Response:
    return json_response(await session.run_sync(account_settings.update_preferences, user, payload))


@router.api_route("/posts/{post_id}/watch", methods=ON_OFF)
async def watch_post(post_id: PostId, user: CurrentUser, request: Request, session: SessionDep) -> Response:
    return json_response(await session.run_sync(watch_service.watch_post, user, post_id, switched_on(request)))


@router.api_route("/categories/{slug}/watch", methods=ON_OFF)
async def watch_category(slug: Slug, user: CurrentUser, request: Request, session: SessionDep) -> Response:
    return json_response(await session.run_sync(watch_service.watch_category, user, slug, switched_on(request)))


@router.get("/watchlist")
async def watchlist(user: CurrentUser, session: SessionDep) -> Response:
    return json_response(await session.run_sync(watch_service.watchlist, user))


@router.api_route("/watchlist/{ticker}", methods=ON_OFF)
async def follow_ticker(ticker: Ticker, user: CurrentUser, request: Request, session: SessionDep) -> Response:
    return json_response(await session.run_sync(watch_service.follow_ticker, user, ticker, switched_on(request)))


@router.get("/feed")
async def feed(user: CurrentUser, query: PageParams, session: SessionDep) -> Response:
    return json_response(await session.run_sync(block_service.feed, user, query))
