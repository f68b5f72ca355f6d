"""``/settings``: a member's profile, password, two-factor login, notifications and sessions.

The page is ``templates/settings/index.html``, one partial per section
(``templates/settings/_*.html``): a new section is a partial, one include line and its
routes here or in its own blueprint. Every POST carries a CSRF token and acts only on
the member's own rows. Two-factor enrolment has its own page (the QR code and the
secret are shown there, and only until the first code confirms them); recovery codes
are shown once, on the page that made them.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
)
from flask import url_for as url
from flask_login import login_required, login_user, logout_user

from finboard.account.forms import email_change_form
from finboard.auth.forms import PasswordChangeForm
from finboard.auth.session import revoke_others
from finboard.confirmation import ask_to_confirm, confirmed
from finboard.contract.errors import ApiError
from finboard.contract.permissions import suspended, suspension_message
from finboard.contract.request_parsing import validate
from finboard.contract.users import ProfileUpdate
from finboard.core import account_settings, avatars, profile_service, totp, two_factor
from finboard.core.security import verify_password
from finboard.extensions import db
from finboard.members.settings_forms import (
    NOTIFICATION_KINDS,
    CodeForm,
    DisableTwoFactorForm,
    NotificationsForm,
    ProfileForm,
)
from finboard.pages import me, previewing
from finboard.ratelimits import limiter

bp = Blueprint("settings", __name__)

# The avatar form's request may carry a 2 MB image (every other request stays under MAX_CONTENT_LENGTH).
AVATAR_REQUEST_MAX = avatars.MAX_BYTES + 64 * 1024
TOO_MANY_CODES = "Too many codes tried. Wait a minute, then try again."


def settings():
    return current_app.config["FINBOARD_SETTINGS"]


def _page(status: int = 200, **forms):
    user = me()
    enrolment = two_factor.enrolment(db.session, user.id)
    preferences = account_settings.notification_preferences(db.session, user.id)
    context = {
        "profile_form": ProfileForm(formdata=None, data={"bio": user.bio}),
        "password_form": PasswordChangeForm(formdata=None),
        "email_form": email_change_form(),
        "code_form": CodeForm(formdata=None, prefix="regen"),
        "disable_form": DisableTwoFactorForm(formdata=None, prefix="disable"),
        "notifications_form": NotificationsForm(
            formdata=None, data={f"kind_{k}": preferences.get(k, "in_app") for k in NOTIFICATION_KINDS}
        ),
        "two_factor_on": enrolment is not None and enrolment.enabled_at is not None,
        "recovery_left": two_factor.unused_recovery_codes(db.session, user.id),
        "sessions": account_settings.active_sessions(db.session, user.id),
        "current_session_id": user.session_row_id,
        **forms,
    }
    return render_template("settings/index.html", **context), status


@bp.get("/settings")
@login_required
def index():
    return _page()


@bp.post("/settings/profile")
@login_required
def profile():
    user = me()
    form = ProfileForm()
    if previewing():  # the bio rendered above the form; nothing (not even the avatar) is saved
        return _page(profile_form=form, preview=form.bio.data or "")
    if not form.validate_on_submit():
        return _page(422, profile_form=form)
    if suspended(user):
        flash(suspension_message(user), "error")
        return _page(403, profile_form=form)
    try:  # the bio first: a refused bio must not leave an avatar file behind
        changes = validate(ProfileUpdate, {"bio": (form.bio.data or "").strip()})
    except ApiError as exc:
        form.bio.errors = [exc.fields.get("bio", exc.message)]
        return _page(exc.status, profile_form=form)
    upload = form.avatar.data
    if upload and getattr(upload, "filename", ""):
        try:
            png = avatars.reencode(upload.read(avatars.MAX_BYTES + 1))
        except avatars.AvatarError as exc:
            form.avatar.errors = [str(exc)]
            return _page(422, profile_form=form)
        user.avatar = avatars.store(settings().avatar_dir, png)
    try:
        profile_service.update_profile(db.session, user, changes)
    except ApiError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(exc.status, profile_form=form)
    flash("Profile saved.", "success")
    return redirect(url("settings.index"))


@bp.get("/avatars/<name>.png")
def avatar(name: str):
    if not avatars.NAME_PATTERN.fullmatch(name):
        abort(404)
    response = send_from_directory(settings().avatar_dir, f"{name}.png", mimetype="image/png", max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def _code_allowed(user_id: int) -> bool:
    return limiter().allow_code(request.remote_addr or "", user_id)


@bp.route("/settings/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    """Scan the QR code (or type the key), then confirm with a first code."""
    user = me()
    if two_factor.is_enabled(db.session, user.id):
        flash("Two-factor login is already on.", "info")
        return redirect(url("settings.index"))
    secret = two_factor.pending_secret(db.session, settings().secret_key, user.id)
    db.session.commit()
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        if not _code_allowed(user.id):
            form.code.errors.append(TOO_MANY_CODES)
            status = 429
        else:
            codes = two_factor.confirm(db.session, settings().secret_key, user.id, form.code.data)
            if codes is not None:
                db.session.commit()
                flash("Two-factor login is on.", "success")
                return _private(render_template("settings/recovery_codes.html", codes=codes))
            db.session.rollback()
            form.code.errors.append("That code does not match. Check the device's clock and try the next one.")
    uri = totp.provisioning_uri(secret, user.username)
    status = 422 if form.errors and status == 200 else status
    form.code.label.text = "6-digit code from the app"
    page = render_template("settings/two_factor_setup.html", form=form, qr=totp.qr_svg(uri), secret=secret)
    return _private(page, status)


def _private(page: str, status: int = 200):
    """A page holding a secret (the enrolment key, recovery codes): never stored by a cache."""
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _confirm_code(form, user) -> bool:
    """Whether ``form.code`` is a good code of this member (counted by the code limiter)."""
    if not _code_allowed(user.id):
        form.code.errors.append(TOO_MANY_CODES)
        return False
    if not two_factor.verify(db.session, settings().secret_key, user.id, form.code.data):
        form.code.errors.append("That code is wrong, expired or already used.")
        return False
    return True


@bp.post("/settings/two-factor/disable")
@login_required
def two_factor_disable():
    """Turning two-factor login off takes the password and a code."""
    user = me()
    form = DisableTwoFactorForm(prefix="disable")
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.password.data):
            form.password.errors.append("That is not your current password.")
        elif _confirm_code(form, user):
            two_factor.disable(db.session, user.id)
            db.session.commit()
            flash("Two-factor login is off.", "info")
            return redirect(url("settings.index"))
    db.session.rollback()
    return _page(429 if any(TOO_MANY_CODES in e for e in form.code.errors) else 422, disable_form=form)


@bp.post("/settings/two-factor/recovery-codes")
@login_required
def recovery_codes():
    """New recovery codes (the old ones stop working), after a code."""
    user = me()
    form = CodeForm(prefix="regen")
    if form.validate_on_submit() and _confirm_code(form, user):
        codes = two_factor.replace_recovery_codes(db.session, user.id)
        db.session.commit()
        flash("New recovery codes made; the old ones no longer work.", "success")
        return _private(render_template("settings/recovery_codes.html", codes=codes))
    db.session.rollback()
    return _page(429 if any(TOO_MANY_CODES in e for e in form.code.errors) else 422, code_form=form)


@bp.post("/settings/notifications")
@login_required
def notifications():
    form = NotificationsForm()
    if not form.validate_on_submit():
        return _page(422, notifications_form=form)
    choices = {kind: getattr(form, f"kind_{kind}").data for kind in NOTIFICATION_KINDS}
    account_settings.set_notification_preferences(db.session, me(), choices)
    db.session.commit()
    flash("Notification preferences saved.", "success")
    return redirect(url("settings.index") + "#notifications")


@bp.post("/settings/sessions/<int:session_id>/revoke")
@login_required
def revoke_session(session_id: int):
    user = me()
    if not account_settings.revoke_session(db.session, user.id, session_id):
        db.session.rollback()
        flash("That session had already ended.", "info")
        return redirect(url("settings.index") + "#sessions")
    db.session.commit()
    if session_id == user.session_row_id:
        logout_user()
        flash("You signed this browser out.", "info")
        return redirect(url("auth.login"))
    flash("Session signed out.", "success")
    return redirect(url("settings.index") + "#sessions")


@bp.post("/settings/sessions/revoke-others")
@login_required
def sign_out_everywhere():
    """Every other session ends, and every API token (``token_version`` moves on)."""
    if not confirmed():
        return ask_to_confirm(
            "Sign out everywhere else?",
            "Yes, sign out everywhere else",
            url("settings.index") + "#sessions",
            "Every other browser is signed out and every API token stops working. This browser stays signed in.",
        )
    user = me()
    user.token_version += 1
    revoke_others(user.id, keep_row_id=user.session_row_id)
    db.session.commit()
    login_user(user)  # this browser stays signed in, with the new version
    flash("Signed out everywhere else; every API token was revoked.", "success")
    return redirect(url("settings.index") + "#sessions")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    def allow_avatar_upload():
        if request.endpoint == "settings.profile":
            request.max_content_length = AVATAR_REQUEST_MAX

    # First of all before-request functions: CSRFProtect reads the form in its own.
    app.before_request_funcs.setdefault(None, []).insert(0, allow_avatar_upload)
