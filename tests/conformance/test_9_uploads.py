"""Uploads and preview give the same answers on every backend that writes, and the right ones.

One scripted sequence per backend: refusals first (no token, no file, a text file named
.png, a pixel bomb, a file over 5 MB), then each format, the same picture twice (one
name), EXIF orientation applied, the hourly allowance (UPLOADS_PER_HOUR=5 here, conftest),
and the Markdown preview (our image embedded, an external one a link, @mentions and bare
URLs linked). Every backend writes into the same MEDIA_DIR: content-addressed names mean
they all produce the very same files.
"""

from __future__ import annotations

import io

import httpx
from PIL import Image

from finboard.contract.uploads import UPLOAD_MAX_BYTES, UPLOAD_REQUEST_MAX
from tests.conformance.sequence import assert_logs_identical, recorder
from tests.conformance.test_2_writes import bearer
from tests.image_samples import FAKE_PNG, jpeg_with_exif, picture, png_bomb

P = "/api/v1"
PASSWORD = "uploading-pass-1"
UPLOADS, PREVIEW = f"{P}/uploads", f"{P}/preview"


def _member(backend) -> dict[str, str]:
    account = {"username": "upl_ann", "email": "upl_ann@example.com", "password": PASSWORD}
    assert backend.request("POST", f"{P}/auth/register", json=account).status_code == 201
    response = backend.request("POST", f"{P}/auth/login", json={"username": "upl_ann", "password": PASSWORD})
    return bearer(response.json()["access_token"])


def multipart(name: str, data: bytes, kind: str = "image/png", headers=None, alt: str | None = None) -> dict:
    """A multipart/form-data body as bytes (httpx's encoder), so the in-process clients send it too."""
    encoded = httpx.Request(
        "POST", "http://x/", files={"file": (name, data, kind)}, data={"alt": alt} if alt is not None else None
    )
    return {"content": encoded.read(), "headers": {**(headers or {}), "content-type": encoded.headers["content-type"]}}


def run_sequence(backend) -> list:
    log: list = []
    ann = _member(backend)
    step = recorder(backend, log, lambda content: content)

    def up(label: str, status: int, name: str, data: bytes, kind: str = "image/png", **more):
        return step(label, "POST", UPLOADS, UPLOADS, status, **multipart(name, data, kind, **more))

    up("upload-anonymous", 401, "a.png", picture("PNG"))
    step("upload-no-file", "POST", UPLOADS, UPLOADS, 422, json={"file": "x"}, headers=ann)
    up("upload-fake", 422, "chart.png", FAKE_PNG, headers=ann)
    up("upload-bomb", 422, "bomb.png", png_bomb(), headers=ann)
    up("upload-oversized", 422, "big.png", b"\x89PNG" + b"\0" * UPLOAD_MAX_BYTES, headers=ann)
    up("upload-request-too-large", 413, "huge.png", b"\0" * UPLOAD_REQUEST_MAX, headers=ann)
    png = up("upload-png", 201, "q3-revenue.png", picture("PNG"), headers=ann)
    up("upload-png-again", 201, "q3-revenue.png", picture("PNG"), headers=ann)
    up("upload-jpeg-exif", 201, "p.jpg", jpeg_with_exif(), "image/jpeg", headers=ann, alt="My [desk] photo")
    up("upload-webp", 201, "w.webp", picture("WEBP", color=(9, 9, 9)), "image/webp", headers=ann)
    up("upload-gif", 201, "g.gif", picture("GIF", color=(0, 99, 0)), "image/gif", headers=ann)
    up("upload-fifth", 201, "5.png", picture("PNG", color=(5, 5, 5)), headers=ann)
    up("upload-over-allowance", 429, "6.png", picture("PNG", color=(6, 6, 6)), headers=ann)
    source = f"![chart]({png.json()['url']}) ![ext](https://example.com/x.png) @upl_ann https://example.com/a."
    step("preview-anonymous", "POST", PREVIEW, PREVIEW, 401, json={"body": source})
    step("preview", "POST", PREVIEW, PREVIEW, 200, json={"body": source}, headers=ann)
    step("preview-too-long", "POST", PREVIEW, PREVIEW, 422, json={"body": "x" * 20_001}, headers=ann)
    return log


def test_uploads_sequence_is_identical_everywhere(writable, media_dir):
    logs = {name: run_sequence(backend) for name, backend in writable.items()}
    assert_logs_identical(logs)
    for name, log in logs.items():
        check_data(name, {label: response.json() for label, _, _, response in log}, media_dir)


def check_data(name: str, r: dict, media_dir) -> None:
    """The sequence's answers are right, not only the same."""
    assert r["upload-no-file"]["error"]["fields"] == {"file": "Send the image as the multipart/form-data field `file`."}
    assert r["upload-fake"]["error"]["fields"] == {"file": "That is not a PNG, JPEG, GIF or WebP image."}
    assert r["upload-bomb"]["error"]["fields"] == {"file": "The image has too many pixels (10000 × 5000)."}
    assert r["upload-oversized"]["error"]["fields"] == {"file": "The image is larger than 5 MB."}
    assert r["upload-request-too-large"]["error"]["message"] == "The upload is larger than 5 MB: send a smaller image."
    png = r["upload-png"]
    assert r["upload-png-again"] == png, "the same picture twice: the same name"
    assert png["url"] == f"/media/{png['sha256']}.webp" and png["markdown"] == f"![q3 revenue]({png['url']})"
    assert (png["width"], png["height"]) == (64, 48)
    stored = media_dir / f"{png['sha256']}.webp"
    assert stored.stat().st_size == png["size"]
    assert Image.open(stored).format == "WEBP"
    jpeg = r["upload-jpeg-exif"]
    assert (jpeg["width"], jpeg["height"]) == (48, 64), "the EXIF orientation is applied"
    assert jpeg["markdown"].startswith("![My desk photo](/media/")
    exif_free = Image.open(io.BytesIO((media_dir / f"{jpeg['sha256']}.webp").read_bytes()))
    assert not exif_free.getexif() and b"SpyCam" not in (media_dir / f"{jpeg['sha256']}.webp").read_bytes()
    assert len({r[k]["sha256"] for k in ("upload-png", "upload-jpeg-exif", "upload-webp", "upload-gif")}) == 4
    assert "upload 5 images an hour" in r["upload-over-allowance"]["error"]["message"]
    html = r["preview"]["html"]
    assert f'<img src="{png["url"]}" alt="chart" loading="lazy">' in html, name
    assert 'class="external-image"' in html and '<img src="https://' not in html
    assert '<a href="/u/upl_ann" class="mention">@upl_ann</a>' in html
    assert '<a href="https://example.com/a" rel="nofollow ugc noopener noreferrer">https://example.com/a</a>.' in html
    assert set(r["preview-too-long"]["error"]["fields"]) == {"body"}
