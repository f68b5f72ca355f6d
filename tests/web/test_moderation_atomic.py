"""Every state transition changes its row once: repeats answer 409 or nothing, counters stay exact.

Issue 15: hide, restore and delete read ``hidden_at`` and moved
``posts.comment_count`` whatever the row said, so repeated and concurrent
requests moved counts twice (below zero: a 500), logged twice, and let an
author delete the comment a moderator hid — whose reports the cascade then
erased. Through the Flask API and the forum forms, on SQLite and PostgreSQL;
FastAPI and Django answer the same bytes (tests/conformance/test_6_community.py).
The guards are listed in ``finboard.contract.transitions.TRANSITIONS``.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from finboard.contract.errors import ApiError
from finboard.contract.moderation import CommentModeration, ReportCreate, UserModeration
from finboard.core import counters, moderation_service, report_service
from finboard.core.models import Comment, ModerationAction, Post, Report, User
from finboard.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.helpers import body, flashes, sign_in

P = "/api/v1"
REASON = "Breaks the rules"


# --- helpers -----------------------------------------------------------------------------


def _role(make, user_id: int, role: str = "moderator") -> None:
    with make.app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(role=role))
        db.session.commit()


def _bearer(client, username: str) -> dict[str, str]:
    response = client.post(f"{P}/auth/login", json={"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _log(make) -> list[tuple[str, str, int]]:
    with make.app.app_context():
        rows = db.session.execute(
            select(ModerationAction.action, ModerationAction.target_type, ModerationAction.target_id).order_by(
                ModerationAction.id
            )
        )
        return [tuple(row) for row in rows]


def _assert_counts_exact(make) -> None:
    """Counter tables equal a rebuild, and every post's comment_count its visible comments."""
    with make.app.app_context():
        with db.engine.begin() as connection:
            kept = counters.snapshot(connection)
            counters.rebuild(connection)
            assert counters.snapshot(connection) == kept
            connection.rollback()
        visible = (
            select(func.count())
            .where(Comment.post_id == Post.id, Comment.hidden_at.is_(None))
            .correlate(Post)
            .scalar_subquery()
        )
        wrong = db.session.execute(select(Post.id, Post.comment_count, visible).where(Post.comment_count != visible))
        assert wrong.all() == []


def _moderate(client, headers, kind: str, ident: int, action: str):
    return client.post(f"{P}/moderation/{kind}/{ident}", json={"action": action, "reason": REASON}, headers=headers)


def _people(make):
    alice, bob, mod = make.user("alice"), make.user("bob"), make.user("mod")
    _role(make, mod)
    return alice, bob, mod


# --- repeats: 409 once, one log entry per real change ---------------------------------------------


def test_repeated_comment_moderation_answers_409_and_moves_the_count_once(client, make):
    alice, bob, mod = _people(make)
    post = make.post(alice)
    first, second, _third = (make.comment(post, bob, f"Comment {n}") for n in range(3))
    h = _bearer(client, "mod")
    answers = [
        (action, _moderate(client, h, "comments", first, action).status_code)
        for action in ("hide", "hide", "restore", "restore", "delete", "delete")
    ]
    assert answers == [
        ("hide", 200),
        ("hide", 409),
        ("restore", 200),
        ("restore", 409),
        ("delete", 200),
        ("delete", 409),
    ]
    again = _moderate(client, h, "comments", first, "delete").get_json()["error"]
    assert (again["code"], again["message"]) == ("no_change", "The comment is already deleted.")
    # A hidden comment's delete does not move the count a second time.
    assert _moderate(client, h, "comments", second, "hide").status_code == 200
    assert _moderate(client, h, "comments", second, "delete").status_code == 200
    assert _moderate(client, h, "comments", 999_999, "delete").status_code == 404
    assert make.get(Post, post).comment_count == 1
    assert _log(make) == [
        ("hide", "comment", first),
        ("restore", "comment", first),
        ("delete", "comment", first),
        ("hide", "comment", second),
        ("delete", "comment", second),
    ]
    _assert_counts_exact(make)


def test_repeated_post_moderation_answers_409_once_each(client, make):
    alice, bob, mod = _people(make)
    post = make.post(alice, "On $AAPL", "Long $AAPL.")
    make.comment(post, bob)
    h = _bearer(client, "mod")
    actions = ("hide", "restore", "lock", "unlock", "pin", "unpin", "delete")
    answers = [(a, _moderate(client, h, "posts", post, a).status_code) for a in actions for _ in range(2)]
    assert answers == [(a, status) for a in actions for status in (200, 409)]
    assert _log(make) == [(a, "post", post) for a in actions]
    assert make.get(Post, post) is None
    _assert_counts_exact(make)


