"""Images for Markdown: re-encoded to WebP, named by their hash, kept on disk or in S3.

``reencode`` reads an upload with the shared rule (``finboard.core.images``: type sniffed,
pixel bombs refused, orientation applied, nothing of the original file kept), scales it
down to ``UPLOAD_MAX_SIDE`` and writes a new WebP; the SHA-256 of those bytes is its
name. Storage is a setting (``MEDIA_STORAGE``): ``LocalMediaStorage`` under the instance
folder by default, ``S3MediaStorage`` for any S3-compatible object store. Both write a
name once (a second upload of the same picture writes nothing) and read it back for
``/media/<hash>.webp``, so the public URL is the same whichever store holds the bytes.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from PIL import Image

from finboard.contract.uploads import (
    MEDIA_CONTENT_TYPE,
    MEDIA_EXTENSION,
    MEDIA_NAME_RE,
    UPLOAD_MAX_BYTES,
    UPLOAD_MAX_PIXELS,
    UPLOAD_MAX_SIDE,
)
from finboard.core.images import decode, has_alpha
from finboard.settings import Settings

WEBP_QUALITY = 85


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    sha256: str
    width: int
    height: int


def reencode(data: bytes) -> EncodedImage:
    """The WebP made from ``data`` (first frame of an animation), or ImageRefused saying why not."""
    image = decode(data, max_bytes=UPLOAD_MAX_BYTES, max_pixels=UPLOAD_MAX_PIXELS)
    image = image.convert("RGBA" if has_alpha(image) else "RGB")
    image.thumbnail((UPLOAD_MAX_SIDE, UPLOAD_MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A new file from the pixels alone: no exif=, icc_profile= or xmp= is passed on.
    image.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
    webp = out.getvalue()
    return EncodedImage(webp, hashlib.sha256(webp).hexdigest(), image.width, image.height)


def file_name(digest: str) -> str:
    if not MEDIA_NAME_RE.fullmatch(digest):
        raise ValueError("not a media name")
    return f"{digest}{MEDIA_EXTENSION}"


class MediaStorage(Protocol):
    def put(self, digest: str, data: bytes) -> None: ...
    def get(self, digest: str) -> bytes | None: ...
    def delete(self, digest: str) -> None: ...


def write_once(folder: Path, name: str, data: bytes) -> None:
    """Write ``folder/name`` atomically unless it exists (content-addressed: same name, same bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        return
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.replace(temporary, target)


class LocalMediaStorage:
    """Files under one folder (``MEDIA_DIR``, by default ``instance/media``)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def put(self, digest: str, data: bytes) -> None:
        write_once(self.directory, file_name(digest), data)

    def get(self, digest: str) -> bytes | None:
        try:
            return (self.directory / file_name(digest)).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, digest: str) -> None:
        (self.directory / file_name(digest)).unlink(missing_ok=True)


class S3MediaStorage:
    """Objects ``<prefix><hash>.webp`` in one bucket of an S3-compatible store (boto3)."""

    def __init__(self, settings: Settings, client=None) -> None:
        self.bucket = settings.media_s3_bucket
        self.prefix = settings.media_s3_prefix
        self.client = client or _s3_client(
            settings.media_s3_endpoint_url,
            settings.media_s3_region,
            settings.media_s3_access_key,
            settings.media_s3_secret_key,
        )

    def _key(self, digest: str) -> str:
        return f"{self.prefix}{file_name(digest)}"

    def put(self, digest: str, data: bytes) -> None:
        # Content-addressed: overwriting an existing key writes the same bytes, so no check first.
        self.client.put_object(Bucket=self.bucket, Key=self._key(digest), Body=data, ContentType=MEDIA_CONTENT_TYPE)

    def get(self, digest: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(digest))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def delete(self, digest: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(digest))


@lru_cache(maxsize=4)
def _s3_client(endpoint_url: str | None, region: str | None, access_key: str | None, secret_key: str | None):
    """One boto3 client per configuration and process (clients are thread-safe), built on first use."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
    )


def media_storage(settings: Settings) -> MediaStorage:
    if settings.media_storage == "s3":
        return S3MediaStorage(settings)
    return LocalMediaStorage(settings.media_dir)
