"""The login's second step (``/auth/two-factor``) and the staff gate of ``REQUIRE_2FA_FOR_STAFF``.

After the right password, an account with two-factor login is *not* logged in: the
signed Flask session only remembers whom the password was for (user id and
``token_version``) for five minutes, which grants nothing — every page still sees a
visitor. The code page then takes a 6-digit code or a recovery code
(``finboard.core.two_factor``: each one works once), counted per account and per IP by
the shared code limiter, and only then starts the real session.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from finboard.auth.session import sign_in
from finboard.core import two_factor
from finboard.core.models import User
from finboard.extensions import db
from finboard.ratelimits import limiter
from finboard.redirects import safe_next_url

bp = Blueprint("two_factor", __name__)

PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 300
# Moderation pages members use too (reporting): never behind the staff gate.
MEMBER_ENDPOINTS = {"moderation.report_post", "moderation.report_comment"}


def settings():
    return current_app.config["FINBOARD_SETTINGS"]


def begin(user: User, next_url: str | None):
    """The password was right for an account with two-factor login: ask for the code."""
    session[PENDING_KEY] = {
        "user_id": user.id,
        "version": user.token_version,
        "expires": time.time() + PENDING_SECONDS,
        "next": safe_next_url(next_url),
    }
    return redirect(url_for("two_factor.code"))


def _pending_user() -> tuple[User | None, str | None]:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("expires", 0) < time.time():
        session.pop(PENDING_KEY, None)
        return None, None
    user = db.session.get(User, pending.get("user_id"))
    if user is None or user.token_version != pending.get("version"):
        session.pop(PENDING_KEY, None)
        return None, None
    return user, pending.get("next")


@bp.route("/auth/two-factor", methods=["GET", "POST"])
def code():
    from finboard.members.settings_forms import CodeForm

    if current_user.is_authenticated:
        return redirect(url_for("posts.index"))
    user, next_url = _pending_user()
    if user is None:
        flash("Log in again: the code step expired.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        if not limiter().allow_code(request.remote_addr or "", user.id):
            form.code.errors.append("Too many codes tried. Wait a minute, then try again.")
            status = 429
        elif two_factor.verify(db.session, settings().secret_key, user.id, form.code.data):
            session.pop(PENDING_KEY, None)
            sign_in(user)  # commits the code's use with the new session
            left = two_factor.unused_recovery_codes(db.session, user.id)
            flash(f"Logged in as {user.username}.", "success")
            if left <= 3:
                flash(f"{left} recovery codes left: make new ones in Settings.", "info")
            return redirect(next_url or url_for("posts.index"))
        else:
            db.session.rollback()
            form.code.errors.append("That code is wrong, expired or already used.")
    if form.errors and status == 200:
        status = 422
    return render_template("auth/two_factor.html", form=form), status


def init_app(app: Flask) -> None:
    @app.before_request
    def staff_must_enrol():
        """With ``REQUIRE_2FA_FOR_STAFF``, a moderator or admin without two-factor login is sent
        to enrol before any moderation page or action."""
        if request.blueprint != "moderation" or request.endpoint in MEMBER_ENDPOINTS:
            return None
        if not current_user.is_authenticated:
            return None
        if not two_factor.staff_must_enrol(db.session, settings().require_2fa_for_staff, current_user):
            return None
        flash("Moderators and admins must turn on two-factor login before moderating.", "error")
        return redirect(url_for("settings.two_factor_setup"))
