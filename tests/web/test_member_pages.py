"""A member's index and search pages made from the visitor's cached page (finboard/member_pages.py).

The spliced page must be the full render byte for byte (but for the CSRF token, which is
new on every render) for every member state it serves — unread notifications, new
comments and bookmarks on cards, a moderator's menu — and every other state must fall
back to the full render. A member's visit builds the visitor page for everyone, never
leaks into it, and a write is on a member's page at once.
"""

from __future__ import annotations

import re

import pytest
from flask import flash

from tests.conftest import AuthActions
from tests.helpers import post_titles, text
from tests.web.test_community_pages import set_role
from tests.web.test_page_cache import state
from tests.web.test_page_cache_instances import member

CSRF_VALUE = re.compile(rb'(name="csrf_token" value=")[^"]+"')


def both_ways(app, client, path: str):
    """The page rendered in full (no page cache) and spliced (page cache on), CSRF tokens blanked."""
    app.config["PAGE_CACHE"] = False
    full = client.get(path)
    app.config["PAGE_CACHE"] = True
    spliced = client.get(path)
    assert state(full) is None and state(spliced) == "spliced", path
    assert full.status_code == spliced.status_code == 200
    assert spliced.headers["Cache-Control"] == "private, no-store"
    return CSRF_VALUE.sub(rb'\1"', full.data), CSRF_VALUE.sub(rb'\1"', spliced.data)


@pytest.fixture
def board(make):
    """alice (confirmed) with a read post that has a new comment since, a bookmark, a notification."""
    alice, bob = make.user("alice", verified=True), make.user("bob", verified=True)
    posts = [make.post(bob, title=f"Post {n} about $NVDA") for n in range(23)]
    return {"alice": alice, "bob": bob, "posts": posts}


def test_a_spliced_page_is_the_full_render_byte_for_byte(app, make, board):
    alice, bob, posts = board["alice"], board["bob"], board["posts"]
    client = member(app, alice)
    read, saved, mine = posts[-1], posts[-2], make.post(alice, title="Alice asks about $NVDA")
    assert client.get(f"/posts/{read}").status_code == 200  # read now: later comments are new
    make.comment(read, bob, body="New since alice's visit")
    commenter = member(app, bob)  # through the form: the notification's job runs after the commit
    reply = {"body": "A reply alice is notified of", "csrf_token": AuthActions(commenter).csrf("/")}
    assert commenter.post(f"/posts/{mine}/comments", data=reply).status_code in (302, 303)
    saved_form = {"bookmark": "1", "csrf_token": AuthActions(client).csrf("/")}
    assert client.post(f"/posts/{saved}/bookmark", data=saved_form).status_code in (302, 303)
    client.get("/")  # the bookmark's flash is shown and gone
    for path in ("/", "/?page=2", "/?sort=hot", "/search?q=nvda", "/search?q=nvda&page=2"):
        full, spliced = both_ways(app, client, path)
        assert full == spliced, path
    full_index = full_page = client.get("/")
    page = full_page.get_data(as_text=True)
    assert "1 new comment" in page, page
    assert "Bookmarked" in page
    assert 'class="bell has-unread"' in page
    assert "Followed tickers only" in page and "Log out" in page and "Log in" not in page
    assert post_titles(full_index)[0] == "Alice asks about $NVDA"


def test_a_moderator_gets_the_menu_spliced_too(app, make, board):
    set_role(make, board["alice"], "moderator")
    client = member(app, board["alice"])
    full, spliced = both_ways(app, client, "/")
    assert full == spliced and b">Moderation</a>" in spliced


def test_every_other_member_state_is_the_full_render(app, make, board):
    @app.get("/test-flash-then-index")
    def flashing():
        flash("Only for you", "info")
        return "flashed"

    unconfirmed = member(app, make.user("carol"))
    assert state(unconfirmed.get("/")) is None and "Please confirm your email" in text(unconfirmed.get("/"))

    flashed = member(app, board["alice"])
    flashed.get("/test-flash-then-index")
    page = flashed.get("/")
    assert state(page) is None and "Only for you" in text(page)
    assert state(flashed.get("/")) == "spliced"  # shown once, then the page is spliced again

    blocker = member(app, board["alice"])
    csrf = AuthActions(blocker).csrf("/")
    assert blocker.post("/u/bob/block", data={"csrf_token": csrf}).status_code in (302, 303)
    blocker.get("/")  # the block's flash is shown and gone
    blocked = blocker.get("/")
    assert state(blocked) is None and "Post by a member you blocked" in text(blocked)

    for path, status in (("/?page=99", 404), ("/search?since=yesterday", 400)):
        answer = member(app, board["bob"]).get(path)
        assert answer.status_code == status and state(answer) is None, path


def test_a_members_visit_builds_the_visitor_page_and_never_leaks_into_it(app, board):
    client = member(app, board["alice"])
    assert state(client.get("/")) == "spliced"  # nothing cached yet: built for visitors on the way
    visitor = app.test_client().get("/")
    assert state(visitor) == "hit"
    assert "Log out" not in text(visitor) and "alice" not in text(visitor) and "Log in" in text(visitor)


def test_a_write_is_on_a_members_spliced_page_at_once(app, make, board):
    client = member(app, board["alice"])
    app.test_client().get("/")  # the visitor page is cached
    assert state(client.get("/")) == "spliced"
    make.post(board["bob"], title="Fresh $AMD news")
    page = client.get("/")
    assert state(page) == "spliced" and post_titles(page)[0] == "Fresh $AMD news"
