"""/auth/register, /auth/login, /auth/logout."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from finboard.auth.forms import LoginForm, PasswordChangeForm, RegisterForm
from finboard.auth.session import revoke, revoke_others, sign_in
from finboard.auth.two_factor import begin as second_step
from finboard.core import account_queries, account_service, two_factor
from finboard.core.security import hash_password, verify_password
from finboard.extensions import db
from finboard.ratelimits import check_login, check_register
from finboard.redirects import safe_next_url

bp = Blueprint("auth", __name__, url_prefix="/auth")
USERNAME_TAKEN = "That username is taken."


@bp.route("/register", methods=["GET", "POST"])
def register():
    if request.method == "POST":
        check_register(api=False)
    if current_user.is_authenticated:
        return redirect(url_for("posts.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        email = form.email.data.strip().lower()
        # Only the name can be taken (names are public). The address is never checked: a taken
        # one gets the same account, page and job as a fresh one, and the job tells its owner
        # instead of mailing a link (finboard.core.mail_jobs), so the page tells nobody.
        if account_queries.username_taken(db.session, username):
            form.username.errors.append(USERNAME_TAKEN)
        if not form.errors:
            try:
                user = account_queries.create_user(db.session, username, email, hash_password(form.password.data))
                account_service.send_verification(db.session, current_app.config["FINBOARD_SETTINGS"], user)
            except IntegrityError:  # a concurrent registration of the name won the race
                db.session.rollback()
                form.username.errors.append(USERNAME_TAKEN)
            else:
                sign_in(user)
                flash(f"Welcome to FinBoard, {user.username}!", "success")
                return redirect(url_for("posts.index"))
    status = 422 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        check_login(request.form.get("username", ""), api=False)
    if current_user.is_authenticated:
        return redirect(url_for("posts.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalars(account_queries.user_by_login_statement(form.username.data)).first()
        # verify_password spends one hash even for unknown users (same timing).
        if verify_password(user.password_hash if user else None, form.password.data) and user:
            if two_factor.is_enabled(db.session, user.id):  # not logged in until the code step
                return second_step(user, request.args.get("next"))
            sign_in(user)
            flash(f"Logged in as {user.username}.", "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("posts.index"))
        form.password.errors.append("Unknown username or wrong password.")
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Revoke this session's row: a copy of the cookie no longer signs anyone in."""
    if current_user.session_row_id is not None:
        revoke(current_user.session_row_id)
        db.session.commit()
    logout_user()
    flash("You have been logged out.", "info")
    return redirect(url_for("posts.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Changing the password ends every other session and every older API token."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        else:
            user.password_hash = hash_password(form.new_password.data)
            user.token_version += 1  # older API tokens end
            revoke_others(user.id, keep_row_id=user.session_row_id)  # so do the other sessions
            db.session.commit()
            login_user(user)  # this session stays, with the new version
            flash("Password changed. Other sessions and API tokens were signed out.", "success")
            return redirect(url_for("settings.index"))
    status = 422 if form.errors else 200
    return render_template("auth/password.html", form=form), status
