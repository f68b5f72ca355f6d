"""The one rule for reading an image someone uploads (avatars and Markdown images share it).

An upload is never trusted or stored as sent. Pillow reads only the header first, so a
file that is not a PNG, JPEG, GIF or WebP, or whose pixel count is absurd (a
decompression bomb), is refused before any pixel is decoded; Pillow's own bomb guard
(``DecompressionBombWarning`` turned into an error) backs the explicit check. The decoded
image is turned upright (EXIF orientation applied) and handed back as pixels only: the
caller writes a new file from them, so no EXIF, GPS, ICC or text chunk of the original
survives, and any payload hidden after the image data is dropped.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
FORMAT_NAMES = "PNG, JPEG, GIF or WebP"


class ImageRefused(ValueError):
    """The upload is refused; the message says why, for the member."""


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def decode(data: bytes, *, max_bytes: int, max_pixels: int) -> Image.Image:
    """The upright, fully decoded first frame of ``data``, or ImageRefused saying why not."""
    if len(data) > max_bytes:
        raise ImageRefused(f"The image is larger than {megabytes(max_bytes)}.")
    if not data:
        raise ImageRefused("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageRefused(f"The image has too many pixels ({width} × {height}).")
                image.load()
                upright = ImageOps.exif_transpose(image)
                # exif_transpose returns the same object when there is nothing to turn.
                return upright.copy() if upright is image else upright
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused("The image has too many pixels.") from exc
    except UnidentifiedImageError as exc:
        raise ImageRefused(f"That is not a {FORMAT_NAMES} image.") from exc
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt image data
        raise ImageRefused("The image is damaged or incomplete.") from exc


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
