"""Threaded replies on the forum: replying (and what is refused), nesting and folding on the post
page, quoting, editing with history, and who may edit. Each test checks the rows, not just the page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, update

from finboard.contract.comments import REPLY_OTHER_POST, REPLY_PARENT_GONE, CommentCreate, CommentUpdate
from finboard.contract.errors import ApiError
from finboard.contract.notifications import new_comment_recipients
from finboard.contract.threads import COLLAPSE_ABOVE, PASSAGE_NOT_FOUND, SHOWN_WHEN_COLLAPSED
from finboard.core import api_service, comment_service, content_writes
from finboard.core.comment_models import CommentRevision
from finboard.core.models import Comment, Notification, Post, PostWatch, User
from finboard.extensions import db
from tests.helpers import body, field_error, flashes, form_value, location_path, sign_in, text
from tests.web.test_community_pages import count, csrf, post_form, rows
from tests.web.test_moderation_atomic import _race


def reply(make, post_id: int, author_id: int, parent_id: int, text_: str = "A reply.") -> int:
    """A reply written with the same write function the app uses (the parent is checked by the use case)."""
    with make.app.app_context():
        created = content_writes.create_comment(
            db.session, db.session.get(Post, post_id), db.session.get(User, author_id), text_, parent_id
        )
        db.session.commit()
        make._invalidate()
        return created.id


def comment_id_of(response) -> int:
    """The comment a redirect to its permanent link names."""
    return int(location_path(response).rsplit("/", 1)[1])


@pytest.fixture
def people(make):
    return {name: make.user(name) for name in ("alice", "bob", "carol")}


@pytest.fixture
def post(make, people):
    return make.post(people["alice"], title="Why $AAPL still matters", body="Long **$AAPL** into earnings.")


@pytest.fixture
def top(make, people, post):
    return make.comment(post, people["bob"], "Margins are the **whole** story.")


# --- replying ---------------------------------------------------------------------------------------


def test_reply_is_stored_under_its_parent_and_notifies_the_parent_author(client, make, people, post, top):
    sign_in(client, people["carol"])
    page = client.get(f"/comments/{top}/reply")
    assert page.status_code == 200
    assert "Reply to bob" in text(page) and "Margins are the whole story." in text(page)
    response = post_form(client, f"/comments/{top}/reply", body="Not only margins: **buybacks** too.")
    assert response.status_code == 302
    new = comment_id_of(response)
    stored = make.get(Comment, new)
    assert (stored.post_id, stored.parent_id, stored.author_id) == (post, top, people["carol"])
    assert make.get(Post, post).comment_count == 2
    kinds = {n.user_id: n.kind for n in rows(make, Notification, Notification.comment_id == new)}
    assert kinds == {people["bob"]: "comment_reply", people["alice"]: "reply"}
    target = client.get(location_path(response))  # the permanent link: the post page at the reply
    assert target.headers["Location"].endswith(f"#comment-{new}")
    assert flashes(client.get(f"/posts/{post}")) == ["Reply added."]


def test_a_reply_to_a_post_authors_own_comment_tells_them_once_as_a_reply_to_their_comment(client, make, people, post):
    own = make.comment(post, people["alice"], "Author here: adding a chart later.")
    sign_in(client, people["bob"])
    new = comment_id_of(post_form(client, f"/comments/{own}/reply", body="Looking forward to it."))
    assert [(n.user_id, n.kind) for n in rows(make, Notification, Notification.comment_id == new)] == [
        (people["alice"], "comment_reply")
    ]
    sign_in(client, people["alice"])
    assert "bob replied to your comment on Why $AAPL still matters" in text(client.get("/notifications"))


def test_a_replys_fanout_is_the_contracts_reference(client, make, people, post, top):
    """Overlapping audiences: mentioned (carol), the parent's author (bob, who also watches), the post's
    author (alice), a watcher (erin); each told once, with the kind of their first audience."""
    dan, erin = make.user("dan"), make.user("erin")
    with make.app.app_context():
        db.session.add_all(PostWatch(user_id=uid, post_id=post) for uid in (people["bob"], erin, people["carol"]))
        db.session.commit()
    sign_in(client, dan)
    new = comment_id_of(post_form(client, f"/comments/{top}/reply", body="@carol see what bob says"))
    watchers = [people["bob"], erin, people["carol"], dan]  # replying made dan a watcher too
    expected = new_comment_recipients(dan, [people["carol"]], people["alice"], watchers, people["bob"])
    stored = [(n.user_id, n.kind, n.ticker) for n in rows(make, Notification, Notification.comment_id == new)]
    assert sorted(stored) == expected
    assert {kind for _, kind, _ in expected} == {"mention", "comment_reply", "reply", "comment"}


def test_replying_to_a_hidden_comment_is_refused_and_writes_nothing(client, make, people, post, top):
    sign_in(client, people["carol"])
    token = csrf(client, f"/comments/{top}/reply")
    with make.app.app_context():
        db.session.execute(update(Comment).where(Comment.id == top).values(hidden_at=func.now()))
        db.session.commit()
    response = client.post(f"/comments/{top}/reply", data={"body": "Too late?", "csrf_token": token})
    assert response.status_code == 404
    assert count(make, Comment) == 1 and make.get(Post, post).comment_count == 1


def test_replying_to_a_deleted_comment_is_a_404_and_writes_nothing(client, make, people, post, top):
    sign_in(client, people["bob"])
    token = csrf(client, f"/comments/{top}/reply")
    assert post_form(client, f"/comments/{top}/delete", confirm="yes").status_code == 302
    response = client.post(f"/comments/{top}/reply", data={"body": "Gone?", "csrf_token": token})
    assert response.status_code == 404
    assert count(make, Comment) == 0 and make.get(Post, post).comment_count == 0


def test_deleting_a_comment_keeps_its_replies_as_top_level_comments(client, make, people, post, top):
    answer = reply(make, post, people["carol"], top, "Carol's answer stays.")
    sign_in(client, people["bob"])
    assert post_form(client, f"/comments/{top}/delete", confirm="yes").status_code == 302
    kept = make.get(Comment, answer)
    assert (kept.body, kept.parent_id) == ("Carol's answer stays.", None)
    assert make.get(Post, post).comment_count == 1
    html = body(client.get(f"/posts/{post}"))
    assert f'id="comment-{answer}"' in html and '<div class="replies"' not in html


def test_an_empty_reply_shows_the_error_and_writes_nothing(client, make, people, post, top):
    sign_in(client, people["carol"])
    response = post_form(client, f"/comments/{top}/reply", body="   ")
    assert response.status_code == 422
    assert field_error(response, "body") == "This field cannot be only spaces."
    assert count(make, Comment) == 1


def test_a_parent_deleted_between_the_page_and_the_write_is_a_clear_422(client, make, people, post, top):
    """The use case's own check (the page's 404 guard passed): the rule's message, nothing written."""
    other = make.post(people["bob"], title="Another $MSFT thread", body="Cloud growth.")
    with make.app.app_context():
        settings = make.app.config["FINBOARD_SETTINGS"]
        carol = db.session.get(User, people["carol"])
        with pytest.raises(ApiError) as across:
            api_service.create_comment(db.session, settings, carol, other, CommentCreate(body="x", parent_id=top))
        db.session.rollback()
        with pytest.raises(ApiError) as missing:
            api_service.create_comment(db.session, settings, carol, post, CommentCreate(body="x", parent_id=99_999))
        db.session.rollback()
    assert (across.value.status, across.value.fields) == (422, {"parent_id": REPLY_OTHER_POST})
    assert (missing.value.status, missing.value.fields) == (422, {"parent_id": REPLY_PARENT_GONE})
    assert count(make, Comment) == 1
    assert make.get(Post, other).comment_count == 0 and make.get(Post, post).comment_count == 1


