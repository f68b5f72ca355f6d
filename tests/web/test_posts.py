"""Writing, reading, editing and deleting posts: forms, bad input, XSS, ownership."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from finboard.core.models import Category, Comment, Post, PostCashtag
from finboard.extensions import db
from tests.helpers import (
    body,
    field_error,
    flashes,
    form_value,
    location_path,
    sign_in,
    text,
    unsafe_markup,
    without_own_scripts,
)

XSS_TITLE = '<script>alert("t")</script><img src=x onerror=alert(1)> $NVDA'
XSS_BODY = """<script>alert('b')</script>
<img src=x onerror="alert(2)">
<a href="javascript:alert(3)">raw link</a>
[md link](javascript:alert(4)) [upper](JAVASCRIPT:alert(5)) [entity](&#106;avascript:alert(6))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==)
<svg onload=alert(8)></svg> <iframe src="https://evil.example"></iframe>
**still bold**"""


def new_post(client, auth, **fields):
    data = {"title": "Buying more $NVDA", "body": "Long **$NVDA**, watching $amd.", "category": "stocks"}
    data.update(fields)
    return client.post("/posts/new", data={**data, "csrf_token": auth.csrf("/posts/new")})


def tickers(make, post_id: int) -> tuple[list[str], list[str]]:
    """(posts.cashtags, post_cashtags rows) for a post, both sorted."""
    with make.app.app_context():
        post = db.session.get(Post, post_id)
        rows = db.session.scalars(select(PostCashtag.ticker).where(PostCashtag.post_id == post_id)).all()
        return sorted(post.cashtags.split()), sorted(rows)


def category_slug(make, post_id: int) -> str:
    with make.app.app_context():
        post = db.session.get(Post, post_id)
        return db.session.get(Category, post.category_id).slug


@pytest.fixture
def alice(client, make):
    user = make.user("alice")
    sign_in(client, user)
    return user


# --- new post -------------------------------------------------------------------


def test_new_post_form(client, alice):
    response = client.get("/posts/new")
    assert response.status_code == 200
    page = body(response)
    for slug in ("stocks", "crypto", "dividends", "options", "macro", "personal-finance", "earnings", "off-topic"):
        assert f'value="{slug}"' in page
    assert form_value(response, "title") == "" and form_value(response, "body") == ""
    assert form_value(client.get("/posts/new?category=crypto"), "category") == "crypto"


def test_create_post(client, auth, make, alice):
    response = new_post(client, auth, title="  Buying more $NVDA  ")
    assert response.status_code == 302
    post_id = int(location_path(response).rsplit("/", 1)[1])
    assert location_path(response) == f"/posts/{post_id}"
    detail = client.get(location_path(response))
    assert flashes(detail) == ["Your post is live."]
    post = make.get(Post, post_id)
    assert post.title == "Buying more $NVDA"  # stripped
    assert post.body == "Long **$NVDA**, watching $amd."
    assert post.author_id == alice
    assert category_slug(make, post_id) == "stocks"
    assert post.comment_count == 0
    assert tickers(make, post_id) == (["AMD", "NVDA"], ["AMD", "NVDA"])
    assert post.cashtags == "NVDA AMD"  # order of first appearance
    page = text(detail)
    assert "Buying more $NVDA" in page and "alice" in page and "Stocks" in page


def test_create_post_caps_cashtags_at_twenty(client, auth, make, alice):
    many = " ".join(f"$T{i:02d}" for i in range(30))
    response = new_post(client, auth, title="A basket of tickers", body=many)
    post_id = int(location_path(response).rsplit("/", 1)[1])
    stored, rows = tickers(make, post_id)
    assert len(stored) == 20 and stored == rows
    assert stored == sorted(f"T{i:02d}" for i in range(20))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "Give your post a title."),
        ({"title": "ab"}, "title", "Between 3 and 200 characters."),
        ({"title": "x" * 201}, "title", "Between 3 and 200 characters."),
        ({"title": "     "}, "title", "This field cannot be only spaces."),
        ({"body": ""}, "body", "Write something."),
        ({"body": " \n\t "}, "body", "This field cannot be only spaces."),
        ({"body": "b" * 20_001}, "body", "At most 20,000 characters."),
        ({"category": ""}, "category", "Choose a category."),
        ({"category": "nope"}, "category", "Not a valid choice."),
        ({"category": "'; drop table posts; --"}, "category", "Not a valid choice."),
    ],
)
def test_create_post_rejects_bad_input_and_stores_nothing(client, auth, make, alice, fields, field, message):
    response = new_post(client, auth, **fields)
    assert response.status_code == 422
    assert field_error(response, field) == message
    assert flashes(response) == []
    assert make.count(Post) == 0 and make.count(PostCashtag) == 0
    # What was typed is kept, so nothing has to be retyped.
    for name, value in fields.items():
        if name != "category":
            assert form_value(response, name) == value.replace("\r\n", "\n")


def test_create_post_keeps_the_other_fields_after_an_error(client, auth, make, alice):
    response = new_post(client, auth, title="", body="My **draft**", category="macro")
    assert response.status_code == 422
    assert form_value(response, "body") == "My **draft**"
    assert form_value(response, "category") == "macro"
    assert make.count(Post) == 0


def test_create_post_without_csrf_token_is_refused(client, make, alice):
    response = client.post("/posts/new", data={"title": "No token", "body": "Body", "category": "stocks"})
    assert response.status_code == 400
    assert "The form expired or was not sent from FinBoard" in text(response)
    assert make.count(Post) == 0


def test_create_post_with_a_wrong_csrf_token_is_refused(client, make, alice):
    data = {"title": "Forged", "body": "Body", "category": "stocks", "csrf_token": "forged-token"}
    assert client.post("/posts/new", data=data).status_code == 400
    assert make.count(Post) == 0


def test_oversized_request_is_refused(client, auth, make, alice):
    response = new_post(client, auth, body="x" * 300_000)
    assert response.status_code == 413
    assert "Too large" in text(response)
    assert make.count(Post) == 0


def test_nul_character_is_refused_not_a_server_error(client, auth, make, alice):
    response = new_post(client, auth, title="Nul\x00title")
    assert response.status_code == 400
    assert "NUL character" in text(response)
    assert make.count(Post) == 0


# --- XSS ------------------------------------------------------------------------


def test_xss_in_title_and_body_is_stored_as_typed_and_shown_inert(client, auth, make, alice):
    response = new_post(client, auth, title=XSS_TITLE, body=XSS_BODY)
    assert response.status_code == 302
    post_id = int(location_path(response).rsplit("/", 1)[1])
    post = make.get(Post, post_id)
    assert (post.title, post.body) == (XSS_TITLE, XSS_BODY)  # stored verbatim, escaped on output
    for path in (f"/posts/{post_id}", "/", "/c/stocks", "/u/alice", "/search?q=alert", "/search?cashtag=NVDA"):
        page = client.get(path)
        assert page.status_code == 200, path
        html = without_own_scripts(body(page))
        assert unsafe_markup(html) == [], path
        assert "<script" not in html.lower() and "<img" not in html and "<svg" not in html, path
        assert XSS_TITLE in text(page), path  # the title is shown, as text
    detail = body(client.get(f"/posts/{post_id}"))
    assert "<strong>still bold</strong>" in detail


def test_markdown_is_rendered(client, make):
    alice = make.user("alice")
    post = make.post(
        alice,
        title="Formatting",
        body="**bold** and *em*\n\n- one\n- two\n\n`code` [site](https://example.com)\n\n> quoted",
    )
    html = body(client.get(f"/posts/{post}"))
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html
    assert "<li>one</li>" in html and "<code>code</code>" in html and "<blockquote>" in html
    assert '<a href="https://example.com" rel="nofollow ugc noopener noreferrer">site</a>' in html


# --- post page ------------------------------------------------------------------


def test_post_page_shows_author_category_cashtags_and_comments(client, make):
    alice = make.user("alice")
    bob = make.user("bob")
    post = make.post(alice, title="Dividend check on $KO", body="Payout is fine.", category="dividends")
    make.comment(post, bob, body="I hold **KO** too.")
    make.comment(post, alice, body="Nice.")
    response = client.get(f"/posts/{post}")
    assert response.status_code == 200
    page = text(response)
    assert "Dividend check on $KO" in page and "Payout is fine." in page
    assert "by alice" in page and "Dividends" in page and "2 comments" in page
    html = body(response)
    assert 'href="/t/KO"' in html and 'href="/c/dividends"' in html and 'href="/u/alice"' in html
    assert "I hold <strong>KO</strong> too." in html
    assert html.index("I hold") < html.index("Nice.")  # oldest first
    # Anonymous visitors get a login link instead of the comment form, and no edit buttons.
    assert f'href="/auth/login?next=/posts/{post}"' in html or f"next=%2Fposts%2F{post}" in html
    assert "Delete post" not in page and f"/posts/{post}/edit" not in html


def test_post_page_ids_are_unique(client, auth, make):
    alice = make.user("alice")
    post = make.post(alice)
    make.comment(post, alice)
    sign_in(client, alice)
    ids = re.findall(r'\sid="([^"]+)"', body(client.get(f"/posts/{post}")))
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("path", ["/posts/999", "/posts/0", "/posts/2147483648", "/posts/99999999999999999999"])
def test_missing_post_is_a_friendly_404(client, make, path):
    alice = make.user("alice")
    make.post(alice)
    response = client.get(path)
    assert response.status_code == 404
    assert "Not found" in text(response) and "Back to the latest posts" in text(response)
    assert make.count(Post) == 1


def test_post_page_rejects_non_numeric_ids(client, make):
    make.post(make.user("alice"))
    for path in ("/posts/abc", "/posts/-1", "/posts/1.5", "/posts/1%27%20OR%201=1"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "There is nothing here." in text(response), path
    assert make.count(Post) == 1


# --- edit -----------------------------------------------------------------------


def test_edit_form_is_prefilled(client, make, alice):
    post = make.post(alice, title="Old title $AAPL", body="Old body", category="crypto")
    response = client.get(f"/posts/{post}/edit")
    assert response.status_code == 200
    assert form_value(response, "title") == "Old title $AAPL"
    assert form_value(response, "body") == "Old body"
    assert form_value(response, "category") == "crypto"
    assert "Edit post" in text(response)


def test_edit_post_updates_fields_and_reparses_cashtags(client, auth, make, alice):
    post = make.post(alice, title="Old title $AAPL", body="About $MSFT", category="stocks")
    before = make.get(Post, post)
    data = {"title": "New title $TSLA", "body": "Now about $BTC and $tsla", "category": "crypto"}
    response = client.post(f"/posts/{post}/edit", data={**data, "csrf_token": auth.csrf(f"/posts/{post}/edit")})
    assert response.status_code == 302 and location_path(response) == f"/posts/{post}"
    detail = client.get(f"/posts/{post}")
    assert flashes(detail) == ["Post updated."]
    assert "New title $TSLA" in text(detail) and "edited" in text(detail)
    after = make.get(Post, post)
    assert (after.title, after.body) == ("New title $TSLA", "Now about $BTC and $tsla")
    assert category_slug(make, post) == "crypto"
    assert tickers(make, post) == (["BTC", "TSLA"], ["BTC", "TSLA"])
    assert after.created_at == before.created_at and after.updated_at > before.updated_at
    assert make.count(Post) == 1


def test_edit_post_with_bad_input_changes_nothing(client, auth, make, alice):
    post = make.post(alice, title="Keep me $AAPL", body="Body")
    data = {"title": "", "body": "x" * 20_001, "category": "stocks", "csrf_token": auth.csrf(f"/posts/{post}/edit")}
    response = client.post(f"/posts/{post}/edit", data=data)
    assert response.status_code == 422
    assert field_error(response, "title") == "Give your post a title."
    assert field_error(response, "body") == "At most 20,000 characters."
    assert make.get(Post, post).title == "Keep me $AAPL"
    assert tickers(make, post) == (["AAPL"], ["AAPL"])


def test_edit_someone_elses_post_is_forbidden(client, auth, make, alice):
    bob = make.user("bob")
    post = make.post(bob, title="Bob's post $AAPL", body="Bob's body")
    response = client.get(f"/posts/{post}/edit")
    assert response.status_code == 403
    assert "You can only change your own posts and comments." in text(response)
    data = {"title": "Hijacked", "body": "Hijacked", "category": "crypto", "csrf_token": auth.csrf("/")}
    response = client.post(f"/posts/{post}/edit", data=data)
    assert response.status_code == 403
    after = make.get(Post, post)
    assert (after.title, after.body) == ("Bob's post $AAPL", "Bob's body")
    assert tickers(make, post) == (["AAPL"], ["AAPL"])


def test_edit_without_csrf_token_changes_nothing(client, make, alice):
    post = make.post(alice, title="Keep me")
    response = client.post(f"/posts/{post}/edit", data={"title": "Changed", "body": "Changed", "category": "stocks"})
    assert response.status_code == 400
    assert make.get(Post, post).title == "Keep me"


@pytest.mark.parametrize("post_id", [999, 2**31])
def test_edit_missing_post_is_404(client, auth, alice, post_id):
    assert client.get(f"/posts/{post_id}/edit").status_code == 404
    data = {"title": "x" * 5, "body": "x", "category": "stocks", "csrf_token": auth.csrf("/")}
    response = client.post(f"/posts/{post_id}/edit", data=data)
    assert response.status_code == 404
    assert "Not found" in text(response)


# --- delete ---------------------------------------------------------------------


def test_delete_post_removes_it_with_comments_and_cashtags(client, auth, make, alice):
    bob = make.user("bob")
    post = make.post(alice, title="Delete me $AAPL")
    other = make.post(bob, title="Keep me $MSFT", body="Nothing else.")
    make.comment(post, bob)
    make.comment(post, alice)
    kept_comment = make.comment(other, alice)
    response = client.post(f"/posts/{post}/delete", data={"csrf_token": auth.csrf(f"/posts/{post}"), "confirm": "yes"})
    assert response.status_code == 302 and location_path(response) == "/"
    home = client.get("/")
    assert flashes(home) == ["Post deleted."]
    assert "Delete me" not in text(home) and "Keep me $MSFT" in text(home)
    assert make.get(Post, post) is None
    assert make.count(Post) == 1 and make.count(Comment) == 1
    assert make.get(Comment, kept_comment) is not None
    assert tickers(make, other) == (["MSFT"], ["MSFT"])
    assert make.count(PostCashtag) == 1
    assert client.get(f"/posts/{post}").status_code == 404


def test_delete_someone_elses_post_is_forbidden(client, auth, make, alice):
    bob = make.user("bob")
    post = make.post(bob)
    make.comment(post, alice)
    response = client.post(f"/posts/{post}/delete", data={"csrf_token": auth.csrf("/"), "confirm": "yes"})
    assert response.status_code == 403
    assert "Not yours" in text(response)
    assert make.count(Post) == 1 and make.count(Comment) == 1


def test_delete_needs_post_and_csrf(client, make, alice):
    post = make.post(alice)
    assert client.get(f"/posts/{post}/delete").status_code == 405
    response = client.post(f"/posts/{post}/delete")
    assert response.status_code == 400
    assert make.count(Post) == 1


@pytest.mark.parametrize("post_id", [999, 2**31])
def test_delete_missing_post_is_404(client, auth, make, alice, post_id):
    make.post(alice)
    response = client.post(f"/posts/{post_id}/delete", data={"csrf_token": auth.csrf("/"), "confirm": "yes"})
    assert response.status_code == 404
    assert make.count(Post) == 1
