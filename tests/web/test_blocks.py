"""Blocks and mutes on the forum and the Flask API, on SQLite and PostgreSQL.

What a member sees (collapsed posts and comments, hidden muted posts, messages for bad
input), what the database holds (one row per block or mute, however often or however
concurrently asked), who is notified, and that the shared cached pages stay shared: a
member's filter changes nothing of the cache's keys or builds.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

import finboard.contract.blocks
from finboard.core import block_service, orm_reads
from finboard.core.models import Notification, User, UserBlock, UserMute
from finboard.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.helpers import body, flashes, post_titles, sign_in, text


@pytest.fixture
def members(app, make):
    return {name: make.user(name) for name in ("alice", "bob", "carol")}


def client_for(app, user_id: int):
    client = app.test_client()
    sign_in(client, user_id)
    return client


def csrf(client, path: str = "/settings/blocks") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body(client.get(path))).group(1)


def rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_block_collapses_their_posts_stops_their_mentions_and_comments(app, make, members):
    alice, bob = client_for(app, members["alice"]), client_for(app, members["bob"])
    mine = make.post(members["alice"], title="Alice on $AAPL", body="Long.")
    make.comment(mine, members["bob"], body="Bob was here before the block.")
    token = csrf(alice, "/u/bob")
    for _ in range(2):  # a double click: one row
        response = alice.post("/u/bob/block", data={"csrf_token": token})
        assert response.status_code == 302
    assert rows(app, UserBlock) == 1
    assert "You blocked bob" in flashes(alice.get("/u/bob"))[0]
    profile = body(alice.get("/u/bob"))  # Unblock, behind a confirmation step
    assert 'action="/u/bob/unblock"' in profile and 'action="/u/bob/block"' not in profile
    # bob's new post mentions alice: she is not told; carol (not blocking) is.
    bob_csrf = csrf(bob, "/posts/new")
    response = bob.post(
        "/posts/new",
        data={"title": "Hey @alice and @carol", "body": "Short $AAPL", "category": "stocks", "csrf_token": bob_csrf},
    )
    assert response.status_code == 302
    with app.app_context():
        told = dict(db.session.execute(select(Notification.user_id, Notification.kind)).all())
    assert told == {members["carol"]: "mention"}
    # On alice's pages bob's post and comment are collapsed, for everyone else they are not.
    listing = body(alice.get("/"))
    assert re.search(
        r'<details class="blocked-post"><summary>Post by a member you blocked</summary>\s*<article', listing
    )
    assert post_titles(alice.get("/")) == ["Hey @alice and @carol", "Alice on $AAPL"], "collapsed, not removed"
    assert "blocked" not in body(app.test_client().get("/")) and "blocked" not in body(bob.get("/"))
    detail = body(alice.get(f"/posts/{mine}"))
    assert '<details class="blocked-comment"><summary>Comment by a member you blocked</summary>' in detail
    # bob cannot comment on alice's post: the page says so, and a forced POST gets the message.
    assert "The author of this post has blocked you" in text(bob.get(f"/posts/{mine}"))
    assert f'action="/posts/{mine}/comments"' not in body(bob.get(f"/posts/{mine}"))
    response = bob.post(f"/posts/{mine}/comments", data={"body": "Let me in", "csrf_token": bob_csrf})
    assert response.status_code == 403
    assert "The author of this post has blocked you" in text(response)
    assert "Let me in" not in text(alice.get(f"/posts/{mine}"))
    # Unblocked: back to normal.
    alice.post("/u/bob/unblock", data={"csrf_token": token, "confirm": "yes"})
    assert rows(app, UserBlock) == 0 and "blocked-post" not in body(alice.get("/"))


def test_mutes_hide_posts_for_the_member_only_and_share_the_cache(app, make, members, monkeypatch):
    make.post(members["bob"], title="$GME squeeze incoming", body="Nothing else.")
    make.post(members["bob"], title="To the MOON", body="moon-shot")
    make.post(members["bob"], title="Honeymoon budget", body="moonlight dinners, $AAPL")
    builds = []
    real = orm_reads.page_posts  # the pages' listing build (finboard.rawsql.page_rows)
    monkeypatch.setattr(orm_reads, "page_posts", lambda conn, query: builds.append(query) or real(conn, query))
    anonymous, alice, carol = app.test_client(), client_for(app, members["alice"]), client_for(app, members["carol"])
    everything = post_titles(anonymous.get("/"))
    assert len(everything) == 3 and len(builds) == 1
    token = csrf(alice)
    for kind, term in (("word", " Moon "), ("word", "moon"), ("ticker", "$gme")):
        response = alice.post("/settings/blocks/mute", data={"kind": kind, "term": term, "csrf_token": token})
        assert response.status_code == 302
    assert rows(app, UserMute) == 2
    page = alice.get("/")
    assert post_titles(page) == ["Honeymoon budget"], "whole words only: honeymoon and moonlight stay"
    assert "2 posts on this page hidden by your" in text(page)
    assert post_titles(carol.get("/")) == everything and post_titles(anonymous.get("/")) == everything
    assert len(builds) == 1, "the member's filter reads the one shared cache entry: no per-member build or key"
    assert post_titles(alice.get("/search?q=moon")) == [], "search: the same filter"
    listed = text(alice.get("/settings/blocks"))
    assert "$GME" in listed and "moon" in listed
    alice.post("/settings/blocks/unmute", data={"kind": "word", "term": "moon", "csrf_token": token})
    assert post_titles(alice.get("/")) == ["Honeymoon budget", "To the MOON"]


def test_bad_input_gets_a_clear_message_and_leaves_nothing(app, make, members, monkeypatch):
    alice = client_for(app, members["alice"])
    token = csrf(alice)
    cases = [
        ("/u/alice/block", {}, "You cannot block yourself."),
        ("/settings/blocks/mute", {"kind": "word", "term": "   "}, "Enter a word or phrase to mute."),
        ("/settings/blocks/mute", {"kind": "word", "term": "x" * 41}, "A muted word is at most 40 characters."),
        ("/settings/blocks/mute", {"kind": "ticker", "term": "12AB"}, "Not a ticker"),
    ]
    for path, data, message in cases:
        response = alice.post(path, data={**data, "csrf_token": token}, follow_redirects=True)
        assert any(message in f for f in flashes(response)), (path, flashes(response))
    assert alice.post("/u/nobody/block", data={"csrf_token": token}).status_code == 404
    assert alice.post("/u/bob/block", data={}).status_code == 400, "no CSRF token, no block"
    monkeypatch.setattr(finboard.contract.blocks, "BLOCKS_MAX", 1)
    alice.post("/u/bob/block", data={"csrf_token": token})
    response = alice.post("/u/carol/block", data={"csrf_token": token}, follow_redirects=True)
    assert "You can block at most 1 members." in flashes(response)
    assert rows(app, UserBlock) == 1 and rows(app, UserMute) == 0


def test_two_concurrent_blocks_leave_one_row(app, members):
    def block_bob() -> list[str]:
        with app.app_context():
            alice = db.session.get(User, members["alice"])
            return block_service.set_block(db.session, alice, "BOB", True).usernames

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: block_bob(), range(2)))
    assert answers == [["bob"], ["bob"]] and rows(app, UserBlock) == 1


def test_the_api_manages_blocks_and_filters_feed_and_notifications(app, make, members):
    api = app.test_client()
    login = api.post("/api/v1/auth/login", json={"username": "alice", "password": TEST_PASSWORD})
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    make.post(members["bob"], title="Hello @alice", body="$TSLA first")
    assert api.put("/api/v1/watchlist/TSLA", headers=headers).status_code == 200
    assert [n["kind"] for n in api.get("/api/v1/notifications", headers=headers).json["items"]] == []
    carols = make.post(members["carol"], title="$TSLA moon", body="cc @alice")
    with app.app_context():  # her mention, told before the block (make.post runs no fan-out)
        db.session.add(
            Notification(user_id=members["alice"], kind="mention", actor_id=members["carol"], post_id=carols)
        )
        db.session.commit()
    assert api.get("/api/v1/notifications", headers=headers).json["unread"] == 1
    assert len(api.get("/api/v1/feed", headers=headers).json["items"]) == 2
    assert api.put("/api/v1/blocks/Carol", headers=headers).json == {"usernames": ["carol"]}
    assert api.put("/api/v1/blocks/carol", headers=headers).json == {"usernames": ["carol"]}
    assert api.get("/api/v1/blocks").status_code == 401
    assert api.put("/api/v1/blocks/alice", headers=headers).json["error"]["fields"] == {
        "username": "You cannot block yourself."
    }
    assert api.put("/api/v1/blocks/nobody", headers=headers).status_code == 404
    feed = api.get("/api/v1/feed", headers=headers).json
    assert [p["title"] for p in feed["items"]] == ["Hello @alice"], "carol's post leaves the feed"
    listed = api.get("/api/v1/notifications", headers=headers).json
    assert (listed["items"], listed["unread"]) == ([], 0), "carol's older mention is not listed"
    assert api.put("/api/v1/mutes/tickers/tsla", headers=headers).json == {"words": [], "tickers": ["TSLA"]}
    assert api.get("/api/v1/feed", headers=headers).json["items"] == []
    response = api.put(f"/api/v1/mutes/words/{'y' * 41}", headers=headers)
    assert response.status_code == 422 and set(response.json["error"]["fields"]) == {"word"}
    assert api.delete("/api/v1/blocks/carol", headers=headers).json == {"usernames": []}
    assert [n["actor"]["username"] for n in api.get("/api/v1/notifications", headers=headers).json["items"]] == [
        "carol"
    ]


def bell_and_statements(app, client, path: str = "/") -> tuple[int, list[str], str]:
    """The bell's count on ``path``, the SQL the page ran, and the page."""
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(conn, cursor, statement, *rest):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        html = body(client.get(path))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    match = re.search(r'<span class="bell-count" id="bell-count"[^>]*>(\d+)</span>', html)
    return (int(match.group(1)) if match else 0), seen, html


