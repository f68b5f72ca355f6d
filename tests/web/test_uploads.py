"""Image uploads on the forum: the no-JavaScript page, the script's JSON, /media files,
the moderators' list, and the Preview button on every Markdown form."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, update

from finboard.core.models import Comment, Post, User
from finboard.core.upload_models import Upload
from finboard.extensions import db
from tests.helpers import Document, field_error
from tests.image_samples import FAKE_PNG, jpeg_with_exif, picture, png_bomb
from tests.web.two_factor_support import csrf_of


@pytest.fixture
def media_dir(app, tmp_path) -> Path:
    folder = tmp_path / "media"
    app.config["FINBOARD_SETTINGS"] = app.config["FINBOARD_SETTINGS"].replace(media_dir=str(folder))
    return folder


@pytest.fixture
def member(make, auth):
    user_id = make.user("alice")
    auth.login()
    return user_id


def upload(client, data: bytes, name: str = "chart.png", alt: str = "", json: bool = False):
    token = csrf_of(client.get("/uploads/new").get_data(as_text=True))
    return client.post(
        "/uploads",
        data={"image": (io.BytesIO(data), name), "alt": alt, "csrf_token": token},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"} if json else {},
    )


def stored_files(media_dir: Path) -> list[str]:
    return sorted(p.name for p in media_dir.iterdir()) if media_dir.exists() else []


def uploads(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(select(Upload.user_id, Upload.sha256))]


def test_the_upload_page_needs_an_account(client):
    response = client.get("/uploads/new")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_upload_without_javascript_shows_the_snippet(app, client, member, media_dir, fmt):
    response = upload(client, picture(fmt), name=f"q3 chart.{fmt.lower()}")
    assert response.status_code == 201
    (name,) = stored_files(media_dir)
    snippet = Document(response.get_data(as_text=True)).elements
    values = [
        dict(attrs).get("value")
        for tag, attrs in snippet
        if tag == "input" and dict(attrs).get("id") == "upload-snippet"
    ]
    assert values == [f"![q3 chart](/media/{name})"]
    assert uploads(app) == [(member, name.removesuffix(".webp"))]


def test_the_script_gets_json(client, member, media_dir):
    response = upload(client, jpeg_with_exif(), alt="Desk [photo]", json=True)
    assert response.status_code == 201
    body = response.get_json()
    assert body["markdown"] == f"![Desk photo]({body['url']})" and (body["width"], body["height"]) == (48, 64)
    stored = Image.open(media_dir / f"{body['sha256']}.webp")
    assert stored.format == "WEBP" and not stored.getexif()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (FAKE_PNG, "That is not a PNG, JPEG, GIF or WebP image."),
        (png_bomb(), "The image has too many pixels (10000 × 5000)."),
        (b"\x89PNG" + b"\0" * (5 * 1024 * 1024), "The image is larger than 5 MB."),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(app, client, member, media_dir, data, message):
    response = upload(client, data)
    assert response.status_code == 422
    assert field_error(response, "image") == message
    assert stored_files(media_dir) == [] and uploads(app) == []
    as_json = upload(client, data, json=True)
    assert as_json.status_code == 422 and as_json.get_json()["error"]["fields"] == {"file": message}


def test_a_request_far_over_the_limit_is_refused_before_reading(app, client, member, media_dir):
    response = upload(client, b"\0" * (6 * 1024 * 1024))
    assert response.status_code == 413 and stored_files(media_dir) == []


def test_the_same_picture_twice_is_one_file_and_one_row(app, client, member, media_dir):
    first = upload(client, picture("PNG"), json=True).get_json()
    second = upload(client, picture("PNG"), json=True).get_json()
    assert first == second
    assert stored_files(media_dir) == [f"{first['sha256']}.webp"] and len(uploads(app)) == 1


def test_the_hourly_allowance(app, client, member, media_dir):
    app.config["FINBOARD_SETTINGS"] = app.config["FINBOARD_SETTINGS"].replace(uploads_per_hour=2)
    for shade in (1, 2):
        assert upload(client, picture("PNG", color=(shade, 0, 0))).status_code == 201
    refused = upload(client, picture("PNG", color=(3, 0, 0)), json=True)
    assert refused.status_code == 429 and "2 images an hour" in refused.get_json()["error"]["message"]
    assert len(stored_files(media_dir)) == 2


def test_media_files_are_immutable_typed_and_not_sniffed(client, member, media_dir):
    body = upload(client, picture("PNG"), json=True).get_json()
    response = client.get(body["url"])
    assert response.status_code == 200 and response.data == (media_dir / f"{body['sha256']}.webp").read_bytes()
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(body["url"], headers={"If-None-Match": f'"{body["sha256"]}"'}).status_code == 304
    assert client.get("/media/" + "0" * 64 + ".webp").status_code == 404
    assert client.get("/media/..%2Fsecret.webp").status_code == 404


def test_an_uploaded_image_shows_in_the_post(app, client, make, member, media_dir):
    body = upload(client, picture("PNG"), alt="my chart", json=True).get_json()
    post_id = make.post(member, body=f"Look:\n\n{body['markdown']}\n\n![ext](https://tracker.example/p.png)")
    page = client.get(f"/posts/{post_id}").get_data(as_text=True)
    images = [
        dict(a) for tag, a in Document(page).elements if tag == "img" and dict(a).get("src", "").startswith("/media/")
    ]
    assert images == [{"src": body["url"], "alt": "my chart", "loading": "lazy"}]
    assert "tracker.example/p.png" in page and '<img src="https://tracker' not in page


def test_moderators_see_who_uploaded_and_delete_an_image(app, client, make, auth, member, media_dir):
    body = upload(client, picture("PNG"), json=True).get_json()
    assert client.get("/moderation/uploads").status_code == 403
    token = csrf_of(client.get("/uploads/new").get_data(as_text=True))
    assert client.post(f"/moderation/uploads/{body['sha256']}/delete", data={"csrf_token": token}).status_code == 403
    assert stored_files(media_dir) == [f"{body['sha256']}.webp"], "a member deletes nothing"
    moderator = make.user("mod")
    with app.app_context():
        db.session.execute(update(User).where(User.id == moderator).values(role="moderator"))
        db.session.commit()
    auth.logout()
    auth.login("mod")
    page = client.get("/moderation/uploads")
    assert page.status_code == 200 and "alice" in page.get_data(as_text=True)
    token = csrf_of(page.get_data(as_text=True))
    response = client.post(f"/moderation/uploads/{body['sha256']}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert stored_files(media_dir) == [] and uploads(app) == []
    assert client.get(body["url"]).status_code == 404


# --- Preview -------------------------------------------------------------------------


def preview_html(response) -> str:
    match = re.search(r'<section class="card markdown-preview".*?</section>', response.get_data(as_text=True), re.S)
    assert match, "no preview on the page"
    return match.group(0)


def test_preview_of_a_new_post_saves_nothing(app, client, make, member):
    token = csrf_of(client.get("/posts/new").get_data(as_text=True))
    form = {"title": "", "category": "stocks", "body": "**Long** $AAPL, ask @alice", "csrf_token": token}
    response = client.post("/posts/new", data={**form, "preview": "1"})
    assert response.status_code == 200
    html = preview_html(response)
    assert "<strong>Long</strong>" in html and 'href="/t/AAPL"' in html and 'href="/u/alice"' in html
    assert make.count(Post) == 0
    assert "**Long** $AAPL, ask @alice</textarea>" in response.get_data(as_text=True)  # the text is kept


def test_preview_of_an_edit_and_a_comment_saves_nothing(app, client, make, member):
    post_id = make.post(member, body="Original body.")
    token = csrf_of(client.get(f"/posts/{post_id}/edit").get_data(as_text=True))
    form = {"title": "Why $AAPL still matters", "category": "stocks", "body": "_new_ body", "csrf_token": token}
    response = client.post(f"/posts/{post_id}/edit", data={**form, "preview": "1"})
    assert response.status_code == 200 and "<em>new</em> body" in preview_html(response)
    assert make.get(Post, post_id).body == "Original body."
    response = client.post(f"/posts/{post_id}/comments", data={"body": "See https://example.com", "csrf_token": token,
                                                                 "preview": "1"})  # fmt: skip
    assert response.status_code == 200
    assert '<a href="https://example.com" rel="nofollow ugc noopener noreferrer">' in preview_html(response)
    assert make.count(Comment) == 0


def test_preview_of_a_bio_saves_nothing(app, client, member):
    token = csrf_of(client.get("/settings").get_data(as_text=True))
    response = client.post("/settings/profile", data={"bio": "*Value* investor", "csrf_token": token, "preview": "1"})
    assert response.status_code == 200 and "<em>Value</em> investor" in preview_html(response)
    with app.app_context():
        assert db.session.get(User, member).bio in ("", None)


def test_every_markdown_form_has_preview_and_image_controls(client, make, member):
    post_id = make.post(member)
    for path in ("/posts/new", f"/posts/{post_id}/edit", f"/posts/{post_id}", "/settings", "/profile/edit"):
        page = client.get(path).get_data(as_text=True)
        assert 'name="preview"' in page and 'href="/uploads/new"' in page, path
