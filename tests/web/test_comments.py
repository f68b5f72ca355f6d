"""Comments: adding, bad input, XSS, deleting (author only), comment_count kept right."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from finboard.core.models import Comment, Post
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


@pytest.fixture
def alice(client, make):
    user = make.user("alice")
    sign_in(client, user)
    return user


@pytest.fixture
def post(make):
    return make.post(make.user("bob"), title="Thoughts on $KO", body="Dividend safety check.")


def comment(client, auth, post_id, text_="Agree, **solid** payout."):
    return client.post(f"/posts/{post_id}/comments", data={"body": text_, "csrf_token": auth.csrf(f"/posts/{post_id}")})


def new_comment_id(response) -> int:
    """The id of the comment just added, from the redirect's ``#comment-N`` anchor."""
    return int(response.headers["Location"].rsplit("#comment-", 1)[1])


def counts(make, post_id) -> tuple[int, int]:
    """(posts.comment_count, real number of comment rows) for a post."""
    with make.app.app_context():
        stored = db.session.scalar(select(Post.comment_count).where(Post.id == post_id))
        real = db.session.scalar(select(func.count()).select_from(Comment).where(Comment.post_id == post_id))
        return stored, real


def test_add_comment(client, auth, make, alice, post):
    response = comment(client, auth, post)
    assert response.status_code == 302
    assert location_path(response) == f"/posts/{post}"
    row = make.get(Comment, new_comment_id(response))
    detail = client.get(f"/posts/{post}")
    assert flashes(detail) == ["Comment added."]
    assert "1 comment" in text(detail) and "Agree, solid payout." in text(detail)
    assert "<strong>solid</strong>" in body(detail)
    assert f'id="comment-{row.id}"' in body(detail)
    assert (row.body, row.author_id, row.post_id) == ("Agree, **solid** payout.", alice, post)
    assert counts(make, post) == (1, 1)
    assert "1 comment" in text(client.get("/"))  # the listing's count moved too


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Write a comment first."),
        ("   \n\t  ", "This field cannot be only spaces."),
        ("c" * 5_001, "At most 5,000 characters."),
    ],
)
def test_add_comment_rejects_bad_input_and_stores_nothing(client, auth, make, alice, post, value, message):
    response = comment(client, auth, post, value)
    assert response.status_code == 422
    assert field_error(response, "body") == message
    assert form_value(response, "body") == value.replace("\r\n", "\n")
    assert "Thoughts on $KO" in text(response)  # the post page, with the error under the form
    assert flashes(response) == []
    assert make.count(Comment) == 0
    assert counts(make, post) == (0, 0)


def test_comment_of_exactly_the_limit_is_accepted(client, auth, make, alice, post):
    assert comment(client, auth, post, "c" * 5_000).status_code == 302
    assert counts(make, post) == (1, 1)


def test_comment_without_csrf_token_is_refused(client, make, alice, post):
    response = client.post(f"/posts/{post}/comments", data={"body": "No token"})
    assert response.status_code == 400
    assert "Reload the page and try again" in text(response)
    assert make.count(Comment) == 0 and counts(make, post) == (0, 0)


@pytest.mark.parametrize("post_id", [999, 2**31])
def test_comment_on_missing_post_is_404(client, auth, make, alice, post, post_id):
    response = client.post(f"/posts/{post_id}/comments", data={"body": "Hello?", "csrf_token": auth.csrf("/")})
    assert response.status_code == 404
    assert "Not found" in text(response)
    assert make.count(Comment) == 0


def test_anonymous_comment_is_redirected_to_login(client, auth, make, post):
    data = {"body": "Anonymous words", "csrf_token": auth.csrf("/auth/login")}
    response = client.post(f"/posts/{post}/comments", data=data)
    assert response.status_code == 302
    assert location_path(response).startswith("/auth/login?")
    assert make.count(Comment) == 0 and counts(make, post) == (0, 0)


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert('c')</script>",
        '<img src=x onerror="alert(1)">',
        "<b onmouseover=alert(2)>hover</b>",
        "[click](javascript:alert(3))",
        '<a href="javascript:alert(4)">x</a>',
        "[x](vbscript:msgbox(5))",
        '"><svg/onload=alert(6)>',
    ],
)
def test_xss_in_comments_is_shown_inert(client, auth, make, alice, post, payload):
    response = comment(client, auth, post, payload)
    assert response.status_code == 302
    row = make.get(Comment, new_comment_id(response))
    assert row.body == payload  # stored as typed
    response = client.get(f"/posts/{post}")
    html = without_own_scripts(body(response))
    assert unsafe_markup(html) == []
    assert "<script" not in html.lower() and "<svg" not in html.lower() and "<img" not in html.lower()