def test_resolving_a_report_twice_logs_once(client, make):
    alice, bob, mod = _people(make)
    post = make.post(alice)
    report = client.post(f"{P}/reports", json={"post_id": post, "reason": REASON}, headers=_bearer(client, "bob"))
    assert report.status_code == 201
    again = client.post(f"{P}/reports", json={"post_id": post, "reason": REASON}, headers=_bearer(client, "bob"))
    assert again.status_code == 409 and "already reported" in again.get_json()["error"]["message"]
    h, path = _bearer(client, "mod"), f"{P}/moderation/reports/{report.get_json()['id']}/resolve"
    statuses = [client.post(path, json={"resolution": "Fine"}, headers=h).status_code for _ in range(2)]
    assert statuses == [200, 409]
    assert _log(make) == [("resolve", "report", report.get_json()["id"])]


# --- evidence: hidden content stays, reports outlive deletion -----------------------------------


def test_the_author_cannot_delete_a_post_a_moderator_hid(client, make):
    alice, bob, mod = _people(make)
    post = make.post(alice)
    assert _moderate(client, _bearer(client, "mod"), "posts", post, "hide").status_code == 200
    refused = client.delete(f"{P}/posts/{post}", headers=_bearer(client, "alice"))
    assert refused.status_code == 403
    assert refused.get_json()["error"] == {
        "code": "hidden",
        "message": "A moderator hid this post: it is kept for moderation and cannot be deleted.",
        "fields": {},
    }
    assert client.delete(f"{P}/posts/{post}", headers=_bearer(client, "bob")).status_code == 404
    assert make.get(Post, post) is not None
    # The forum's delete button says the same.
    sign_in(client, alice)
    confirmed = {"csrf_token": _csrf(client), "confirm": "yes"}
    response = client.post(f"/posts/{post}/delete", data=confirmed, follow_redirects=True)
    assert "A moderator hid this post: it is kept for moderation and cannot be deleted." in flashes(response)
    assert make.get(Post, post) is not None
    _assert_counts_exact(make)


def _csrf(client) -> str:
    import re

    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', body(client.get("/")))
    assert match
    return match.group(1)


def test_the_author_cannot_delete_a_comment_a_moderator_hid(client, make):
    alice, bob, mod = _people(make)
    post = make.post(alice)
    comment = make.comment(post, bob, "Buy my course")
    make.comment(post, alice, "Thanks")
    assert _moderate(client, _bearer(client, "mod"), "comments", comment, "hide").status_code == 200
    sign_in(client, bob)
    response = client.post(f"/comments/{comment}/delete", data={"csrf_token": _csrf(client), "confirm": "yes"})
    assert response.status_code == 403
    assert "A moderator hid this comment: it is kept for moderation and cannot be deleted." in flashes(response)
    assert make.get(Comment, comment) is not None
    assert make.get(Post, post).comment_count == 1
    _assert_counts_exact(make)


def test_a_double_submitted_comment_delete_moves_the_count_once(client, make):
    alice, bob, mod = _people(make)
    post = make.post(alice)
    comments = [make.comment(post, bob, f"Comment {n}") for n in range(5)]
    sign_in(client, bob)
    token = _csrf(client)
    first = client.post(f"/comments/{comments[0]}/delete", data={"csrf_token": token, "confirm": "yes"})
    second = client.post(f"/comments/{comments[0]}/delete", data={"csrf_token": token, "confirm": "yes"})
    assert (first.status_code, second.status_code) == (302, 404)
    assert make.get(Post, post).comment_count == 4
    # The author's delete of their other visible comments still works (it used to 500 once the count was off).
    confirmed = {"csrf_token": token, "confirm": "yes"}
    assert client.post(f"/comments/{comments[1]}/delete", data=confirmed).status_code == 302
    assert make.get(Post, post).comment_count == 3
    _assert_counts_exact(make)


def _reports(client, headers, status="open") -> list[dict]:
    return client.get(f"{P}/moderation/reports?status={status}", headers=headers).get_json()["items"]


