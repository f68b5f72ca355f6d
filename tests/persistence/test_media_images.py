"""Uploaded images (finboard.core.media): re-encoding, refusals, names and both stores."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from finboard.contract.uploads import UPLOAD_MAX_BYTES, UPLOAD_MAX_SIDE, alt_from_filename, clean_alt
from finboard.core import avatars, media
from finboard.core.images import ImageRefused
from finboard.settings import Settings
from tests.image_samples import FAKE_PNG, jpeg_with_exif, picture, png_bomb


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3 HTTP endpoint (moto's server, in a thread on a free port), as MinIO or AWS would be."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_each_format_becomes_a_webp_named_by_its_hash(fmt):
    image = media.reencode(picture(fmt))
    stored = opened(image.data)
    assert stored.format == "WEBP" and stored.size == (64, 48) == (image.width, image.height)
    import hashlib

    assert image.sha256 == hashlib.sha256(image.data).hexdigest()


def test_exif_is_applied_then_dropped():
    image = media.reencode(jpeg_with_exif(size=(64, 48), orientation=6))
    stored = opened(image.data)
    assert stored.size == (48, 64)  # turned upright, as the camera asked
    assert not stored.getexif() and "exif" not in stored.info and "icc_profile" not in stored.info
    assert b"SpyCam" not in image.data


def test_the_same_picture_twice_has_the_same_name():
    assert media.reencode(picture("PNG")).sha256 == media.reencode(picture("PNG")).sha256
    assert media.reencode(picture("PNG")).sha256 != media.reencode(picture("PNG", color=(1, 2, 3))).sha256


def test_large_pictures_are_scaled_down():
    image = media.reencode(picture("PNG", size=(UPLOAD_MAX_SIDE * 2, 100)))
    assert (image.width, image.height) == (UPLOAD_MAX_SIDE, 50)


def test_transparency_is_kept():
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(out, format="PNG")
    assert opened(media.reencode(out.getvalue()).data).mode == "RGBA"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (FAKE_PNG, "not a PNG, JPEG, GIF or WebP"),
        (b"", "empty"),
        (picture("PNG")[:60], "damaged"),
        (png_bomb(), "too many pixels (10000 × 5000)"),  # over our limit: refused from the header
        (png_bomb(60_000, 60_000), "The image has too many pixels."),  # Pillow's own guard, first
        (b"\0" * (UPLOAD_MAX_BYTES + 1), "larger than 5 MB"),
        (picture("BMP"), "not a PNG, JPEG, GIF or WebP"),
    ],
)
def test_what_is_refused_and_why(data, message):
    with pytest.raises(ImageRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        media.reencode(data)


def test_avatars_use_the_same_rule():
    assert avatars.AvatarError is ImageRefused
    with pytest.raises(avatars.AvatarError, match="too many pixels"):
        avatars.reencode(png_bomb())
    assert opened(avatars.reencode(jpeg_with_exif())).size == (avatars.SIZE, avatars.SIZE)


def test_local_storage_writes_once_and_reads_back(tmp_path):
    store = media.LocalMediaStorage(tmp_path / "media")
    image = media.reencode(picture("PNG"))
    store.put(image.sha256, image.data)
    store.put(image.sha256, image.data)
    assert [p.name for p in (tmp_path / "media").iterdir()] == [f"{image.sha256}.webp"]
    assert store.get(image.sha256) == image.data
    store.delete(image.sha256)
    assert store.get(image.sha256) is None
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def test_s3_storage_round_trip_on_a_real_s3_endpoint(s3_endpoint):
    settings = Settings(
        MEDIA_STORAGE="s3",
        MEDIA_S3_BUCKET="finboard-media",
        MEDIA_S3_ENDPOINT_URL=s3_endpoint,
        MEDIA_S3_REGION="us-east-1",
        MEDIA_S3_ACCESS_KEY="testing",
        MEDIA_S3_SECRET_KEY="testing",
    )
    store = media.media_storage(settings)
    assert isinstance(store, media.S3MediaStorage)
    store.client.create_bucket(Bucket="finboard-media")
    image = media.reencode(picture("JPEG"))
    store.put(image.sha256, image.data)
    head = store.client.head_object(Bucket="finboard-media", Key=f"media/{image.sha256}.webp")
    assert head["ContentType"] == "image/webp"
    assert store.get(image.sha256) == image.data
    store.delete(image.sha256)
    assert store.get(image.sha256) is None


def test_s3_storage_needs_a_bucket():
    with pytest.raises(ValueError, match="MEDIA_S3_BUCKET"):
        Settings(MEDIA_STORAGE="s3")


def test_alt_texts_are_safe_inside_markdown():
    assert clean_alt("a]](javascript:x) [b\n*c*") == "a (javascript:x) b c"
    assert clean_alt("") == "image"
    assert alt_from_filename("C:\\shots\\q3-revenue_chart.PNG") == "q3 revenue chart"