# --- delete ---------------------------------------------------------------------


def test_delete_own_comment(client, auth, make, alice, post):
    mine = make.comment(post, alice, body="Mine, delete me")
    theirs = make.comment(post, make.get(Post, post).author_id, body="Theirs, keep me")
    assert counts(make, post) == (2, 2)
    token = auth.csrf(f"/posts/{post}")
    response = client.post(f"/comments/{mine}/delete", data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 302 and location_path(response) == f"/posts/{post}"
    detail = client.get(f"/posts/{post}")
    assert flashes(detail) == ["Comment deleted."]
    assert "Mine, delete me" not in text(detail) and "Theirs, keep me" in text(detail)
    assert "1 comment" in text(detail)
    assert make.get(Comment, mine) is None and make.get(Comment, theirs) is not None
    assert counts(make, post) == (1, 1)


def test_delete_someone_elses_comment_is_forbidden(client, auth, make, post):
    bob = make.get(Post, post).author_id
    carol = make.user("carol")
    bobs = make.comment(post, bob, body="Bob's comment")
    # carol wrote neither the comment nor the post.
    sign_in(client, carol)
    response = client.post(f"/comments/{bobs}/delete", data={"csrf_token": auth.csrf("/"), "confirm": "yes"})
    assert response.status_code == 403
    assert "You can only change your own posts and comments." in text(response)
    assert make.get(Comment, bobs) is not None and counts(make, post) == (1, 1)


def test_post_author_cannot_delete_other_peoples_comments(client, auth, make, post):
    bob = make.get(Post, post).author_id
    carol = make.user("carol")
    carols = make.comment(post, carol, body="Carol's comment")
    sign_in(client, bob)
    response = client.post(f"/comments/{carols}/delete", data={"csrf_token": auth.csrf("/"), "confirm": "yes"})
    assert response.status_code == 403
    assert make.get(Comment, carols) is not None and counts(make, post) == (1, 1)


def test_delete_comment_needs_post_and_csrf(client, make, alice, post):
    mine = make.comment(post, alice)
    assert client.get(f"/comments/{mine}/delete").status_code == 405
    response = client.post(f"/comments/{mine}/delete")
    assert response.status_code == 400
    assert make.get(Comment, mine) is not None and counts(make, post) == (1, 1)


@pytest.mark.parametrize("comment_id", [999, 2**31])
def test_delete_missing_comment_is_404(client, auth, make, alice, post, comment_id):
    make.comment(post, alice)
    response = client.post(f"/comments/{comment_id}/delete", data={"csrf_token": auth.csrf("/"), "confirm": "yes"})
    assert response.status_code == 404
    assert make.count(Comment) == 1 and counts(make, post) == (1, 1)


def test_delete_buttons_only_on_own_comments(client, make, alice, post):
    mine = make.comment(post, alice, body="mine")
    theirs = make.comment(post, make.get(Post, post).author_id, body="theirs")
    html = body(client.get(f"/posts/{post}"))
    assert f'action="/comments/{mine}/delete"' in html
    assert f'action="/comments/{theirs}/delete"' not in html
    assert f'action="/posts/{post}/delete"' not in html  # not alice's post


def test_comment_count_follows_every_add_and_delete(client, auth, make, alice, post):
    other_post = make.post(alice, title="Another post")
    token = auth.csrf(f"/posts/{post}")
    ids = []
    for i in range(4):
        response = client.post(f"/posts/{post}/comments", data={"body": f"comment {i}", "csrf_token": token})
        ids.append(new_comment_id(response))
    assert counts(make, post) == (4, 4)
    for comment_id in ids[:3]:
        client.post(f"/comments/{comment_id}/delete", data={"csrf_token": token, "confirm": "yes"})
    assert counts(make, post) == (1, 1)
    assert counts(make, other_post) == (0, 0)
    assert "1 comment" in text(client.get(f"/posts/{post}"))


def test_comments_are_paginated_oldest_first(client, make, post):
    alice = make.user("alice")
    for i in range(52):
        make.comment(post, alice, body=f"Comment number {i:02d}")
    first = client.get(f"/posts/{post}")
    assert "52 comments" in text(first)
    assert "Comment number 00" in text(first) and "Comment number 49" in text(first)
    assert "Comment number 50" not in text(first)
    assert f'href="/posts/{post}?page=2"' in body(first)
    second = client.get(f"/posts/{post}?page=2")
    assert second.status_code == 200
    assert "Comment number 50" in text(second) and "Comment number 51" in text(second)
    assert "Comment number 00" not in text(second)
    assert counts(make, post) == (52, 52)
