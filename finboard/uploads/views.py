"""Uploads on the forum: ``/uploads`` (a page, and the script's JSON), ``/media/<hash>.webp``,
and ``/moderation/uploads`` where moderators see who uploaded what and delete an image.

The page is the no-JavaScript path: choose a file, get the Markdown snippet to paste into
any post, comment or bio. With JavaScript (``static/markdown_tools.js``) the same POST
answers JSON and the snippet is inserted at the cursor. Both go through
``finboard.core.upload_service``, the API's own use case.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, flash, redirect, render_template, request
from flask import url_for as url
from flask_login import login_required

from finboard.contract.errors import ApiError
from finboard.contract.uploads import (
    MEDIA_CACHE_CONTROL,
    MEDIA_CONTENT_TYPE,
    MEDIA_NAME_RE,
    UPLOAD_MAX_BYTES,
    UPLOAD_REQUEST_MAX,
    alt_from_filename,
    clean_alt,
    refused_file,
)
from finboard.core import media, upload_service
from finboard.extensions import db
from finboard.pages import me, refused, viewer_is_moderator
from finboard.uploads.forms import DeleteImageForm, UploadForm

bp = Blueprint("uploads", __name__)
# The endpoints whose requests may carry an image (every other stays under MAX_CONTENT_LENGTH).
UPLOAD_ENDPOINTS = ("uploads.create", "api.upload")


def _settings():
    return current_app.config["FINBOARD_SETTINGS"]


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


@bp.get("/uploads/new")
@login_required
def new():
    return render_template("uploads/new.html", form=UploadForm(), upload=None)


@bp.post("/uploads")
@login_required
def create():
    form = UploadForm()
    file = form.image.data
    try:
        if not form.validate_on_submit():
            raise ApiError(422, "invalid", {k: v[0] for k, v in form.errors.items()})
        if not file or not getattr(file, "filename", ""):
            raise refused_file("Choose an image to upload.")
        alt = clean_alt(form.alt.data) if (form.alt.data or "").strip() else alt_from_filename(file.filename)
        upload = upload_service.upload_image(db.session, _settings(), me(), file.read(UPLOAD_MAX_BYTES + 1), alt)
    except ApiError as exc:
        db.session.rollback()
        if _wants_json():
            return Response(exc.json(), status=exc.status, content_type="application/json")
        field = form.alt if "alt" in exc.fields else form.image
        field.errors = [exc.fields.get(field.name) or exc.fields.get("file") or exc.message]
        return render_template("uploads/new.html", form=form, upload=None), exc.status
    if _wants_json():
        return Response(upload.model_dump_json(), status=201, content_type="application/json")
    return render_template("uploads/new.html", form=UploadForm(formdata=None), upload=upload), 201


@bp.get("/media/<digest>.webp")
def media_file(digest: str):
    """An uploaded image: immutable (its name is its hash), typed, and never sniffed as anything else."""
    if not MEDIA_NAME_RE.fullmatch(digest):
        abort(404)
    data = media.media_storage(_settings()).get(digest)
    if data is None:
        abort(404)
    response = Response(data, mimetype=MEDIA_CONTENT_TYPE)
    response.headers["Cache-Control"] = MEDIA_CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(digest)
    return response.make_conditional(request)


@bp.get("/moderation/uploads")
@login_required
def moderation_list():
    if not viewer_is_moderator():
        return refused(ApiError(403, "moderators_only"))
    uploads = upload_service.recent_uploads(db.session)
    return render_template("uploads/moderation.html", uploads=uploads, form=DeleteImageForm())


@bp.post("/moderation/uploads/<digest>/delete")
@login_required
def moderation_delete(digest: str):
    if not MEDIA_NAME_RE.fullmatch(digest):
        abort(404)
    if not DeleteImageForm().validate_on_submit():
        abort(400)
    try:
        removed = upload_service.delete_image(db.session, _settings(), me(), digest)
    except ApiError as exc:
        db.session.rollback()
        return refused(exc)
    flash("Image deleted: posts that embed it now show its alt text." if removed else "That image was already gone.")
    return redirect(url("uploads.moderation_list"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    def allow_image_upload():
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = UPLOAD_REQUEST_MAX

    # First of all before-request functions: CSRFProtect reads the form in its own.
    app.before_request_funcs.setdefault(None, []).insert(0, allow_image_upload)
