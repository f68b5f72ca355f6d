"""Uploads and preview (as the Flask reference, finboard/api/uploads.py). The checks that read
the database run on this request's session (``run_sync``); decoding and re-encoding the image
and writing its file run in a thread, so a large picture never stalls the event loop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from backends.fastapi.deps import CurrentUser, SessionDep, SettingsDep, json_body
from backends.fastapi.responses import json_response
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
from finboard.core import upload_service
from finboard.core.text import render_markdown

router = APIRouter(tags=["uploads"])
MarkdownSource = Annotated[PreviewRequest, json_body(PreviewRequest)]


@router.post("/uploads")
async def upload(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > UPLOAD_REQUEST_MAX:
        raise ApiError(413, REQUEST_TOO_LARGE)
    async with request.form(max_files=1, max_fields=8, max_part_size=UPLOAD_REQUEST_MAX) as form:
        file, raw_alt = form.get("file"), form.get("alt")
        if not isinstance(file, UploadFile) or not file.filename:
            raise refused_file(NO_FILE)
        data = await file.read(UPLOAD_MAX_BYTES + 1)
    alt = clean_alt(raw_alt) if isinstance(raw_alt, str) and raw_alt.strip() else alt_from_filename(file.filename)
    await session.run_sync(upload_service.check_may_upload, settings, user)
    image = await run_in_threadpool(upload_service.encode_or_refuse, data)
    await run_in_threadpool(upload_service.store_image, settings, image)
    return json_response(await session.run_sync(upload_service.record_upload, user, image, alt), 201)


@router.post("/preview")
async def preview(user: CurrentUser, payload: MarkdownSource) -> Response:
    return json_response(PreviewPublic(html=render_markdown(payload.body)))