def test_the_reply_page_needs_a_login(client, top):
    response = client.get(f"/comments/{top}/reply")
    assert response.status_code == 302 and location_path(response) == f"/auth/login?next=%2Fcomments%2F{top}%2Freply"


# --- the post page ----------------------------------------------------------------------------------


def test_replies_nest_one_level_and_deeper_replies_say_whom_they_answer(client, make, people, post, top):
    first = reply(make, post, people["carol"], top, "Carol answers Bob.")
    deeper = reply(make, post, people["alice"], first, "Alice answers Carol.")
    lone = make.comment(post, people["carol"], "A new top-level point.")
    html = body(client.get(f"/posts/{post}"))
    replies = re.search(r'<div class="replies"[^>]*>(.*?)</div>\s*</div>', html, re.S).group(1)
    assert f'id="comment-{first}"' in replies and f'id="comment-{deeper}"' in replies
    assert f'id="comment-{top}"' not in replies and f'id="comment-{lone}"' not in replies
    # the direct reply names no one (it is under its parent); the deeper one links to whom it answers
    first_meta = re.search(rf'id="comment-{first}">\s*<p class="meta">(.*?)</p>', html, re.S).group(1)
    deeper_meta = re.search(rf'id="comment-{deeper}">\s*<p class="meta">(.*?)</p>', html, re.S).group(1)
    assert "in reply to" not in first_meta
    assert f'in reply to <a href="/comments/{first}">@carol</a>' in deeper_meta
    assert html.index(f'id="comment-{deeper}"') < html.index(f'id="comment-{lone}"')  # threads stay together
    assert "4 comments" in text(client.get(f"/posts/{post}"))


