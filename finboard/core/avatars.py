"""Avatar images: checked, re-encoded and stored under a content-addressed name.

An upload is read by the shared rule of ``finboard.core.images`` (type sniffed from the
header, pixel bombs refused before decoding, orientation applied), then cropped square,
resized to ``SIZE`` and written as a new PNG — no EXIF, GPS, ICC or text chunk of the
original survives (nothing is copied over), and any payload hidden after the image data
is dropped. The file is named by the SHA-256 of its bytes (``<hash>.png``), so it can be
cached forever and two members with the same picture share one file.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from PIL import ImageOps

from finboard.core.images import FORMATS, ImageRefused, decode
from finboard.core.media import write_once

__all__ = ["FORMATS", "AvatarError", "reencode", "store"]

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 40_000_000  # e.g. 8000 × 5000; more is refused before decoding
SIZE = 256
NAME_PATTERN = re.compile(r"[0-9a-f]{64}")


# The avatar rule's name for the shared refusal (settings pages catch it).
AvatarError = ImageRefused


def reencode(data: bytes) -> bytes:
    """The avatar PNG made from ``data``, or AvatarError."""
    image = decode(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    square = ImageOps.fit(image.convert("RGBA"), (SIZE, SIZE))
    out = io.BytesIO()
    square.save(out, format="PNG", optimize=True)
    return out.getvalue()


def store(directory: str | Path, png: bytes) -> str:
    """Write ``png`` under its content hash (atomically, once) and return the hash."""
    digest = hashlib.sha256(png).hexdigest()
    write_once(Path(directory), f"{digest}.png", png)
    return digest
