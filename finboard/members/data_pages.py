"""``/settings/export`` and ``/settings/delete-account``: your data, on the settings page (``settings`` blueprint).

Asking commits a request and its job (finboard.core.data_export); the archive is built in
the background and its link mailed. The link's page serves the ZIP only to the member who
asked, signed in, until it expires — anyone else, or later, gets a 404 (as if it never
existed: the name tells nothing).

Deleting takes the password (and a code when two-factor login is on; every attempt counts
against the per-account and per-IP code limits), then signs this and every other session
out and revokes every API token at once (finboard.core.account_deletion). Within the grace
period the member signs in again and presses "Keep my account".
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, send_file
from flask import url_for as url
from flask_login import login_required, logout_user

from finboard.contract.errors import ApiError
from finboard.core import account_deletion, data_export
from finboard.extensions import db
from finboard.members.settings_pages import TOO_MANY_CODES, _code_allowed, bp, settings
from finboard.pages import me

FILE_NAME = "<string(length=64):file_name>"


@bp.post("/settings/export")
@login_required
def request_export():
    user = me()
    try:
        data_export.request_export(db.session, settings(), user)
    except ApiError as exc:
        flash(exc.fields.get("export", exc.message), "error")
    else:
        flash(f"Your data is being gathered; a download link will be mailed to {user.email}.", "success")
    return redirect(url("settings.index") + "#data")


@bp.get(f"/settings/export/{FILE_NAME}")
@login_required
def download_export(file_name: str):
    path = data_export.downloadable(db.session, settings(), me().id, file_name)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="application/zip", as_attachment=True, download_name="finboard-my-data.zip")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_context_processor
def pending_deletion():
    """``pending_deletion()`` in templates: the signed-in member's deletion request, if any."""

    def lookup():
        return account_deletion.pending(db.session, me().id)

    return {"pending_deletion": lookup}


@bp.post("/settings/delete-account")
@login_required
def delete_account():
    user = me()
    keep = request.form.get("content", "keep") != "remove"
    try:
        row = account_deletion.request_deletion(
            db.session,
            settings(),
            user,
            request.form.get("password", ""),
            request.form.get("code") or None,
            keep,
            allow_attempt=_code_allowed,
        )
    except ApiError as exc:
        flash(TOO_MANY_CODES if exc.status == 429 else next(iter(exc.fields.values()), exc.message), "error")
        return redirect(url("settings.index") + "#delete"), 303
    logout_user()
    flash(
        f"Your account will be deleted on {row.delete_after.strftime('%Y-%m-%d')} "
        f"({'your posts and comments kept as a deleted member' if keep else 'your posts and comments removed'}). "
        "You were signed out everywhere. To keep your account, sign in before then and press Keep my account.",
        "info",
    )
    return redirect(url("posts.index"))


@bp.post("/settings/delete-account/cancel")
@login_required
def cancel_account_deletion():
    if account_deletion.cancel_deletion(db.session, me()):
        flash("Your account will not be deleted.", "success")
    return redirect(url("settings.index") + "#delete")
