"""POST /auth/register and /auth/login, rate limited before the body is validated."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from backends.fastapi.deps import (
    Credentials,
    NewUser,
    SessionDep,
    SettingsDep,
    code_rate_limit,
    login_rate_limit,
    register_rate_limit,
)
from backends.fastapi.responses import json_response
from finboard.contract.errors import ApiError
from finboard.contract.users import Token
from finboard.core import account_queries, api_service, two_factor
from finboard.core.security import create_access_token, verify_password

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", dependencies=[Depends(register_rate_limit)])
async def register(payload: NewUser, session: SessionDep, settings: SettingsDep) -> Response:
    user = await session.run_sync(api_service.register, payload, settings)
    return json_response(user, 201)


@router.post("/login", dependencies=[Depends(login_rate_limit)])
async def login(request: Request, credentials: Credentials, session: SessionDep, settings: SettingsDep) -> Response:
    """api_service.login, with the argon2 check in a worker thread instead of on the event loop,
    and the two-factor limiter (blocking with Redis) counted before the code is checked."""
    user = (await session.scalars(account_queries.user_by_login_statement(credentials.username))).first()
    matches = await run_in_threadpool(verify_password, user.password_hash if user else None, credentials.password)
    if not matches or user is None:
        raise ApiError(401, "invalid_credentials", code="invalid_credentials")
    if credentials.code is not None and await session.run_sync(two_factor.is_enabled, user.id):
        await code_rate_limit(request, user.id)  # 429 before the code is looked at
    await session.run_sync(
        two_factor.check_login_code, settings.secret_key, user, credentials.code, lambda _user_id: True
    )
    token = create_access_token(settings.secret_key, user.id, user.token_version, settings.token_ttl_seconds)
    return json_response(Token(access_token=token, expires_in=settings.token_ttl_seconds))
