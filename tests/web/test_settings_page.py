"""/settings: avatars (re-encoded, metadata gone, bad files refused), sessions, notification preferences."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from finboard.core.account_models import NotificationPreference
from finboard.core.models import Notification, User
from finboard.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.web.two_factor_support import csrf_of


@pytest.fixture
def avatar_dir(app, tmp_path) -> Path:
    folder = tmp_path / "avatars"
    app.config["FINBOARD_SETTINGS"] = app.config["FINBOARD_SETTINGS"].replace(avatar_dir=str(folder))
    return folder


def _upload(client, data: bytes, name: str = "me.jpg", bio: str = "Value investor."):
    token = csrf_of(client.get("/settings").get_data(as_text=True))
    return client.post(
        "/settings/profile",
        data={"bio": bio, "avatar": (io.BytesIO(data), name), "csrf_token": token},
        content_type="multipart/form-data",
    )


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (1200, 800), "teal")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x8825] = {2: (48.0, 51.0, 24.0), 1: "N"}  # GPS: where it was taken
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


def _truncated_png() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((200, 200), 50).save(out, format="PNG")
    return out.getvalue()[: out.tell() // 2]


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` pixels (a decompression bomb's header)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + pixels + chunk(b"IEND", b"")


def test_avatar_is_resized_stripped_and_content_addressed(app, client, make, auth, avatar_dir):
    user_id = make.user("alice")
    auth.login()
    original = _jpeg_with_gps()
    assert b"SpyCam" in original
    assert _upload(client, original).status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        name, bio = user.avatar, user.bio
    assert bio == "Value investor."
    stored = (avatar_dir / f"{name}.png").read_bytes()
    assert hashlib.sha256(stored).hexdigest() == name
    assert b"SpyCam" not in stored and b"secret comment" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG" and image.size == (256, 256) and not image.getexif()
    served = client.get(f"/avatars/{name}.png")
    assert served.status_code == 200 and served.data == stored and served.mimetype == "image/png"
    assert f"/avatars/{name}.png" in client.get("/settings").get_data(as_text=True)
    assert f"/avatars/{name}.png" in client.get("/u/alice").get_data(as_text=True)  # on the member's page
    assert client.get("/avatars/..%2Fsecret.png").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<?php system($_GET['c']); ?>", "not a PNG, JPEG, GIF or WebP"),
        (_truncated_png(), "damaged or incomplete"),
        (_png_header_only(30000, 30000), "too many pixels"),
        (b"\xff\xd8" + b"\x00" * (2 * 1024 * 1024 + 10), "larger than 2 MB"),
    ],
    ids=["not-an-image", "truncated", "pixel-bomb", "oversized"],
)
def test_bad_avatars_are_refused_and_change_nothing(app, client, make, auth, avatar_dir, data, message):
    user_id = make.user("alice")
    auth.login()
    response = _upload(client, data, bio="Should not be saved.")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.avatar is None and user.bio == ""
    assert not avatar_dir.exists() or not any(avatar_dir.iterdir())


def test_sessions_listed_revoked_and_signed_out_everywhere(app, client, make, auth):
    make.user("alice")
    auth.login()
    other = app.test_client()
    page = other.get("/auth/login").get_data(as_text=True)
    other.post("/auth/login", data={"username": "alice", "password": TEST_PASSWORD, "csrf_token": csrf_of(page)},
               headers={"User-Agent": "OtherBrowser/1.0"})  # fmt: skip
    token = client.post("/api/v1/auth/login", json={"username": "alice", "password": TEST_PASSWORD}).json[
        "access_token"
    ]
    settings = client.get("/settings").get_data(as_text=True)
    assert "OtherBrowser/1.0" in settings and "this browser" in settings
    assert other.get("/settings").status_code == 200

    response = client.post("/settings/sessions/revoke-others", data={"csrf_token": csrf_of(settings), "confirm": "yes"})
    assert response.status_code == 302
    assert other.get("/settings").status_code == 302  # signed out
    assert client.get("/settings").status_code == 200  # this one stays
    api = client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401  # API tokens too

    # Another member's session id changes nothing; one's own current session logs out.
    with app.app_context():
        from finboard.core.models import UserSession

        mine = db.session.scalar(select(UserSession.id).where(UserSession.revoked_at.is_(None)))
    assert client.post("/settings/sessions/99999/revoke", data={"csrf_token": csrf_of(settings)}).status_code == 302
    assert client.get("/settings").status_code == 200
    client.post(f"/settings/sessions/{mine}/revoke", data={"csrf_token": csrf_of(settings)})
    assert client.get("/settings").status_code == 302


def test_notification_kind_turned_off_is_not_delivered(app, client, make, auth):
    bob = make.user("bob")
    ann = make.user("ann")
    auth.login("bob")
    settings = client.get("/settings").get_data(as_text=True)
    choices = {"kind_mention": "off", "kind_reply": "weekly", "kind_comment": "in_app", "kind_new_post": "email",
               "kind_ticker": "daily"}  # fmt: skip
    assert client.post("/settings/notifications", data={**choices, "csrf_token": csrf_of(settings)}).status_code == 302
    with app.app_context():
        stored = dict(
            db.session.execute(
                select(NotificationPreference.kind, NotificationPreference.delivery).where(
                    NotificationPreference.user_id == bob
                )
            ).all()
        )
    assert stored == {"mention": "off", "reply": "weekly", "new_post": "email", "ticker": "daily"}
    assert '<option selected value="weekly">' in client.get("/settings").get_data(as_text=True)
    bad = {**choices, "kind_reply": "sms", "csrf_token": csrf_of(settings)}
    refused = client.post("/settings/notifications", data=bad)
    assert refused.status_code == 422
    make.post(ann, title="Hello @bob", body="What do you think, @bob?")
    with app.app_context():
        assert db.session.scalars(select(Notification).where(Notification.user_id == bob)).all() == []
