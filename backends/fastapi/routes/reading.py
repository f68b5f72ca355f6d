"""Read state and bookmarks: per member, never cached, thin routes over
``finboard.core.reading_service`` (as the Flask reference, finboard/api/reading.py).
PUT bookmarks, DELETE removes; POST .../read marks a post read, GET tells its state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from backends.fastapi.deps import CurrentUser, PostId, SessionDep, query_model
from backends.fastapi.responses import json_response
from backends.fastapi.routes.subscriptions import ON_OFF, switched_on
from finboard.contract.reading import BookmarkQuery, ReadStateQuery
from finboard.core import reading_service

router = APIRouter(tags=["reading"])
BookmarkParams = Annotated[BookmarkQuery, query_model(BookmarkQuery)]
ReadStateParams = Annotated[ReadStateQuery, query_model(ReadStateQuery)]


@router.api_route("/posts/{post_id}/bookmark", methods=ON_OFF)
async def bookmark(post_id: PostId, user: CurrentUser, request: Request, session: SessionDep) -> Response:
    return json_response(await session.run_sync(reading_service.set_bookmark, user, post_id, switched_on(request)))


@router.get("/bookmarks")
async def bookmarks(user: CurrentUser, query: BookmarkParams, session: SessionDep) -> Response:
    return json_response(await session.run_sync(reading_service.bookmarks, user, query))


@router.get("/posts/{post_id}/read")
async def read_state(post_id: PostId, user: CurrentUser, session: SessionDep) -> Response:
    return json_response(await session.run_sync(reading_service.read_state_of, user, post_id))


@router.post("/posts/{post_id}/read")
async def mark_read(post_id: PostId, user: CurrentUser, session: SessionDep) -> Response:
    return json_response(await session.run_sync(reading_service.mark_read, user, post_id))


@router.get("/read-states")
async def read_states(user: CurrentUser, query: ReadStateParams, session: SessionDep) -> Response:
    return json_response(await session.run_sync(reading_service.read_states, user, query))