def test_reports_survive_the_deletion_of_what_they_report_with_their_snapshot(client, make):
    alice, bob, mod = _people(make)
    post = make.post(alice, "Pump $XYZ now", "Guaranteed 10x, DM me.")
    comment = make.comment(post, alice, "Join my paid group")
    hb, hm = _bearer(client, "bob"), _bearer(client, "mod")
    assert client.post(f"{P}/reports", json={"post_id": post, "reason": "Pump"}, headers=hb).status_code == 201
    on_comment = {"post_id": post, "comment_id": comment, "reason": "Spam"}
    assert client.post(f"{P}/reports", json=on_comment, headers=hb).status_code == 201
    # Edited after the report: the queue shows what was reported.
    with make.app.app_context():
        db.session.execute(update(Comment).where(Comment.id == comment).values(body="(edited away)"))
        db.session.commit()
    assert _moderate(client, hm, "comments", comment, "delete").status_code == 200
    by_comment = next(r for r in _reports(client, hm) if r["target"]["type"] == "comment")["target"]
    assert by_comment == {
        "type": "comment",
        "post_id": post,
        "comment_id": None,
        "title": "Pump $XYZ now",
        "excerpt": "Join my paid group",
        "author": {"id": alice, "username": "alice"},
        "hidden": False,
        "deleted": True,
    }
    # The author deletes the post: both reports stay, with the snapshot.
    assert client.delete(f"{P}/posts/{post}", headers=_bearer(client, "alice")).status_code == 204
    targets = {r["target"]["type"]: r["target"] for r in _reports(client, hm)}
    assert targets["post"] == {
        "type": "post",
        "post_id": None,
        "comment_id": None,
        "title": "Pump $XYZ now",
        "excerpt": "Guaranteed 10x, DM me.",
        "author": {"id": alice, "username": "alice"},
        "hidden": False,
        "deleted": True,
    }
    assert targets["comment"]["deleted"] is True
    with make.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 2
    # The queue page shows them and offers no hide button for what is gone.
    sign_in(client, mod)
    page = body(client.get("/moderation"))
    assert "Guaranteed 10x, DM me." in page and "Join my paid group" in page
    assert 'value="hide"' not in page
    _assert_counts_exact(make)


# --- notifications of hidden posts ---------------------------------------------------------------


def test_a_report_on_a_deleted_comment_is_not_a_report_on_its_post(client, make):
    """The deleted comment's report keeps the post id and loses the comment id; the member may still report the post."""
    alice, bob, mod = _people(make)
    post = make.post(alice, "Pump $XYZ now", "Guaranteed 10x.")
    comment = make.comment(post, alice, "Join my paid group")
    hb, hm = _bearer(client, "bob"), _bearer(client, "mod")
    on_comment = {"post_id": post, "comment_id": comment, "reason": "Spam"}
    assert client.post(f"{P}/reports", json=on_comment, headers=hb).status_code == 201
    assert _moderate(client, hm, "comments", comment, "delete").status_code == 200
    answer = client.post(f"{P}/reports", json={"post_id": post, "reason": "Pump"}, headers=hb)
    assert answer.status_code == 201, answer.get_json()
    assert sorted(r["target"]["type"] for r in _reports(client, hm)) == ["comment", "post"]
    again = client.post(f"{P}/reports", json={"post_id": post, "reason": "Pump"}, headers=hb)
    assert again.status_code == 409 and "already reported" in again.get_json()["error"]["message"]


def test_a_notification_of_a_hidden_post_shows_no_title(client, make):
    alice, bob, mod = _people(make)
    hb = _bearer(client, "bob")
    created = client.post(
        f"{P}/posts",
        json={"title": "Secret sauce for @bob", "body": "cc @bob", "category": "stocks"},
        headers=_bearer(client, "alice"),
    )
    assert created.status_code == 201
    post = created.get_json()["id"]
    assert [n["post_title"] for n in client.get(f"{P}/notifications", headers=hb).get_json()["items"]] == [
        "Secret sauce for @bob"
    ]
    assert _moderate(client, _bearer(client, "mod"), "posts", post, "hide").status_code == 200
    (item,) = client.get(f"{P}/notifications", headers=hb).get_json()["items"]
    assert (item["post_id"], item["post_title"]) == (post, None)
    sign_in(client, bob)
    page = body(client.get("/notifications"))
    assert "Secret sauce" not in page and "[hidden post]" in page
    assert _moderate(client, _bearer(client, "mod"), "posts", post, "restore").status_code == 200
    (item,) = client.get(f"{P}/notifications", headers=hb).get_json()["items"]
    assert item["post_title"] == "Secret sauce for @bob"


