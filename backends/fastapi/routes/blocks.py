"""Blocks and mutes: per member, never cached, thin routes over ``finboard.core.block_service``
(as the Flask reference, finboard/api/blocks.py). PUT blocks or mutes, DELETE undoes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backends.fastapi.deps import CurrentUser, SessionDep, Ticker, Username, Word
from backends.fastapi.responses import json_response
from backends.fastapi.routes.subscriptions import ON_OFF, switched_on
from finboard.core import block_service

router = APIRouter(tags=["blocks"])


@router.get("/blocks")
async def blocks(user: CurrentUser, session: SessionDep) -> Response:
    return json_response(await session.run_sync(block_service.block_list, user))


@router.api_route("/blocks/{username}", methods=ON_OFF)
async def block(username: Username, user: CurrentUser, request: Request, session: SessionDep) -> Response:
    return json_response(await session.run_sync(block_service.set_block, user, username, switched_on(request)))


@router.get("/mutes")
async def mutes(user: CurrentUser, session: SessionDep) -> Response:
    return json_response(await session.run_sync(block_service.mute_list, user))


@router.api_route("/mutes/words/{word}", methods=ON_OFF)
async def mute_word(word: Word, user: CurrentUser, request: Request, session: SessionDep) -> Response:
    return json_response(await session.run_sync(block_service.set_mute, user, "word", word, switched_on(request)))


@router.api_route("/mutes/tickers/{ticker}", methods=ON_OFF)
async def mute_ticker(ticker: Ticker, user: CurrentUser, request: Request, session: SessionDep) -> Response:
    return json_response(await session.run_sync(block_service.set_mute, user, "ticker", ticker, switched_on(request)))
