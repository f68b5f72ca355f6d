"""Unread and saved on the forum and the Flask API, on SQLite and PostgreSQL.

Read state (new-comment counts on cards, the post page's "jump to first unread" and marks,
no write when nothing changed), opening a notification marks it read (own ones only), and
bookmarks (one row however often or however concurrently asked, newest first by keyset,
hidden posts leave the list). A visitor's listing costs no per-member query.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, select

from finboard.core import reading_service
from finboard.core.models import Notification, Post, User, utcnow
from finboard.core.reading_models import Bookmark, PostRead
from finboard.extensions import db
from tests.helpers import body, flashes, location_path, text
from tests.web.test_blocks import client_for


@pytest.fixture
def members(app, make):
    return {name: make.user(name) for name in ("alice", "bob", "carol")}


def csrf(client, path: str = "/") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body(client.get(path))).group(1)


def read_row(app, user_id: int, post_id: int) -> PostRead | None:
    with app.app_context():
        row = db.session.get(PostRead, (user_id, post_id))
        if row is not None:
            db.session.expunge(row)
        return row


def card_badge(client, post_id: int) -> str | None:
    match = re.search(rf'href="/posts/{post_id}/unread">([^<]+)</a>', body(client.get("/")))
    return match.group(1) if match else None


def test_new_comments_on_cards_jump_to_first_unread_and_marks(app, make, members):
    post = make.post(members["alice"], title="Is $NVDA priced in?")
    make.comment(post, members["bob"], body="Already seen by carol.")
    carol = client_for(app, members["carol"])
    assert card_badge(carol, post) is None, "never opened: nothing is new"
    assert 'class="comment unread"' not in body(carol.get(f"/posts/{post}"))
    first_row = read_row(app, members["carol"], post)
    assert first_row is not None and first_row.last_read_comment_id > 0
    # Two new comments by others, one by carol herself (never news to her).
    first_new = make.comment(post, members["bob"], body="New one.")
    make.comment(post, members["carol"], body="Carol's own.")
    make.comment(post, members["alice"], body="Newer one.")
    assert card_badge(carol, post) == "2 new comments"
    assert card_badge(client_for(app, members["bob"]), post) is None, "bob never opened it"
    # The badge leads to the first unread comment, through its permanent link.
    response = carol.get(f"/posts/{post}/unread")
    assert response.status_code == 302 and location_path(response) == f"/comments/{first_new}"
    response = carol.get(f"/posts/{post}")
    page = body(response)
    assert f'href="/comments/{first_new}">Jump to first unread</a>' in page
    assert "2 new comments since your last visit" in text(response)
    marked = re.findall(r'<article class="comment unread" id="comment-(\d+)"', page)
    assert marked == [str(first_new), str(first_new + 2)]
    # That visit marked everything read: the card's badge and the page's marks are gone.
    assert card_badge(carol, post) is None
    assert "Jump to first unread" not in body(carol.get(f"/posts/{post}"))


def test_opening_again_without_news_writes_nothing(app, make, members):
    post = make.post(members["alice"])
    make.comment(post, members["bob"])
    carol = client_for(app, members["carol"])
    carol.get(f"/posts/{post}")
    before = read_row(app, members["carol"], post)
    writes = []

    def spy(conn, cursor, statement, *args):
        if "INSERT INTO post_reads" in statement:
            writes.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", spy)
    try:
        carol.get(f"/posts/{post}")
        assert writes == [], "nothing new: no statement"
        make.comment(post, members["bob"])
        carol.get(f"/posts/{post}")
        assert len(writes) == 1, "a new comment: one upsert"
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    after = read_row(app, members["carol"], post)
    assert after.last_read_comment_id > before.last_read_comment_id


def test_listing_for_a_visitor_runs_no_reading_query(app, make, members, monkeypatch):
    make.post(members["alice"])
    calls = []
    monkeypatch.setattr(reading_service, "card_marks", lambda *a: calls.append(a) or {})
    assert "new comment" not in body(app.test_client().get("/"))
    assert calls == []
    client_for(app, members["bob"]).get("/")
    assert len(calls) == 1, "one query for the whole page"


def test_mark_read_never_moves_back(app, make, members):
    post = make.post(members["alice"])
    older = make.comment(post, members["bob"])
    newer = make.comment(post, members["bob"])
    with app.app_context():
        seen_newer = reading_service.progress(db.session, members["carol"], post)
        assert reading_service.record_read(db.session, members["carol"], post, seen_newer)
        stale = reading_service.PostProgress(state=seen_newer.state, latest_comment_id=older)
        reading_service.record_read(db.session, members["carol"], post, stale)
    assert read_row(app, members["carol"], post).last_read_comment_id == newer


def test_opening_a_notification_marks_it_read_and_redirects(app, make, members):
    post = make.post(members["alice"])
    comment = make.comment(post, members["bob"])
    with app.app_context():
        for user, comment_id in ((members["alice"], comment), (members["carol"], None)):
            db.session.add(
                Notification(user_id=user, kind="reply", actor_id=members["bob"], post_id=post, comment_id=comment_id)
            )
        db.session.commit()
        mine, carols = db.session.scalars(select(Notification.id).order_by(Notification.user_id)).all()
    alice = client_for(app, members["alice"])
    page = body(alice.get("/notifications"))
    assert f'href="/notifications/{mine}/open"' in page
    response = alice.get(f"/notifications/{mine}/open")
    assert response.status_code == 302 and location_path(response) == f"/comments/{comment}"
    assert make.get(Notification, mine).read_at is not None
    assert alice.get(f"/notifications/{carols}/open").status_code == 404, "only one's own"
    assert make.get(Notification, carols).read_at is None
    carol = client_for(app, members["carol"])
    response = carol.get(f"/notifications/{carols}/open")
    assert location_path(response) == f"/posts/{post}"
    assert app.test_client().get(f"/notifications/{carols}/open").status_code == 302  # to the login page
    assert make.get(Notification, carols).read_at is not None


def test_bookmarks_page_button_idempotent_and_hidden_posts_leave(app, make, members):
    first = make.post(members["alice"], title="First $AAPL")
    second = make.post(members["alice"], title="Second $MSFT")
    bob = client_for(app, members["bob"])
    token = csrf(bob, f"/posts/{first}")
    assert 'aria-pressed="false">Bookmark</button>' in body(bob.get(f"/posts/{first}"))
    for post_id in (first, first, second):  # a double click on the first: one row
        response = bob.post(f"/posts/{post_id}/bookmark", data={"csrf_token": token, "bookmark": "1"})
        assert response.status_code == 302 and location_path(response) == f"/posts/{post_id}"
    assert "Bookmarked: find it on your Bookmarks page." in flashes(bob.get(f"/posts/{first}"))
    assert make.count(Bookmark) == 2
    assert 'aria-pressed="true">Bookmarked</button>' in body(bob.get(f"/posts/{first}"))
    listing = body(bob.get("/bookmarks"))
    assert listing.index("Second $MSFT") < listing.index("First $AAPL"), "newest bookmark first"
    assert body(bob.get("/")).count('class="badge bookmark-badge"') == 2
    assert bob.post(f"/posts/{first}/bookmark", data={"bookmark": "1"}).status_code == 400, "CSRF"
    # A moderator hides the second post: it leaves the list (the row stays for a restore).
    with app.app_context():
        db.session.get(Post, second).hidden_at = utcnow()
        db.session.commit()
    assert "Second $MSFT" not in body(bob.get("/bookmarks")) and make.count(Bookmark) == 2
    assert bob.post(f"/posts/{second}/bookmark", data={"csrf_token": token}).status_code == 404
    bob.post(f"/posts/{first}/bookmark", data={"csrf_token": token, "bookmark": "0"})
    assert "No bookmarks yet" in text(bob.get("/bookmarks"))
    assert app.test_client().get("/bookmarks").status_code == 302


def test_bookmarks_keyset_pages(app, make, members):
    posts = [make.post(members["alice"], title=f"Post number {n}") for n in range(23)]
    with app.app_context():
        for post_id in posts:
            db.session.add(Bookmark(user_id=members["bob"], post_id=post_id))
            db.session.commit()
    bob = client_for(app, members["bob"])
    first = body(bob.get("/bookmarks"))
    assert first.count('class="bookmark-item"') == 20 and "Post number 22" in first
    cursor = re.search(r'href="/bookmarks\?cursor=([^"]+)"', first).group(1)
    second = body(bob.get(f"/bookmarks?cursor={cursor}"))
    assert second.count('class="bookmark-item"') == 3 and "Post number 0<" in second and "Post number 22" not in second
    assert bob.get("/bookmarks?cursor=nonsense").status_code == 400


def test_concurrent_bookmarks_leave_one_row(app, make, members, database_kind):
    post = make.post(members["alice"])
    with app.app_context():
        bob = db.session.get(User, members["bob"])
        db.session.expunge(bob)

    def put(_):
        with app.app_context():
            return reading_service.set_bookmark(db.session, bob, post, True).bookmarked

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(put, range(8))) == [True] * 8
    assert make.count(Bookmark) == 1


def test_concurrent_opens_leave_one_read_row(app, make, members):
    post = make.post(members["alice"])
    latest = make.comment(post, members["bob"])
    with app.app_context():
        carol = db.session.get(User, members["carol"])
        db.session.expunge(carol)

    def mark(_):
        with app.app_context():
            return reading_service.mark_read(db.session, carol, post).last_read_comment_id

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(mark, range(8))) == [latest] * 8
    assert make.count(PostRead) == 1 and read_row(app, members["carol"], post).last_read_comment_id == latest