# --- the same guards under threads (the SQLAlchemy path; the HTTP race suite is elsewhere) --------


def _race(app, user_id: int, act, threads: int = 4) -> list[int]:
    """Run ``act(session, user)`` in ``threads`` threads at once, each on its own session: the statuses."""
    barrier, answers = threading.Barrier(threads), []

    def run():
        with app.app_context(), Session(db.engine) as session:
            user = session.get(User, user_id)
            barrier.wait()
            try:
                act(session, user)
                answers.append(200)
            except ApiError as exc:
                session.rollback()
                answers.append(exc.status)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sorted(answers)


def test_concurrent_identical_hides_and_deletes_change_the_comment_once(app, make):
    alice, bob, mod = _people(make)
    post = make.post(alice)
    comments = [make.comment(post, bob, f"Comment {n}") for n in range(3)]

    def moderate(comment_id: int, action: str):
        def act(session, moderator):
            session.get(Comment, comment_id)  # read before the others write: the stale state the guard re-checks
            payload = CommentModeration(action=action, reason=REASON)
            moderation_service.moderate_comment(session, moderator, comment_id, payload)

        return act

    assert _race(app, mod, moderate(comments[0], "hide")) == [200, 409, 409, 409]
    assert make.get(Post, post).comment_count == 2
    assert _race(app, mod, moderate(comments[1], "delete")) == [200, 409, 409, 409]
    assert make.get(Post, post).comment_count == 1
    assert _log(make) == [("hide", "comment", comments[0]), ("delete", "comment", comments[1])]
    _assert_counts_exact(make)


def test_concurrent_identical_reports_file_one(app, make):
    alice, bob, mod = _people(make)
    post = make.post(alice)

    def report(session, reporter):
        report_service.create_report(session, reporter, ReportCreate(post_id=post, reason=REASON))

    assert _race(app, bob, report) == [200, 409, 409, 409]
    with make.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1


def test_a_moderator_double_clicking_delete_on_the_forum_gets_a_notice(client, make):
    alice, bob, mod = _people(make)
    post = make.post(alice)
    comment = make.comment(post, bob, "Spam")
    sign_in(client, mod)
    token = _csrf(client)
    form = {"action": "delete", "reason": REASON, "csrf_token": token, "next": f"/posts/{post}", "confirm": "yes"}
    first = client.post(f"/moderation/comments/{comment}", data=form)
    second = client.post(f"/moderation/comments/{comment}", data=form, follow_redirects=True)
    assert first.status_code == 302 and second.status_code == 200
    assert "The comment is already deleted." in flashes(second)
    first = client.post(f"/moderation/posts/{post}", data={**form, "next": "/"})
    second = client.post(f"/moderation/posts/{post}", data={**form, "next": "/"}, follow_redirects=True)
    assert first.status_code == 302 and second.status_code == 200
    assert "The post is already deleted." in flashes(second)
    assert [action for action, _, _ in _log(make)] == ["delete", "delete"]
    _assert_counts_exact(make)


def test_the_same_suspension_twice_is_a_409_and_one_log_entry(client, make):
    alice, bob, mod = _people(make)
    h, path = _bearer(client, "mod"), f"{P}/moderation/users/bob"

    def suspend(days: int):
        return client.post(path, json={"action": "suspend", "days": days, "reason": REASON}, headers=h)

    assert [suspend(3).status_code, suspend(3).status_code] == [200, 409]
    assert suspend(3).get_json()["error"]["message"].startswith("The user is already suspended until ")
    assert suspend(5).status_code == 200, "a different end is a real change"
    lift = {"action": "unsuspend", "reason": REASON}
    assert [client.post(path, json=lift, headers=h).status_code for _ in range(2)] == [200, 409]
    assert [action for action, _, _ in _log(make)] == ["suspend", "suspend", "unsuspend"]


def test_concurrent_identical_suspensions_log_once(app, make):
    alice, bob, mod = _people(make)
    payload = UserModeration(action="suspend", days=3, reason=REASON)
    assert _race(app, mod, lambda session, moderator: moderation_service.moderate_user(
        session, moderator, "bob", payload)) == [200, 409, 409, 409]  # fmt: skip
    assert [action for action, _, _ in _log(make)] == ["suspend"]
