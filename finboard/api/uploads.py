"""/api/v1 uploads and preview in Flask: thin views over ``finboard.core.upload_service``
and ``finboard.core.text``. Order of checks as everywhere: token (401), then the use case
(403 suspended, 429 hourly allowance, 422 ``file``: missing, not an image, too large, too
many pixels). The request may be up to ``UPLOAD_REQUEST_MAX`` (finboard.uploads.views)."""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from finboard.api.views import body, bp, current_api_user, respond, settings
from finboard.contract.errors import ApiError
from finboard.contract.uploads import (
    NO_FILE,
    REQUEST_TOO_LARGE,
    UPLOAD_MAX_BYTES,
    PreviewPublic,
    PreviewRequest,
    clean_alt,
    refused_file,
)
from finboard.contract.uploads import alt_from_filename as default_alt
from finboard.core import upload_service
from finboard.core.text import render_markdown
from finboard.extensions import db


@bp.post("/uploads")
def upload():
    user = current_api_user()
    try:
        file = request.files.get("file")
    except RequestEntityTooLarge as exc:
        raise ApiError(413, REQUEST_TOO_LARGE) from exc
    if file is None or not file.filename:
        raise refused_file(NO_FILE)
    alt = request.form.get("alt", "")
    alt = clean_alt(alt) if alt.strip() else default_alt(file.filename)
    data = file.read(UPLOAD_MAX_BYTES + 1)
    return respond(upload_service.upload_image(db.session, settings(), user, data, alt), 201)


@bp.post("/preview")
def preview():
    current_api_user()
    return respond(PreviewPublic(html=render_markdown(body(PreviewRequest).body)))
