"""/api/v1/auth/two-factor: the sync use cases of ``finboard.core.two_factor`` on this
request's session (``run_sync``), as the Flask reference runs them.

These rare requests run the argon2 check (turning it off) and the code limiter inside
``run_sync``, on the event loop: they are an account's settings, not a hot path.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response

from backends.fastapi.deps import (
    CurrentUser,
    SessionDep,
    SettingsDep,
    TwoFactorCode,
    TwoFactorOff,
    client_ip,
    resources,
)
from backends.fastapi.responses import json_response
from finboard.core import two_factor

router = APIRouter(prefix="/auth/two-factor", tags=["auth"])


def _allow_code(request: Request):
    return partial(resources(request).limiter.allow_code, client_ip(request))


@router.get("")
async def status(user: CurrentUser, session: SessionDep) -> Response:
    return json_response(await session.run_sync(two_factor.status, user))


@router.post("/setup")
async def setup(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    return json_response(await session.run_sync(two_factor.api_setup, settings.secret_key, user))


@router.post("/enable")
async def enable(
    request: Request, user: CurrentUser, payload: TwoFactorCode, session: SessionDep, settings: SettingsDep
) -> Response:
    result = await session.run_sync(two_factor.api_enable, settings.secret_key, user, payload, _allow_code(request))
    return json_response(result)


@router.post("/disable")
async def disable(
    request: Request, user: CurrentUser, payload: TwoFactorOff, session: SessionDep, settings: SettingsDep
) -> Response:
    result = await session.run_sync(two_factor.api_disable, settings.secret_key, user, payload, _allow_code(request))
    return json_response(result)
