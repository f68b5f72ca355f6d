"""/api/v1/users/me/export and /users/me/deletion: the sync use cases of finboard.core's
data_export and account_deletion on this request's session (``run_sync``), as the Flask
reference runs them (the order of checks: finboard/api/account_data.py).

Rare requests (an export an hour, one deletion): the argon2 check of the deletion runs
inside ``run_sync``, as turning two-factor login off does.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Request, Response

from backends.fastapi.deps import CurrentUser, SessionDep, SettingsDep, client_ip, json_body, resources
from backends.fastapi.responses import json_response
from finboard.contract.account_data import AccountDeletionRequest, AccountDeletionScheduled, ExportAccepted
from finboard.contract.errors import ApiError
from finboard.core import account_deletion, data_export

router = APIRouter(prefix="/users/me", tags=["accounts"])


@router.post("/export")
async def request_data_export(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    await session.run_sync(data_export.request_export, settings, user)
    return json_response(ExportAccepted(), 202)


@router.post("/deletion")
async def request_account_deletion(
    request: Request,
    user: CurrentUser,
    payload: Annotated[AccountDeletionRequest, json_body(AccountDeletionRequest)],
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    allow = partial(resources(request).limiter.allow_code, client_ip(request))
    row = await session.run_sync(
        lambda sync: account_deletion.request_deletion(
            sync, settings, user, payload.password, payload.code, payload.keep_content, allow_attempt=allow
        )
    )
    return json_response(AccountDeletionScheduled(delete_after=row.delete_after, keep_content=row.keep_content), 202)


@router.delete("/deletion")
async def cancel_account_deletion(user: CurrentUser, session: SessionDep) -> Response:
    if not await session.run_sync(account_deletion.cancel_deletion, user):
        raise ApiError(404, "not_found")
    return Response(status_code=204)
