"""/api/v1 account recovery and the address in Flask: thin views over finboard.core.account_service.

Order of checks, as in the other adapters: token (401, the routes under ``/users/me``), the
rate limit (429: per IP, and per account — the address, the bearer or the link names it),
then the body (400/413/422) and the use case. Asking for a mail answers 202 whatever the
address; following a link answers 204, or 422 naming ``token``.
"""

from __future__ import annotations

from flask import request

from finboard.api.views import body, bp, current_api_user, respond, settings
from finboard.contract.accounts import EmailChange, EmailConfirm, MailAccepted, PasswordReset, PasswordResetRequest
from finboard.contract.request_parsing import body_text
from finboard.core import account_service
from finboard.core.ratelimit import account_key
from finboard.extensions import db
from finboard.ratelimits import check_account_mail, email_account_key


def _limit_by_token(purpose) -> None:
    user_id = account_service.token_user_id(settings(), body_text(request.get_data(cache=True), "token"), purpose)
    check_account_mail(account_key(user_id, ""), api=True)


@bp.post("/auth/password-reset")
def request_password_reset():
    check_account_mail(email_account_key(body_text(request.get_data(cache=True), "email")), api=True)
    account_service.request_password_reset(db.session, settings(), str(body(PasswordResetRequest).email))
    return respond(MailAccepted(), 202)


@bp.post("/auth/password-reset/confirm")
def reset_password():
    _limit_by_token("reset")
    payload = body(PasswordReset)
    account_service.reset_password(db.session, settings(), payload.token, payload.password)
    return respond(None, 204)


@bp.post("/auth/email/verify")
def verify_email():
    _limit_by_token("verify")
    account_service.verify_email(db.session, settings(), body(EmailConfirm).token)
    return respond(None, 204)


@bp.post("/auth/email/confirm")
def confirm_email_change():
    _limit_by_token("email")
    account_service.confirm_email_change(db.session, settings(), body(EmailConfirm).token)
    return respond(None, 204)


@bp.post("/users/me/email/verification")
def resend_verification():
    user = current_api_user()
    check_account_mail(account_key(user.id, ""), api=True)
    account_service.send_verification(db.session, settings(), user)
    return respond(MailAccepted(), 202)


@bp.post("/users/me/email")
def change_email():
    user = current_api_user()
    check_account_mail(account_key(user.id, ""), api=True)
    payload = body(EmailChange)
    account_service.request_email_change(db.session, settings(), user, str(payload.email), payload.password)
    return respond(MailAccepted(), 202)
