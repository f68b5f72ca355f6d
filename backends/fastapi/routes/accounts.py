"""Account recovery and the address: thin routes over ``finboard.core.account_service`` (``run_sync``).

Dependencies in the reference order of checks (finboard/api/accounts.py): the bearer token
(401, under ``/users/me``), the shared account-mail limit (429: per IP, and per account —
the address, the bearer or the link names it), then the body (413/400/422).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from backends.fastapi.deps import (
    CurrentUser,
    RawBody,
    SessionDep,
    SettingsDep,
    _allowed,
    client_ip,
    json_body,
    resources,
)
from backends.fastapi.responses import json_response
from finboard.contract.accounts import EmailChange, EmailConfirm, MailAccepted, PasswordReset, PasswordResetRequest
from finboard.contract.request_parsing import body_text
from finboard.core import account_service
from finboard.core.ratelimit import account_key, resolvable, user_id_by_login_statement

router = APIRouter(tags=["accounts"])


async def _limit(request: Request, account: str | None) -> None:
    await _allowed(request, resources(request).limiter.allow_account_mail, client_ip(request), account)


async def limit_by_email(request: Request, raw: RawBody, session: SessionDep) -> None:
    email = body_text(raw, "email")
    user_id = await session.scalar(user_id_by_login_statement(email)) if resolvable(email) else None
    await _limit(request, account_key(user_id, email))


def limit_by_token(purpose):
    async def dependency(request: Request, raw: RawBody, settings: SettingsDep) -> None:
        user_id = account_service.token_user_id(settings, body_text(raw, "token"), purpose)
        await _limit(request, account_key(user_id, ""))

    return Depends(dependency)


async def limit_by_user(request: Request, user: CurrentUser) -> None:
    await _limit(request, account_key(user.id, ""))


UserLimited = Annotated[None, Depends(limit_by_user)]


def _no_content() -> Response:
    return Response(status_code=204)


@router.post("/auth/password-reset", dependencies=[Depends(limit_by_email)])
async def request_password_reset(
    payload: Annotated[PasswordResetRequest, json_body(PasswordResetRequest)],
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    await session.run_sync(account_service.request_password_reset, settings, str(payload.email))
    return json_response(MailAccepted(), 202)


@router.post("/auth/password-reset/confirm", dependencies=[limit_by_token("reset")])
async def reset_password(
    payload: Annotated[PasswordReset, json_body(PasswordReset)], session: SessionDep, settings: SettingsDep
) -> Response:
    await session.run_sync(account_service.reset_password, settings, payload.token, payload.password)
    return _no_content()


@router.post("/auth/email/verify", dependencies=[limit_by_token("verify")])
async def verify_email(
    payload: Annotated[EmailConfirm, json_body(EmailConfirm)], session: SessionDep, settings: SettingsDep
) -> Response:
    await session.run_sync(account_service.verify_email, settings, payload.token)
    return _no_content()


@router.post("/auth/email/confirm", dependencies=[limit_by_token("email")])
async def confirm_email_change(
    payload: Annotated[EmailConfirm, json_body(EmailConfirm)], session: SessionDep, settings: SettingsDep
) -> Response:
    await session.run_sync(account_service.confirm_email_change, settings, payload.token)
    return _no_content()


@router.post("/users/me/email/verification")
async def resend_verification(
    user: CurrentUser, _: UserLimited, session: SessionDep, settings: SettingsDep
) -> Response:
    await session.run_sync(account_service.send_verification, settings, user)
    return json_response(MailAccepted(), 202)


@router.post("/users/me/email")
async def change_email(
    user: CurrentUser,
    _: UserLimited,
    payload: Annotated[EmailChange, json_body(EmailChange)],
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    await session.run_sync(account_service.request_email_change, settings, user, str(payload.email), payload.password)
    return json_response(MailAccepted(), 202)
