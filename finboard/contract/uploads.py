"""Uploaded images: their limits, their public names, and what the API answers.

Every upload is re-encoded to WebP (``finboard.core.media``) and named by the SHA-256 of
the re-encoded bytes, so a name is a fact about the content: the same picture uploaded
twice is one file, and ``/media/<hash>.webp`` can be cached forever. Markdown embeds an
image only when its URL is one of these names (``finboard.core.text``): any other image
URL is shown as a plain link, so a reader's browser never fetches from a third party.
"""

from __future__ import annotations

import re

from pydantic import Field

from finboard.contract.base import Input, Schema
from finboard.contract.errors import ApiError
from finboard.contract.limits import POST_BODY_MAX

UPLOAD_MAX_BYTES = 5 * 1024 * 1024
# e.g. 8000 × 5000; more is refused from the header, before any pixel is decoded.
UPLOAD_MAX_PIXELS = 40_000_000
# The longer side of a stored image; larger pictures are scaled down (a chart needs no more).
UPLOAD_MAX_SIDE = 2560
# A multipart request may carry the file and a short alt text on top of UPLOAD_MAX_BYTES.
UPLOAD_REQUEST_MAX = UPLOAD_MAX_BYTES + 64 * 1024
ALT_MAX = 120
MEDIA_PATH = "/media/"
MEDIA_EXTENSION = ".webp"
MEDIA_CONTENT_TYPE = "image/webp"
MEDIA_NAME_RE = re.compile(r"[0-9a-f]{64}")
# A local image URL exactly as the upload hands it out (nothing before, after or in between).
MEDIA_URL_RE = re.compile(re.escape(MEDIA_PATH) + r"([0-9a-f]{64})" + re.escape(MEDIA_EXTENSION))
# The cache headers of every media file: its name changes whenever its bytes would.
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"
_ALT_UNSAFE = re.compile(r"[\[\]\\\r\n\t`*_<>]+")


def media_url(digest: str) -> str:
    return f"{MEDIA_PATH}{digest}{MEDIA_EXTENSION}"


def clean_alt(raw: str | None, fallback: str = "image") -> str:
    """Alt text that is safe inside ``![…]``: no brackets, markup characters or line breaks."""
    alt = " ".join(_ALT_UNSAFE.sub(" ", raw or "").split())[:ALT_MAX].strip()
    return alt or fallback


def alt_from_filename(filename: str | None) -> str:
    """``"Q3 chart.png"`` → ``"Q3 chart"``: a starting point for the alt text."""
    stem = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return clean_alt(stem.replace("-", " ").replace("_", " "))


def markdown_snippet(digest: str, alt: str) -> str:
    return f"![{clean_alt(alt)}]({media_url(digest)})"


class UploadPublic(Schema):
    url: str = Field(description="Where the image is served: /media/<sha256>.webp (cacheable forever).")
    markdown: str = Field(description="The Markdown that embeds it in a post, comment or bio.")
    sha256: str = Field(description="SHA-256 of the stored (re-encoded) bytes: the file's name.")
    width: int
    height: int
    size: int = Field(description="Bytes of the stored WebP file.")


class PreviewRequest(Input):
    body: str = Field(max_length=POST_BODY_MAX, description="Markdown, as a post, comment or bio would hold it.")


class PreviewPublic(Schema):
    html: str = Field(description="The Markdown as the forum renders it: sanitised HTML.")


def check_upload_allowance(recent: int, limit: int) -> None:
    """429 once the account uploaded ``limit`` images in the last hour (each backend counts them)."""
    if recent >= limit:
        raise ApiError(429, f"Each account can upload {limit} images an hour. Try again later.")


NO_FILE = "Send the image as the multipart/form-data field `file`."
REQUEST_TOO_LARGE = f"The upload is larger than {UPLOAD_REQUEST_MAX // (1024 * 1024)} MB: send a smaller image."


def refused_file(message: str) -> ApiError:
    """The 422 of an image that cannot be taken (not an image, too large, too many pixels)."""
    return ApiError(422, "invalid", {"file": message})
