"""/api/v1 uploads and preview in Django: thin views over upload_services and the shared
Markdown renderer. The reference is finboard/api/uploads.py, and so is the order of checks
(401, 413 over UPLOAD_REQUEST_MAX, 422 without a file, then the use case)."""

from __future__ import annotations

from django.http.multipartparser import MultiPartParserError

from finboard.contract.errors import ApiError
from finboard.contract.uploads import (
    NO_FILE,
    REQUEST_TOO_LARGE,
    UPLOAD_MAX_BYTES,
    UPLOAD_REQUEST_MAX,
    PreviewPublic,
    PreviewRequest,
    alt_from_filename,
    clean_alt,
    refused_file,
)
from finboard.core.text import render_markdown

from . import upload_services
from .responses import json_response
from .runtime import finboard_settings
from .views import ApiView, body, current_user


class UploadView(ApiView):
    def post(self, request):
        user = current_user(request)
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > UPLOAD_REQUEST_MAX:
            raise ApiError(413, REQUEST_TOO_LARGE)
        try:
            file = request.FILES.get("file")
            raw_alt = request.POST.get("alt", "")
        except MultiPartParserError:
            file, raw_alt = None, ""
        if file is None or not file.name:
            raise refused_file(NO_FILE)
        alt = clean_alt(raw_alt) if raw_alt.strip() else alt_from_filename(file.name)
        data = file.read(UPLOAD_MAX_BYTES + 1)
        return json_response(upload_services.upload_image(finboard_settings(), user, data, alt), 201)


class PreviewView(ApiView):
    def post(self, request):
        current_user(request)
        return json_response(PreviewPublic(html=render_markdown(body(request, PreviewRequest).body)))
