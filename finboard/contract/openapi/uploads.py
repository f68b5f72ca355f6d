"""OpenAPI paths of images and preview: upload an image for Markdown, render Markdown."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.openapi.operations import operation
from finboard.contract.uploads import (
    UPLOAD_MAX_BYTES,
    UPLOAD_MAX_PIXELS,
    PreviewPublic,
    PreviewRequest,
    UploadPublic,
)

MODELS: list[type[BaseModel]] = [UploadPublic, PreviewRequest, PreviewPublic]

UPLOAD_DESCRIPTION = (
    f"multipart/form-data with the image as `file` (PNG, JPEG, GIF or WebP, at most "
    f"{UPLOAD_MAX_BYTES // (1024 * 1024)} MB and {UPLOAD_MAX_PIXELS:,} pixels) and an optional `alt` "
    "text (default: the file name). The image is re-encoded as WebP (metadata removed, orientation "
    "applied, at most 2560 px a side) and named by the SHA-256 of the result, so the same picture "
    "always gets the same URL. 422 names `file` for a missing, fake, damaged, oversized or "
    "too-many-pixels image; 429 after UPLOADS_PER_HOUR uploads. Markdown embeds only these "
    "/media images; any other image URL renders as a link."
)
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "alt": {"type": "string", "maxLength": 120},
                },
            }
        }
    },
}


def paths() -> dict[str, Any]:
    upload = operation(
        "uploadImage",
        "Upload an image to embed in Markdown",
        201,
        UploadPublic,
        (401, 403, 413, 422, 429, 503),
        auth=True,
    )
    upload["description"] = UPLOAD_DESCRIPTION
    upload["requestBody"] = UPLOAD_BODY
    upload["responses"]["413"]["description"] = "Request body over 5 MB + 64 KiB"
    return {
        "/api/v1/uploads": {"post": upload},
        "/api/v1/preview": {
            "post": operation(
                "previewMarkdown",
                "Render Markdown as the forum shows it (sanitised HTML); nothing is saved",
                200,
                PreviewPublic,
                (400, 401, 413, 422, 503),
                body=PreviewRequest,
                auth=True,
            ),
        },
    }
