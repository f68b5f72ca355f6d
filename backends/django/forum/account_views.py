"""/api/v1 account recovery and the address in Django: thin views over ``account_services``.

The reference's order of checks (finboard/api/accounts.py): the bearer token (401, under
``/users/me``), the shared account-mail limit (429: per IP, and per account — the address,
the bearer or the link names it), then the body (413/400/422) and the use case.
"""

from __future__ import annotations

from django.http import HttpRequest

from finboard.contract.accounts import EmailChange, EmailConfirm, MailAccepted, PasswordReset, PasswordResetRequest
from finboard.contract.errors import http_error
from finboard.contract.request_parsing import body_text, parse_body
from finboard.core import account_service
from finboard.core.ratelimit import account_key

from . import account_services, services
from .responses import json_response, no_content
from .runtime import finboard_settings, rate_limiter
from .views import ApiView, client_ip, current_user, request_body


def _limit(request: HttpRequest, account: str | None) -> None:
    if not rate_limiter().allow_account_mail(client_ip(request), account):
        raise http_error(429)


def _token_body(request: HttpRequest, purpose, schema):
    raw = request_body(request)
    user_id = account_service.token_user_id(finboard_settings(), body_text(raw, "token"), purpose)
    _limit(request, account_key(user_id, ""))
    return parse_body(raw, schema)


class PasswordResetRequestView(ApiView):
    def post(self, request):
        raw = request_body(request)
        _limit(request, services.login_account_key(body_text(raw, "email")))
        payload = parse_body(raw, PasswordResetRequest)
        account_services.request_password_reset(finboard_settings(), str(payload.email))
        return json_response(MailAccepted(), 202)


class PasswordResetView(ApiView):
    def post(self, request):
        payload = _token_body(request, "reset", PasswordReset)
        account_services.reset_password(finboard_settings(), payload.token, payload.password)
        return no_content()


class VerifyEmailView(ApiView):
    def post(self, request):
        payload = _token_body(request, "verify", EmailConfirm)
        account_services.verify_email(finboard_settings(), payload.token)
        return no_content()


class ConfirmEmailChangeView(ApiView):
    def post(self, request):
        payload = _token_body(request, "email", EmailConfirm)
        account_services.confirm_email_change(finboard_settings(), payload.token)
        return no_content()


class ResendVerificationView(ApiView):
    def post(self, request):
        user = current_user(request)
        _limit(request, account_key(user.id, ""))
        account_services.send_verification(finboard_settings(), user)
        return json_response(MailAccepted(), 202)


class ChangeEmailView(ApiView):
    def post(self, request):
        user = current_user(request)
        _limit(request, account_key(user.id, ""))
        payload = parse_body(request_body(request), EmailChange)
        account_services.request_email_change(finboard_settings(), user, str(payload.email), payload.password)
        return json_response(MailAccepted(), 202)
