"""/account/...: forgotten password, e-mail verification and change of address (the ``account`` blueprint).

Thin views over finboard.core.account_service, rate-limited like the API (per account and
per IP, finboard.ratelimits.check_account_mail). Asking for a mail answers the same
whether the address has an account or not. A reset link and a change-of-address link are
used by a POST from their page (a mail scanner fetching the link changes nothing); the
verification link verifies on GET (fetching it proves the mailbox got it).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from finboard.account.forms import ConfirmForm, ForgotPasswordForm, ResetPasswordForm, email_change_form
from finboard.contract.accounts import MAIL_ACCEPTED
from finboard.contract.errors import ApiError
from finboard.core import account_service
from finboard.core.account_tokens import Purpose
from finboard.core.ratelimit import account_key
from finboard.extensions import db
from finboard.ratelimits import check_account_mail, email_account_key
from finboard.redirects import safe_next_url

bp = Blueprint("account", __name__, url_prefix="/account")


def _settings():
    return current_app.config["FINBOARD_SETTINGS"]


def _limit_by_token(token: str, purpose: Purpose) -> None:
    check_account_mail(account_key(account_service.token_user_id(_settings(), token, purpose), ""), api=False)


def _link_refused(exc: ApiError):
    """A link that cannot be used: its reason, and a way to ask for a new one."""
    message = next(iter(exc.fields.values()), exc.message)
    return render_template("account/link_refused.html", message=message), exc.status


@bp.route("/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if request.method == "POST":
        check_account_mail(email_account_key(request.form.get("email", "")), api=False)
    if form.validate_on_submit():
        account_service.request_password_reset(db.session, _settings(), form.email.data)
        flash(MAIL_ACCEPTED, "info")
        return redirect(url_for("auth.login"))
    return render_template("account/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    if request.method == "POST":
        _limit_by_token(token, "reset")
        if form.validate_on_submit():
            try:
                account_service.reset_password(db.session, _settings(), token, form.password.data)
            except ApiError as exc:
                return _link_refused(exc)
            if current_user.is_authenticated:
                logout_user()  # its session row was revoked with every other
            flash("Password changed. Every session and API token was signed out: log in with the new one.", "success")
            return redirect(url_for("auth.login"))
    else:
        try:
            account_service.check_link(db.session, _settings(), token, "reset")
        except ApiError as exc:
            return _link_refused(exc)
    return render_template("account/reset.html", form=form), 422 if form.errors else 200


@bp.get("/verify/<token>")
def verify_email(token: str):
    _limit_by_token(token, "verify")
    try:
        account_service.verify_email(db.session, _settings(), token)
    except ApiError as exc:
        return _link_refused(exc)
    flash("Thank you: your email address is confirmed.", "success")
    return redirect(url_for("posts.index"))


@bp.post("/verify/resend")
@login_required
def resend_verification():
    check_account_mail(account_key(current_user.id, ""), api=False)  # CSRFProtect checked the form's token
    account_service.send_verification(db.session, _settings(), current_user._get_current_object())
    flash(f"We mailed a new confirmation link to {current_user.email}.", "info")
    return redirect(safe_next_url(request.form.get("next")) or url_for("posts.index"))


@bp.route("/email", methods=["GET", "POST"])
@login_required
def change_email():
    form = email_change_form()
    if request.method == "POST":
        check_account_mail(account_key(current_user.id, ""), api=False)
    if form.validate_on_submit():
        try:
            account_service.request_email_change(
                db.session, _settings(), current_user._get_current_object(), form.email.data, form.password.data
            )
        except ApiError as exc:
            form.password.errors.append(exc.fields.get("password", exc.message))
        else:
            flash(
                "If that address can be used, a confirmation link is on its way to it. "
                "Your address changes when you follow the link.",
                "info",
            )
            return redirect(url_for("account.change_email"))
    return render_template("account/email.html", email_form=form), 422 if form.errors else 200


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    form = ConfirmForm()
    try:
        if request.method == "POST":
            _limit_by_token(token, "email")
            if form.validate_on_submit():
                account_service.confirm_email_change(db.session, _settings(), token)
                flash("Your new email address is confirmed; the old one was told.", "success")
                return redirect(url_for("posts.index"))
        new_email = account_service.check_link(db.session, _settings(), token, "email")
    except ApiError as exc:
        return _link_refused(exc)
    return render_template("account/email_confirm.html", form=form, new_email=new_email)
