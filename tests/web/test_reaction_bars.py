"""The post page's reaction bars (``finboard.posts.reaction_bars``), on SQLite and PostgreSQL.

The bars are read in one statement, and only for the items whose trigger-kept
``reaction_count`` says they have reactions: these tests pin what each reader sees (counts
per kind, a member's own kind pressed on the post and on each comment) and that a page
whose items have no reactions asks the database nothing for its bars.
"""

from __future__ import annotations

import re

from sqlalchemy import event

from finboard.contract.pagination import PageQuery
from finboard.core import reaction_service
from finboard.core.models import User
from finboard.extensions import db
from finboard.posts.reaction_bars import NO_REACTIONS, page_reactions
from finboard.posts.rows import get_post_with_comments
from tests.helpers import body, sign_in


def _react(app, user_id: int, kind: str, post_id: int | None = None, comment_id: int | None = None) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        if comment_id is None:
            reaction_service.set_post_reaction(db.session, user, post_id, kind, lambda _: True)
        else:
            reaction_service.set_comment_reaction(db.session, user, comment_id, kind, lambda _: True)


def _pressed(html: str) -> list[str]:
    """The kinds whose button is pressed, in page order."""
    return re.findall(r'aria-pressed="true"[^>]*data-kind="(\w+)"', html)


def _statements(app, run) -> list[str]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

        def record(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            run()
        finally:
            event.remove(engine, "before_cursor_execute", record)
    return seen


def test_counts_and_each_readers_own_kind_on_the_post_and_its_comments(app, make):
    alice, bob, carol = (make.user(name) for name in ("alice", "bob", "carol"))
    post_id = make.post(alice)
    quiet, liked, loved = (make.comment(post_id, alice, body=f"c{i}") for i in range(3))
    _react(app, bob, "rocket", post_id=post_id)
    _react(app, carol, "rocket", post_id=post_id)
    _react(app, carol, "bear", comment_id=liked)
    _react(app, bob, "like", comment_id=loved)
    _react(app, carol, "insightful", comment_id=loved)
    with app.test_request_context():
        post, page = get_post_with_comments(post_id, PageQuery(page=1, per_page=50))
        comments = page.items
        on_post, on_comments = page_reactions(post, comments, bob)
        assert on_post == ({"rocket": 2}, "rocket")
        assert on_comments == {
            quiet: NO_REACTIONS,
            liked: ({"bear": 1}, None),
            loved: ({"like": 1, "insightful": 1}, "like"),  # in the kinds' display order
        }
        assert page_reactions(post, comments, None)[1][loved] == ({"like": 1, "insightful": 1}, None)
    member = app.test_client()
    sign_in(member, bob)
    assert _pressed(body(member.get(f"/posts/{post_id}"))) == ["rocket", "like"]
    visitor = body(app.test_client().get(f"/posts/{post_id}"))
    assert "reaction-form" not in visitor
    assert re.search(r'title="To the moon" data-kind="rocket">.*?<span class="reaction-count">2</span>', visitor)


def test_a_page_without_reactions_reads_none(app, make):
    alice = make.user("alice")
    post_id = make.post(alice)
    make.comment(post_id, alice, body="no reactions here")
    client = app.test_client()
    statements = _statements(app, lambda: client.get(f"/posts/{post_id}"))
    assert not [s for s in statements if "reactions" in s]
    assert 'aria-label="React to this post"' in body(client.get(f"/posts/{post_id}"))