def test_the_bell_and_the_filter_are_one_read_that_keeps_the_exclusions(app, make, members):
    """The session's read (``load_user`` with ``finboard.core.header_reads``' columns) counts unread
    notifications less a blocked actor's and a muted ticker's, and brings the blocks and mutes
    that collapse and hide posts on the page: one statement for all of it."""
    alice = client_for(app, members["alice"])
    bobs = make.post(members["bob"], title="Bob on $AAPL", body="Long.")
    carols = make.post(members["carol"], title="Carol on $AAPL", body="Long.")
    tsla = make.post(members["carol"], title="Carol on $TSLA", body="Long.")
    with app.app_context():
        db.session.add_all(
            [
                Notification(user_id=members["alice"], kind="mention", actor_id=members["bob"], post_id=bobs),
                Notification(user_id=members["alice"], kind="mention", actor_id=members["carol"], post_id=carols),
                Notification(
                    user_id=members["alice"], kind="ticker", actor_id=members["carol"], post_id=tsla, ticker="TSLA"
                ),
            ]
        )
        db.session.commit()
    alice.get("/")  # the session's first touch, and the page cache's fill: not what is counted
    count, statements, _ = bell_and_statements(app, alice)
    assert count == 3
    header = [s for s in statements if "notifications" in s or "user_blocks" in s or "user_mutes" in s]
    assert len(header) == 1 and "user_sessions" in header[0], "read with the session, in one statement"
    with app.app_context():
        alice_row = db.session.get(User, members["alice"])
        block_service.set_mute(db.session, alice_row, "ticker", "TSLA", True)
    assert bell_and_statements(app, alice)[0] == 2, "the muted ticker's notification is not counted"
    with app.app_context():
        block_service.set_block(db.session, db.session.get(User, members["alice"]), "carol", True)
    count, _, html = bell_and_statements(app, alice)
    assert count == 1, "the blocked actor's notification is not counted"
    assert html.count('<details class="blocked-post">') == 1, "the same read collapses carol's post"
    assert "Carol on $TSLA" not in html and "Bob on $AAPL" in html, "and hides the muted ticker's post"
    with app.app_context():
        db.session.execute(Notification.__table__.update().values(read_at=func.now()))
        db.session.commit()
    assert bell_and_statements(app, alice)[0] == 0
    bob = client_for(app, members["bob"])
    assert bell_and_statements(app, bob)[0] == 0, "alice's notifications are hers only"


def test_the_header_columns_read_alone_give_what_the_session_read_gives(app, make, members):
    """``header_reads.member_header`` (a user logged in by the request itself) parses the same
    aggregated blocks and mutes as ``load_user``: phrases with spaces, apostrophes and dots intact."""
    from finboard.core import header_reads

    with app.app_context():
        alice = db.session.get(User, members["alice"])
        assert header_reads.member_header(db.session, alice.id).member_filter.empty
        for name in ("bob", "carol"):
            block_service.set_block(db.session, alice, name, True)
        for kind, term in (("word", "to the moon"), ("word", "o'neil"), ("ticker", "BRK.B"), ("ticker", "tsla")):
            block_service.set_mute(db.session, alice, kind, term, True)
        header = header_reads.member_header(db.session, alice.id)
        assert header.unread_notifications == 0
        assert header.member_filter == block_service.member_filter(db.session, alice.id)
        assert header.member_filter.blocked_ids == {members["bob"], members["carol"]}
        assert header.member_filter.words == ("o'neil", "to the moon")
        assert header.member_filter.tickers == {"BRK.B", "TSLA"}
