"""Every form that sends the browser back somewhere goes through one check,
``finboard.redirects.safe_next_url`` (issue 15): a ``next`` with CR/LF — which
used to split the Location header into a 500 — or any other target off the
site falls back to the form's own default."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from finboard.core.models import CategoryWatch, PostWatch, TickerFollow, User
from finboard.extensions import db
from finboard.redirects import NEXT_MAX, safe_next_url
from tests.helpers import body, location_path, logged_in_as, sign_in

SPLITTING = [
    "/posts/1\r\nSet-Cookie: session=evil",
    "/\r\n\r\n<script>alert(1)</script>",
    "/posts/1\nLocation: https://evil.example/",
    "/posts/1\rX: y",
    "/\x00",
    "/posts/1\x85",
    "/posts/1\x7f",
    "/a" * NEXT_MAX,
]


@pytest.mark.parametrize("target", SPLITTING)
def test_control_characters_and_overlong_targets_are_refused(target):
    assert safe_next_url(target) is None


@pytest.mark.parametrize("target", ["/posts/1?x=%0D%0A", "/t/BRK.B", "/search?q=caf%C3%A9", "/u/zoë", "/" * 1])
def test_encoded_and_unicode_paths_are_kept(target):
    assert safe_next_url(target) == target


def csrf(client, path: str = "/") -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', body(client.get(path)))
    assert match, f"no csrf_token on {path}"
    return match.group(1)


@pytest.mark.parametrize("target", SPLITTING[:4])
def test_login_with_a_splitting_next_goes_home(client, auth, make, target):
    make.user("alice")
    response = auth.login(next_url=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert logged_in_as(client) == "alice"


CRLF = "/posts/1\r\nSet-Cookie: session=evil"


@pytest.fixture
def member(make):
    return make.user("bob")


@pytest.fixture
def post(make, member):
    return make.post(make.user("alice"), title="Why $AAPL still matters", body="Long **$AAPL**.")


def test_watch_forms_with_a_splitting_next_go_to_their_default(client, make, member, post):
    sign_in(client, member)
    watched = client.post(f"/posts/{post}/watch", data={"watch": "1", "next": CRLF, "csrf_token": csrf(client)})
    assert watched.status_code == 302 and location_path(watched) == f"/posts/{post}"
    category = client.post("/c/crypto/watch", data={"watch": "1", "next": CRLF, "csrf_token": csrf(client)})
    assert category.status_code == 302 and location_path(category) == "/c/crypto"
    assert make.count(PostWatch) == 1 and make.count(CategoryWatch) == 1


def test_follow_forms_with_a_splitting_next_go_to_the_cashtag_page(client, make, member):
    sign_in(client, member)
    followed = client.post("/t/AAPL/follow", data={"next": CRLF, "csrf_token": csrf(client)})
    assert followed.status_code == 302 and location_path(followed) == "/t/AAPL"
    unfollowed = client.post("/t/AAPL/unfollow", data={"next": "/t/AAPL\n", "csrf_token": csrf(client)})
    assert unfollowed.status_code == 302 and location_path(unfollowed) == "/t/AAPL"
    assert make.count(TickerFollow) == 0


def test_moderation_forms_with_a_splitting_next_go_to_their_default(client, make, post):
    moderator = make.user("mod")
    with make.app.app_context():
        db.session.execute(update(User).where(User.id == moderator).values(role="moderator"))
        db.session.commit()
    sign_in(client, moderator)
    form = {"reason": "Off topic here", "next": CRLF, "csrf_token": csrf(client)}
    locked = client.post(f"/moderation/posts/{post}", data={**form, "action": "lock"})
    assert locked.status_code == 302 and location_path(locked) == f"/posts/{post}"
    deleted = client.post(f"/moderation/posts/{post}", data={**form, "action": "delete", "confirm": "yes"})
    assert deleted.status_code == 302 and location_path(deleted) == "/"
