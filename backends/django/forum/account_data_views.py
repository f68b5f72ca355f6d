"""/api/v1/users/me/export and /users/me/deletion in Django: thin views over ``account_data_services``.

The reference's order of checks (finboard/api/account_data.py): the bearer token (401), the
body (400/413/422), then the use case's 429, 422s and 409.
"""

from __future__ import annotations

from functools import partial

from finboard.contract.account_data import AccountDeletionRequest, AccountDeletionScheduled, ExportAccepted
from finboard.contract.errors import ApiError

from . import account_data_services
from .responses import json_response, no_content
from .runtime import finboard_settings, rate_limiter
from .views import ApiView, body, client_ip, current_user


class DataExportView(ApiView):
    def post(self, request):
        account_data_services.request_export(finboard_settings(), current_user(request))
        return json_response(ExportAccepted(), 202)


class AccountDeletionView(ApiView):
    def post(self, request):
        user = current_user(request)
        payload = body(request, AccountDeletionRequest)
        row = account_data_services.request_deletion(
            finboard_settings(),
            user,
            payload.password,
            payload.code,
            payload.keep_content,
            partial(rate_limiter().allow_code, client_ip(request)),
        )
        scheduled = AccountDeletionScheduled(delete_after=row.delete_after, keep_content=row.keep_content)
        return json_response(scheduled, 202)

    def delete(self, request):
        if not account_data_services.cancel_deletion(current_user(request)):
            raise ApiError(404, "not_found")
        return no_content()