def test_a_long_thread_folds_its_later_replies_behind_details(client, make, people, post, top):
    ids = [reply(make, post, people["carol"], top, f"Reply number {i}.") for i in range(COLLAPSE_ABOVE + 2)]
    html = body(client.get(f"/posts/{post}"))
    folded = re.search(r'<details class="more-replies">(.*?)</details>', html, re.S)
    hidden_count = len(ids) - SHOWN_WHEN_COLLAPSED
    assert f"Show {hidden_count} more replies" in folded.group(1)
    assert all(f'id="comment-{i}"' in folded.group(1) for i in ids[SHOWN_WHEN_COLLAPSED:])
    assert not any(f'id="comment-{i}"' in folded.group(1) for i in ids[:SHOWN_WHEN_COLLAPSED])


def test_a_short_thread_is_not_folded(client, make, people, post, top):
    for i in range(COLLAPSE_ABOVE):
        reply(make, post, people["carol"], top, f"Reply {i}.")
    assert "more-replies" not in body(client.get(f"/posts/{post}"))


def test_reply_and_quote_links_are_offered_to_members_only(client, make, people, post, top):
    assert f"/comments/{top}/reply" not in body(client.get(f"/posts/{post}"))
    sign_in(client, people["carol"])
    html = body(client.get(f"/posts/{post}"))
    assert f'href="/comments/{top}/reply"' in html and f'href="/comments/{top}/reply?quote=1"' in html


# --- quoting ----------------------------------------------------------------------------------------


def test_quote_prefills_a_blockquote_with_attribution_and_renders_sanitised(client, make, people, post):
    parent = make.comment(post, people["bob"], "Line one <script>alert(1)</script>\n\nLine two")
    sign_in(client, people["carol"])
    page = client.get(f"/comments/{parent}/reply?quote=1")
    assert form_value(page, "body") == "**bob** wrote:\n\n> Line one <script>alert(1)</script>\n>\n> Line two\n\n"
    quoted = form_value(page, "body") + "I disagree."
    new = comment_id_of(post_form(client, f"/comments/{parent}/reply", body=quoted))
    assert make.get(Comment, new).body == quoted
    html = body(client.get(f"/posts/{post}"))
    block = re.search(rf'id="comment-{new}">.*?<div class="markdown">(.*?)</div>', html, re.S).group(1)
    assert "<blockquote>" in block and "Line two" in block and "<script>" not in block
    kinds = {n.user_id: n.kind for n in rows(make, Notification, Notification.comment_id == new)}
    assert kinds == {people["bob"]: "comment_reply", people["alice"]: "reply"}  # the quote mentions no one


def test_quote_with_a_selected_passage_prefills_only_that_passage(client, make, people, post):
    parent = make.comment(post, people["bob"], "Margins are the **whole** story.\n\nBuybacks help too.")
    sign_in(client, people["carol"])
    page = client.get(f"/comments/{parent}/reply", query_string={"quote": 1, "passage": "the whole story.\n\nBuy"})
    assert form_value(page, "body") == "**bob** wrote:\n\n> the whole story.\n>\n> Buy\n\n"  # as shown: no ** left
    assert flashes(page) == []
    new = comment_id_of(post_form(client, f"/comments/{parent}/reply", body=form_value(page, "body") + "Agreed."))
    html = body(client.get(f"/posts/{post}"))
    block = re.search(rf'id="comment-{new}">.*?<blockquote>(.*?)</blockquote>', html, re.S).group(1)
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", block)).strip() == "the whole story. Buy"


