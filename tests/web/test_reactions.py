"""Reactions and the hot and top listings, on the forum and the Flask API, SQLite and PostgreSQL.

What the member sees (buttons that say what they do, counts on cards, the sort control),
what the database holds (one row per member and item, the trigger-kept counts and hot
score), and bad input (hidden or deleted items, unknown kinds, double clicks, races,
suspended members, the rate limit).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from finboard.contract.reactions import hot_score
from finboard.core import reaction_service
from finboard.core.models import Comment, Post, User, utcnow
from finboard.core.reaction_models import CommentReaction, PostReaction
from finboard.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.helpers import body, post_titles, sign_in


def client_for(app, user_id: int):
    client = app.test_client()
    sign_in(client, user_id)
    return client


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body(client.get(path))).group(1)


def post_row(app, post_id: int) -> tuple[int, int, int, object]:
    with app.app_context():
        row = db.session.execute(
            select(Post.reaction_count, Post.hot_score, Post.comment_count, Post.created_at).where(Post.id == post_id)
        ).one()
        return tuple(row)


def reaction_rows(app, model) -> list[tuple]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(select(model.user_id, model.kind)).all()]


def bearer(client, username: str) -> dict[str, str]:
    login = client.post("/api/v1/auth/login", json={"username": username, "password": TEST_PASSWORD})
    return {"Authorization": f"Bearer {login.json['access_token']}"}


@pytest.fixture
def members(app, make):
    return {name: make.user(name) for name in ("alice", "bob", "carol")}


def test_buttons_set_replace_and_remove_one_reaction_per_member(app, make, members):
    post_id = make.post(members["alice"], title="$NVDA into earnings", body="Long $NVDA.")
    bob = client_for(app, members["bob"])
    page = f"/posts/{post_id}"
    token = csrf(bob, page)
    for _ in range(2):  # a double click sends the same "set" twice: one row, count 1
        response = bob.post(f"{page}/react", data={"csrf_token": token, "kind": "rocket", "action": "set"})
        assert response.status_code == 303 and response.headers["Location"].endswith(page)
    assert reaction_rows(app, PostReaction) == [(members["bob"], "rocket")]
    reactions, hot, comments, created = post_row(app, post_id)
    assert reactions == 1 and hot == hot_score(1, comments, created)
    html = body(bob.get(page))
    # The pressed button now offers to remove; the others still set.
    assert re.search(r'name="action" value="remove">\s*<button[^>]*aria-pressed="true"[^>]*data-kind="rocket"', html)
    assert 'data-kind="bull">' in html
    # Another kind replaces it.
    bob.post(f"{page}/react", data={"csrf_token": token, "kind": "bear", "action": "set"})
    assert reaction_rows(app, PostReaction) == [(members["bob"], "bear")]
    assert post_row(app, post_id)[0] == 1
    # The card on the index shows the count.
    assert "1 reaction<" in body(app.test_client().get("/"))
    # Remove.
    bob.post(f"{page}/react", data={"csrf_token": token, "kind": "bear", "action": "remove"})
    assert reaction_rows(app, PostReaction) == []
    reactions, hot, comments, created = post_row(app, post_id)
    assert reactions == 0 and hot == hot_score(0, comments, created)
    # Without the CSRF token nothing is written; an unknown kind is a 400.
    assert bob.post(f"{page}/react", data={"kind": "like"}).status_code == 400
    assert bob.post(f"{page}/react", data={"csrf_token": token, "kind": "moon"}).status_code == 400
    assert reaction_rows(app, PostReaction) == []


def test_visitors_see_counts_but_no_buttons(app, make, members):
    post_id = make.post(members["alice"])
    with app.app_context():
        reaction_service.set_post_reaction(
            db.session, db.session.get(User, members["bob"]), post_id, "like", lambda _: True
        )
    html = body(app.test_client().get(f"/posts/{post_id}"))
    assert 'data-kind="like"' in html and "reaction-form" not in html
    assert app.test_client().post(f"/posts/{post_id}/react", data={"kind": "like"}).status_code in (302, 400)
    assert reaction_rows(app, PostReaction) == [(members["bob"], "like")]


def test_comment_reactions_count_and_leave_with_the_comment(app, make, members):
    post_id = make.post(members["alice"])
    comment_id = make.comment(post_id, members["alice"], body="First!")
    bob = client_for(app, members["bob"])
    token = csrf(bob, f"/posts/{post_id}")
    data = {"csrf_token": token, "kind": "insightful", "action": "set", "post_id": post_id}
    response = bob.post(f"/comments/{comment_id}/react", data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#comment-{comment_id}")
    with app.app_context():
        assert db.session.get(Comment, comment_id).reaction_count == 1
    assert reaction_rows(app, CommentReaction) == [(members["bob"], "insightful")]
    html = body(bob.get(f"/posts/{post_id}"))
    assert re.search(r'aria-label="React to this comment"', html)
    with app.app_context():
        assert reaction_service.comment_reactions(db.session, comment_id, members["bob"]).model_dump() == {
            "reaction_count": 1,
            "counts": {"insightful": 1},
            "mine": "insightful",
        }
    alice = client_for(app, members["alice"])
    token = csrf(alice, f"/posts/{post_id}")
    alice.post(f"/comments/{comment_id}/delete", data={"csrf_token": token, "confirm": "yes"})
    assert reaction_rows(app, CommentReaction) == []


def test_hidden_or_deleted_items_are_404_and_nothing_is_written(app, make, members):
    post_id = make.post(members["alice"])
    comment_id = make.comment(post_id, members["alice"])
    bob = client_for(app, members["bob"])
    token = csrf(bob, f"/posts/{post_id}")
    with app.app_context():
        db.session.execute(update(Post).where(Post.id == post_id).values(hidden_at=utcnow()))
        db.session.commit()
    assert bob.post(f"/posts/{post_id}/react", data={"csrf_token": token, "kind": "like"}).status_code == 404
    data = {"csrf_token": token, "kind": "like", "post_id": post_id}
    assert bob.post(f"/comments/{comment_id}/react", data=data).status_code == 404  # its post is hidden
    assert bob.post("/posts/999999/react", data={"csrf_token": token, "kind": "like"}).status_code == 404
    api = app.test_client()
    headers = bearer(api, "bob")
    answer = api.post(f"/api/v1/posts/{post_id}/reactions", json={"kind": "like"}, headers=headers)
    assert answer.status_code == 404 and answer.json["error"]["message"] == "Post not found."
    answer = api.post(f"/api/v1/comments/{comment_id}/reactions", json={"kind": "like"}, headers=headers)
    assert answer.status_code == 404 and answer.json["error"]["message"] == "Comment not found."
    assert reaction_rows(app, PostReaction) == [] and reaction_rows(app, CommentReaction) == []
    assert post_row(app, post_id)[0] == 0


def test_the_api_sets_replaces_reads_and_removes(app, make, members):
    post_id = make.post(members["alice"])
    api = app.test_client()
    headers = bearer(api, "bob")
    url = f"/api/v1/posts/{post_id}/reactions"
    assert api.post(url, json={"kind": "like"}).status_code == 401
    bad = api.post(url, json={"kind": "moon"}, headers=headers)
    assert bad.status_code == 422 and "kind" in bad.json["error"]["fields"]
    assert api.post(url, json={"kind": "like"}, headers=headers).json == {
        "reaction_count": 1,
        "counts": {"like": 1},
        "mine": "like",
    }
    carol = bearer(api, "carol")
    assert api.post(url, json={"kind": "bull"}, headers=carol).json["counts"] == {"like": 1, "bull": 1}
    assert api.post(url, json={"kind": "bull"}, headers=headers).json == {
        "reaction_count": 2,
        "counts": {"bull": 2},
        "mine": "bull",
    }
    assert api.get(url).json == {"reaction_count": 2, "counts": {"bull": 2}, "mine": None}
    assert api.get(f"/api/v1/posts/{post_id}").json["reaction_count"] == 2
    assert api.delete(url, headers=headers).json == {"reaction_count": 1, "counts": {"bull": 1}, "mine": None}
    assert api.delete(url, headers=headers).json["reaction_count"] == 1  # again: nothing to remove
    assert api.get(f"/api/v1/posts/{post_id}").json["reaction_count"] == 1  # the cache was retired


def test_two_identical_reactions_at_once_leave_one_row_and_count_one(app, make, members):
    post_id = make.post(members["alice"])

    def react() -> int:
        with app.app_context():
            bob = db.session.get(User, members["bob"])
            return reaction_service.set_post_reaction(db.session, bob, post_id, "rocket", lambda _: True).reaction_count

    for _ in range(3):
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda _: react(), range(2)))
        assert answers == [1, 1]
    assert reaction_rows(app, PostReaction) == [(members["bob"], "rocket")]
    assert post_row(app, post_id)[0] == 1


def test_suspended_members_and_the_rate_limit_are_refused(app, make, members):
    post_id = make.post(members["alice"])
    with app.app_context():
        bob = db.session.get(User, members["bob"])
        with pytest.raises(Exception) as refused:
            reaction_service.set_post_reaction(db.session, bob, post_id, "like", lambda _: False)
        assert refused.value.status == 429
        db.session.execute(
            update(User).where(User.id == members["bob"]).values(suspended_until=utcnow() + timedelta(days=1))
        )
        db.session.commit()
    api = app.test_client()
    answer = api.post(f"/api/v1/posts/{post_id}/reactions", json={"kind": "like"}, headers=bearer(api, "bob"))
    assert answer.status_code == 403
    assert reaction_rows(app, PostReaction) == []


def test_hot_and_top_listings_order_by_engagement(app, make, members):
    old = make.post(members["alice"], title="Old but loved $AAPL")
    make.post(members["alice"], title="Fresh and quiet $AAPL")
    with app.app_context():
        # "Old but loved" is 6 hours older, with 2 reactions: top puts it first, new last.
        db.session.execute(update(Post).where(Post.id == old).values(created_at=utcnow() - timedelta(hours=6)))
        db.session.commit()
        for name in ("bob", "carol"):
            user = db.session.scalar(select(User).where(User.username == name))
            reaction_service.set_post_reaction(db.session, user, old, "like", lambda _: True)
    # The trigger recomputed the score from the new created_at when the count moved.
    reactions, hot, comments, created = post_row(app, old)
    assert hot == hot_score(reactions, comments, created)
    client = app.test_client()
    assert post_titles(client.get("/"))[:2] == ["Fresh and quiet $AAPL", "Old but loved $AAPL"]
    assert post_titles(client.get("/?sort=top"))[:2] == ["Old but loved $AAPL", "Fresh and quiet $AAPL"]
    assert post_titles(client.get("/?sort=top&period=day"))[0] == "Old but loved $AAPL"
    with app.app_context():
        db.session.execute(update(Post).where(Post.id == old).values(created_at=utcnow() - timedelta(days=3)))
        db.session.commit()
    from finboard.extensions import cache

    with app.app_context():
        cache.invalidate()
    assert post_titles(client.get("/?sort=top&period=day")) == ["Fresh and quiet $AAPL"]
    assert post_titles(client.get("/?sort=top&period=week"))[0] == "Old but loved $AAPL"
    html = body(client.get("/?sort=top&period=week"))
    assert 'aria-current="true">Top<' in html and 'aria-current="true">This week<' in html
    assert client.get("/?sort=sideways").status_code == 400
    api = client.get("/api/v1/posts?sort=top&period=week&per_page=1").json
    assert [p["title"] for p in api["items"]] == ["Old but loved $AAPL"] and api["next_cursor"]
    nxt = client.get(f"/api/v1/posts?sort=top&period=week&per_page=1&cursor={api['next_cursor']}").json
    assert [p["title"] for p in nxt["items"]] == ["Fresh and quiet $AAPL"] and nxt["next_cursor"] is None


def test_hot_listing_pages_by_cursor_in_hot_order(app, make, members):
    ids = [make.post(members["alice"], title=f"Post {n} on $MSFT") for n in range(5)]
    with app.app_context():
        for n, post_id in enumerate(ids):
            hours = 10 * n
            db.session.execute(
                update(Post).where(Post.id == post_id).values(created_at=utcnow() - timedelta(hours=hours))
            )
        db.session.commit()
        bob = db.session.get(User, members["bob"])
        reaction_service.set_post_reaction(db.session, bob, ids[4], "like", lambda _: True)
        expected = [
            p.title
            for p in db.session.scalars(
                select(Post).order_by(Post.hot_score.desc(), Post.created_at.desc(), Post.id.desc())
            )
        ]
        scores = db.session.execute(
            select(Post.id, Post.hot_score, Post.reaction_count, Post.comment_count, Post.created_at)
        ).all()
        assert all(hot == hot_score(r, c, t) for _, hot, r, c, t in scores)
    client = app.test_client()
    seen, cursor = [], None
    while True:
        url = "/api/v1/posts?sort=hot&per_page=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url).json
        seen += [p["title"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and len(seen) == 5
    assert post_titles(client.get("/?sort=hot")) == expected
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PostReaction)) == 1


@pytest.mark.parametrize("database_kind", ["postgres"], indirect=True)
@pytest.mark.parametrize(("sort", "index"), [("hot", "ix_posts_hot"), ("top", "ix_posts_reaction_count_created")])
def test_hot_and_top_of_all_time_read_their_index_in_order(app, sort, index):
    """The listing's ORDER BY is its index's order: PostgreSQL reads the index's top (no sort of
    the table). Sequential scans are switched off only so that a 0-row table still shows the plan."""
    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql

    from finboard.contract.posts import PostListQuery
    from finboard.core.read_statements import Listing

    listing = Listing.of(PostListQuery(sort=sort), "postgresql")
    compiled = listing.page.compile(dialect=postgresql.dialect())
    sql = str(compiled).replace("%(limit)s", "21")
    with app.app_context():
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))
    assert index in plan and "Sort" not in plan.split(index)[0], plan


def test_trending_ranks_a_ticker_waking_up_above_its_usual_chatter(app, make, members):
    """$WAKE: quiet for a week, 2 posts and 2 reactions today (score 4). $BUSY: 1 post and 1
    reaction today, but 14 posts in the week before (2 a day: score 2 / 3). $ONCE: 1 mention, too little."""
    wake = [make.post(members["alice"], title=f"$WAKE news {n}", body="Volume.") for n in range(2)]
    make.post(members["alice"], title="$ONCE only", body="Hm.")
    busy_today = make.post(members["alice"], title="$BUSY today", body="Again.")
    before = [make.post(members["alice"], title=f"$BUSY old {n}", body="Old.") for n in range(14)]
    with app.app_context():
        for n, post_id in enumerate(before):
            older = utcnow() - timedelta(days=2 + n % 6, hours=1)
            db.session.execute(update(Post).where(Post.id == post_id).values(created_at=older))
        db.session.commit()
        bob = db.session.get(User, members["bob"])
        carol = db.session.get(User, members["carol"])
        for user in (bob, carol):
            reaction_service.set_post_reaction(db.session, user, wake[0], "rocket", lambda _: True)
        reaction_service.set_post_reaction(db.session, bob, busy_today, "like", lambda _: True)
    from finboard.extensions import cache

    with app.app_context():
        cache.invalidate()
    client = app.test_client()
    items = client.get("/api/v1/trending").json["items"]
    assert items == [
        {"ticker": "WAKE", "score": 4.0, "mentions": 2, "reactions": 2, "baseline_daily": 0.0},
        {"ticker": "BUSY", "score": 0.67, "mentions": 1, "reactions": 1, "baseline_daily": 2.0},
    ]
    page = body(client.get("/trending"))
    assert page.index("$WAKE") < page.index("$BUSY") and "$ONCE" not in page
    home = body(client.get("/"))
    assert 'aria-labelledby="trending-title"' in home and "$WAKE</a>" in home


@pytest.mark.parametrize("bulk", [False, True], ids=["rows", "bulk"])
def test_a_seeded_board_has_every_hot_score_right(app, runner, monkeypatch, bulk):
    """``flask seed`` (on PostgreSQL also its bulk COPY path) leaves the formula's score on every post."""
    from finboard.core.seeding import postgres_writer

    monkeypatch.setattr(postgres_writer, "BULK_ROWS", 0 if bulk else 10**9)
    result = runner.invoke(args=["seed", "--users", "6", "--posts", "80", "--comments", "200", "--seed", "3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.session.execute(select(Post.hot_score, Post.reaction_count, Post.comment_count, Post.created_at))
        rows = rows.all()
    assert len(rows) == 80 and any(c for _, _, c, _ in rows)
    assert [hot for hot, *_ in rows] == [hot_score(r, c, t) for _, r, c, t in rows]


def test_search_sorts_by_reactions(app, make, members):
    quiet = make.post(members["alice"], title="Copper $FCX quiet", body="Copper demand.")
    loved = make.post(members["alice"], title="Copper $FCX loved", body="Copper supply.")
    with app.app_context():
        bob = db.session.get(User, members["bob"])
        reaction_service.set_post_reaction(db.session, bob, quiet, "like", lambda _: True)
    from finboard.extensions import cache

    with app.app_context():
        cache.invalidate()
    client = app.test_client()
    assert post_titles(client.get("/search?q=copper&sort=new")) == ["Copper $FCX loved", "Copper $FCX quiet"]
    assert post_titles(client.get("/search?q=copper&sort=top")) == ["Copper $FCX quiet", "Copper $FCX loved"]
    assert '<option value="top" selected>Most reactions</option>' in body(client.get("/search?q=copper&sort=top"))
    assert loved
