"""Images made in memory for the upload tests: each format, EXIF-laden, fake and bomb files."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

ORIENTATION = 0x0112
GPS_IFD = 0x8825
MAKE = 0x010F


def picture(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color=(200, 30, 30)) -> bytes:
    image = Image.new("RGB", size, color)
    image.putpixel((0, 0), (0, 0, 255))  # one marker pixel, to see the orientation applied
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def jpeg_with_exif(size: tuple[int, int] = (64, 48), orientation: int = 6) -> bytes:
    """A JPEG saying "turn me 90°" and carrying a camera make and a GPS position."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "SpyCam 3000"
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 24.0)}
    image = Image.new("RGB", size, (20, 120, 20))
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 10_000, height: int = 5_000) -> bytes:
    """A tiny file whose header claims ``width`` × ``height`` pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


FAKE_PNG = b"This is a text file renamed to chart.png, not an image at all.\n" * 4
