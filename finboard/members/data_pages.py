"""``/settings/export``: "Download my data" on the settings page (routes on the ``settings`` blueprint).

Asking commits a request and its job (finboard.core.data_export); the archive is built in
the background and its link mailed. The link's page serves the ZIP only to the member who
asked, signed in, until it expires — anyone else, or later, gets a 404 (as if it never
existed: the name tells nothing).
"""

from __future__ import annotations

from flask import abort, flash, redirect, send_file
from flask import url_for as url
from flask_login import login_required

from finboard.contract.errors import ApiError
from finboard.core import data_export
from finboard.extensions import db
from finboard.members.settings_pages import bp, settings
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
