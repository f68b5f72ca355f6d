"""Avatar images: checked, re-encoded and stored under a content-addressed name.

An upload is never stored as sent. Pillow reads only the header first, so a file that
is not a PNG, JPEG, GIF or WebP, or whose pixel count is absurd (a decompression bomb),
is refused before any pixel is decoded; the image is then decoded, cropped square,
resized to ``SIZE`` and written as a new PNG — no EXIF, GPS, ICC or text chunk of the
original survives (nothing is copied over), and any payload hidden after the image data
is dropped. The file is named by the SHA-256 of its bytes (``<hash>.png``), so it can be
cached forever and two members with the same picture share one file.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 40_000_000  # e.g. 8000 × 5000; more is refused before decoding
SIZE = 256
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
NAME_PATTERN = re.compile(r"[0-9a-f]{64}")


class AvatarError(ValueError):
    """The upload is refused; the message says why, for the member."""


def reencode(data: bytes) -> bytes:
    """The avatar PNG made from ``data``, or AvatarError."""
    if len(data) > MAX_BYTES:
        raise AvatarError(f"The image is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise AvatarError(f"The image has too many pixels ({width} × {height}).")
                image.load()
                square = ImageOps.fit(ImageOps.exif_transpose(image).convert("RGBA"), (SIZE, SIZE))
    except AvatarError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise AvatarError("The image has too many pixels.") from exc
    except UnidentifiedImageError as exc:
        raise AvatarError("That is not a PNG, JPEG, GIF or WebP image.") from exc
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt image data
        raise AvatarError("The image is damaged or incomplete.") from exc
    out = io.BytesIO()
    square.save(out, format="PNG", optimize=True)
    return out.getvalue()


def store(directory: str | Path, png: bytes) -> str:
    """Write ``png`` under its content hash (atomically) and return the hash."""
    digest = hashlib.sha256(png).hexdigest()
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}.png"
    if not target.exists():
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(png)
        os.replace(temporary, target)
    return digest