@pytest.mark.parametrize("passage", ["words bob never wrote", "<script>alert(1)</script>", "x" * 5000])
def test_a_passage_the_comment_does_not_hold_quotes_the_whole_comment_and_says_so(client, make, people, post, passage):
    parent = make.comment(post, people["bob"], "Margins are the **whole** story.")
    sign_in(client, people["carol"])
    page = client.get(f"/comments/{parent}/reply", query_string={"quote": 1, "passage": passage})
    assert page.status_code == 200
    assert form_value(page, "body") == "**bob** wrote:\n\n> Margins are the **whole** story.\n\n"
    assert flashes(page) == [PASSAGE_NOT_FOUND]
    assert "<script>alert(1)" not in body(page)
    assert count(make, Comment) == 1  # a GET writes nothing


def test_a_blank_passage_quotes_the_whole_comment_quietly(client, make, people, post, top):
    sign_in(client, people["carol"])
    page = client.get(f"/comments/{top}/reply", query_string={"quote": 1, "passage": "  \n "})
    assert form_value(page, "body") == "**bob** wrote:\n\n> Margins are the **whole** story.\n\n"
    assert flashes(page) == []


# --- editing ----------------------------------------------------------------------------------------


def test_the_author_edits_a_comment_and_the_history_keeps_the_old_body(client, make, people, post, top):
    sign_in(client, people["bob"])
    page = client.get(f"/comments/{top}/edit")
    assert form_value(page, "body") == "Margins are the **whole** story."
    response = post_form(client, f"/comments/{top}/edit", body="Margins *and* buybacks are the story.")
    assert response.status_code == 302
    stored = make.get(Comment, top)
    assert (stored.body, stored.edit_count) == ("Margins *and* buybacks are the story.", 1)
    revisions = rows(make, CommentRevision)
    assert [(r.comment_id, r.editor_id, r.body) for r in revisions] == [
        (top, people["bob"], "Margins are the **whole** story.")
    ]
    html = body(client.get(f"/posts/{post}"))
    assert f'<a class="edited" href="/comments/{top}/history">edited</a>' in html
    history = client.get(f"/comments/{top}/history")
    assert history.status_code == 200
    words = text(history)
    assert "2 versions of this comment by bob" in words
    assert words.index("Margins and buybacks are the story.") < words.index("Margins are the whole story.")


def test_concurrent_identical_edits_keep_one_revision(app, make, people, top):
    """Four identical edits at once (each on its own session): the comment's row lock makes them run one
    after the other, so the first changes the body and the others find nothing to change."""
    answers = _race(
        app,
        people["bob"],
        lambda session, bob: comment_service.update_comment(session, bob, top, CommentUpdate(body="Same edit.")),
    )
    assert answers == [200] * 4
    stored = make.get(Comment, top)
    assert (stored.body, stored.edit_count) == ("Same edit.", 1)
    assert [r.body for r in rows(make, CommentRevision)] == ["Margins are the **whole** story."]


def test_an_edit_that_changes_nothing_keeps_no_revision(client, make, people, top):
    sign_in(client, people["bob"])
    assert post_form(client, f"/comments/{top}/edit", body="Margins are the **whole** story.").status_code == 302
    assert make.get(Comment, top).edit_count == 0 and count(make, CommentRevision) == 0


def test_someone_elses_comment_cannot_be_edited(client, make, people, top):
    sign_in(client, people["carol"])
    assert client.get(f"/comments/{top}/edit").status_code == 403
    token = csrf(client)
    response = client.post(f"/comments/{top}/edit", data={"body": "Hijacked.", "csrf_token": token})
    assert response.status_code == 403
    stored = make.get(Comment, top)
    assert (stored.body, stored.edit_count) == ("Margins are the **whole** story.", 0)
    assert count(make, CommentRevision) == 0


def test_an_edit_without_csrf_changes_nothing(client, make, people, top):
    sign_in(client, people["bob"])
    response = client.post(f"/comments/{top}/edit", data={"body": "No token."})
    assert response.status_code in (400, 422)
    assert make.get(Comment, top).body == "Margins are the **whole** story."


def test_a_hidden_comment_cannot_be_edited_by_its_author(client, make, people, top):
    with make.app.app_context():
        db.session.execute(update(Comment).where(Comment.id == top).values(hidden_at=func.now()))
        db.session.commit()
    sign_in(client, people["bob"])
    assert client.get(f"/comments/{top}/edit").status_code == 404
    assert client.get(f"/comments/{top}/history").status_code == 404
