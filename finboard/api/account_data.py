"""/api/v1/users/me/export and /users/me/deletion in Flask: thin views over finboard.core's
data_export and account_deletion.

Order of checks, as in the other adapters: token (401), body (400/413/422), then the use
case's: the code limiter (429, every deletion attempt counts), the password's and the
code's 422, the pending request's 409; an export asked again within the hour is a 429.
"""

from __future__ import annotations

from functools import partial

from flask import request

from finboard.api.views import body, bp, current_api_user, respond, settings
from finboard.contract.account_data import AccountDeletionRequest, AccountDeletionScheduled, ExportAccepted
from finboard.contract.errors import ApiError
from finboard.core import account_deletion, data_export
from finboard.extensions import db
from finboard.ratelimits import limiter


@bp.post("/users/me/export")
def request_data_export():
    data_export.request_export(db.session, settings(), current_api_user())
    return respond(ExportAccepted(), 202)


@bp.post("/users/me/deletion")
def request_account_deletion():
    user = current_api_user()
    payload = body(AccountDeletionRequest)
    row = account_deletion.request_deletion(
        db.session,
        settings(),
        user,
        payload.password,
        payload.code,
        payload.keep_content,
        allow_attempt=partial(limiter().allow_code, request.remote_addr or ""),
    )
    return respond(AccountDeletionScheduled(delete_after=row.delete_after, keep_content=row.keep_content), 202)


@bp.delete("/users/me/deletion")
def cancel_account_deletion():
    if not account_deletion.cancel_deletion(db.session, current_api_user()):
        raise ApiError(404, "not_found")
    return respond(None, 204)
