"""The community pages: moderation, reports, notifications, watches, history, profiles, suspensions, set-role.

Through the Flask test client on SQLite and PostgreSQL, asserting what a person
sees (flashes, banners, counts, field errors) and what the database holds
afterwards (hidden_at, reports, notifications, the moderation log, roles).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from finboard.core.models import (
    CategoryWatch,
    Comment,
    ModerationAction,
    Notification,
    Post,
    PostWatch,
    Report,
    User,
    utcnow,
)
from finboard.extensions import db
from tests.helpers import (
    body,
    field_error,
    flashes,
    form_value,
    location_path,
    post_titles,
    sign_in,
    text,
    unsafe_markup,
    without_own_scripts,
)

REASON = "Spam with a referral link"


# --- helpers -----------------------------------------------------------------------------


def set_role(make, user_id: int, role: str) -> None:
    with make.app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(role=role))
        db.session.commit()


def rows(make, model, *where):
    with make.app.app_context():
        result = db.session.scalars(select(model).where(*where).order_by(model.id)).all()
        for row in result:
            db.session.expunge(row)
        return result


def count(make, model, *where) -> int:
    with make.app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def csrf(client, path: str = "/") -> str:
    html = body(client.get(path))
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def post_form(client, path: str, **data):
    return client.post(path, data={**data, "csrf_token": csrf(client)})


def bell(client) -> int:
    """The unread count the header's bell shows (0 when it shows none)."""
    html = body(client.get("/"))
    assert 'href="/notifications"' in html
    match = re.search(r'<span class="bell-count" id="bell-count"[^>]*>(\d+)</span>', html)
    return int(match.group(1)) if match else 0


@pytest.fixture
def people(make):
    """alice (member, author), bob (member), mod (moderator)."""
    alice, bob, mod = make.user("alice"), make.user("bob"), make.user("mod")
    set_role(make, mod, "moderator")
    return {"alice": alice, "bob": bob, "mod": mod}


@pytest.fixture
def post(make, people):
    return make.post(people["alice"], title="Why $AAPL still matters", body="Long **$AAPL** into earnings.")


def hidden_at(make, post_id):
    return make.get(Post, post_id).hidden_at


# --- access -------------------------------------------------------------------------------


def test_members_and_visitors_cannot_reach_moderation(client, make, people, post):
    comment = make.comment(post, people["bob"])
    assert location_path(client.get("/moderation")).startswith("/auth/login")
    sign_in(client, people["bob"])
    response = client.get("/moderation")
    assert response.status_code == 403
    assert "Only moderators can do this." in text(response)
    assert 'href="/moderation"' not in body(client.get("/"))  # no header link for members
    attempts = [
        (f"/moderation/posts/{post}", {"action": "hide", "reason": REASON}),
        (f"/moderation/posts/{post}", {"action": "delete", "reason": REASON}),
        (f"/moderation/posts/{post}", {"action": "lock"}),
        (f"/moderation/comments/{comment}", {"action": "hide", "reason": REASON}),
        ("/u/alice/suspend", {"days": "3", "reason": REASON}),
        ("/moderation/reports/1", {"action": "resolve"}),
    ]
    for path, data in attempts:
        assert post_form(client, path, **data).status_code == 403, path
    stored = make.get(Post, post)
    assert (stored.hidden_at, stored.locked, stored.pinned) == (None, False, False)
    assert make.get(Comment, comment).hidden_at is None
    assert make.get(User, people["alice"]).suspended_until is None
    assert count(make, ModerationAction) == 0
    # And the post page offers a member none of the buttons.
    page = body(client.get(f"/posts/{post}"))
    assert "/moderation/posts/" not in page and "/moderation/comments/" not in page


def test_a_moderator_hides_a_reported_post_and_restores_it(client, make, people, post):
    make.post(people["bob"], title="Bob on $MSFT", body="Cloud growth at $MSFT.")
    make.comment(post, people["bob"], body="Looks like spam to me")
    # bob reports alice's post through the form
    sign_in(client, people["bob"])
    form_page = client.get(f"/posts/{post}/report")
    assert form_page.status_code == 200 and "Why $AAPL still matters" in text(form_page)
    response = post_form(client, f"/posts/{post}/report", reason=REASON)
    assert location_path(response) == f"/posts/{post}"
    assert flashes(client.get(f"/posts/{post}")) == ["Thank you: a moderator will look at your report."]
    (report,) = rows(make, Report)
    assert (report.reporter_id, report.post_id, report.comment_id, report.status) == (people["bob"], post, None, "open")
    again = post_form(client, f"/posts/{post}/report", reason=REASON)
    assert flashes(client.get(location_path(again))) == ["You have already reported this; a moderator will look at it."]
    assert count(make, Report) == 1

    # the moderator sees it in the queue and hides the post from there
    sign_in(client, people["mod"])
    queue = client.get("/moderation")
    assert queue.status_code == 200
    assert REASON in text(queue) and "Why $AAPL still matters" in text(queue) and "bob" in text(queue)
    response = post_form(
        client, f"/moderation/reports/{report.id}", action="hide", note="Referral spam", next="/moderation"
    )
    assert location_path(response) == "/moderation"
    assert flashes(client.get("/moderation")) == ["Hidden and resolved."]
    assert hidden_at(make, post) is not None
    (report,) = rows(make, Report)
    assert (report.status, report.resolution, report.resolved_by_id) == ("resolved", "Referral spam", people["mod"])
    assert "No open reports" in text(client.get("/moderation"))
    assert "Referral spam" in text(client.get("/moderation?tab=resolved"))

    # gone from every listing and count, for everyone
    assert post_titles(client.get("/")) == ["Bob on $MSFT"]
    assert "1 post about" in text(client.get("/"))
    assert post_titles(client.get("/c/stocks")) == ["Bob on $MSFT"]
    assert post_titles(client.get("/u/alice")) == [] and "0 posts" in text(client.get("/u/alice"))
    assert post_titles(client.get("/search?cashtag=AAPL")) == []

    # members get a 404; the moderator reads it with a banner and a Restore button
    moderator_view = client.get(f"/posts/{post}")
    assert moderator_view.status_code == 200
    assert "Hidden by a moderator" in text(moderator_view) and 'value="restore"' in body(moderator_view)
    assert "Looks like spam to me" in text(moderator_view) and "1 comment" in text(moderator_view)
    sign_in(client, people["bob"])
    assert client.get(f"/posts/{post}").status_code == 404
    sign_in(client, people["alice"])
    assert client.get(f"/posts/{post}").status_code == 404
    with client.session_transaction() as session:
        session.clear()
    assert client.get(f"/posts/{post}").status_code == 404

    # the log shows who did what, with a Restore button; restoring brings it back
    sign_in(client, people["mod"])
    log = client.get("/moderation?tab=log")
    assert "Referral spam" in text(log) and "hide" in text(log) and "resolve" in text(log)
    assert f'action="/moderation/posts/{post}"' in body(log)
    response = post_form(
        client, f"/moderation/posts/{post}", action="restore", reason="False alarm", next="/moderation?tab=log"
    )
    assert location_path(response) == "/moderation?tab=log"
    assert hidden_at(make, post) is None
    assert post_titles(client.get("/")) == ["Bob on $MSFT", "Why $AAPL still matters"]
    assert "2 posts" in text(client.get("/"))
    sign_in(client, people["bob"])
    assert client.get(f"/posts/{post}").status_code == 200
    actions = [(a.action, a.target_type, a.moderator_id, a.reason) for a in rows(make, ModerationAction)]
    assert actions == [
        ("hide", "post", people["mod"], "Referral spam"),
        ("resolve", "report", people["mod"], "Referral spam"),
        ("restore", "post", people["mod"], "False alarm"),
    ]


def test_moderation_needs_a_reason_and_tells_so(client, make, people, post):
    sign_in(client, people["mod"])
    response = post_form(client, f"/moderation/posts/{post}", action="hide", reason=" ")
    assert location_path(response) == f"/posts/{post}"
    assert flashes(client.get(f"/posts/{post}")) == [
        "Give a reason of 3 to 500 characters: it goes in the moderation log."
    ]
    assert hidden_at(make, post) is None and count(make, ModerationAction) == 0
    assert post_form(client, f"/moderation/posts/{post}", action="explode", reason=REASON).status_code == 302
    assert count(make, ModerationAction) == 0


def test_reporting_and_hiding_a_comment(client, make, people, post):
    comment = make.comment(post, people["bob"], body="Buy my course at scam.example")
    make.comment(post, people["alice"], body="Thanks all")
    sign_in(client, people["alice"])
    assert f'href="/comments/{comment}/report"' in body(client.get(f"/posts/{post}"))
    response = post_form(client, f"/comments/{comment}/report", reason="ab")
    assert response.status_code == 422
    assert field_error(response, "reason") == "Between 3 and 500 characters."
    assert count(make, Report) == 0
    response = post_form(client, f"/comments/{comment}/report", reason="Selling a course")
    assert location_path(response) == f"/posts/{post}"
    (report,) = rows(make, Report)
    assert (report.post_id, report.comment_id) == (post, comment)

    sign_in(client, people["mod"])
    queue = text(client.get("/moderation"))
    assert "Buy my course at scam.example" in queue and "Selling a course" in queue
    post_form(client, f"/moderation/comments/{comment}", action="hide", reason="Spam")
    assert make.get(Comment, comment).hidden_at is not None
    page = client.get(f"/posts/{post}")
    assert "scam.example" not in text(page) and "1 comment" in text(page)
    assert make.get(Post, post).comment_count == 1
    # the queue shows the target as hidden now; resolving needs no hide
    queue = client.get("/moderation")
    assert "Hidden" in text(queue) and 'value="hide"' not in body(queue)
    post_form(client, f"/moderation/reports/{report.id}", action="resolve", note="")
    assert rows(make, Report)[0].status == "resolved"
    assert post_form(client, f"/moderation/reports/{report.id}", action="resolve").status_code == 302
    assert flashes(client.get("/moderation")) == ["This report is already resolved."]


# --- lock, pin, delete ----------------------------------------------------------------------------


def test_lock_blocks_comments_except_for_moderators(client, make, people, post):
    sign_in(client, people["mod"])
    post_form(client, f"/moderation/posts/{post}", action="lock", reason="Heated thread")
    post_form(client, f"/moderation/posts/{post}", action="pin", reason="Useful thread")
    stored = make.get(Post, post)
    assert (stored.locked, stored.pinned) == (True, True)
    page = client.get(f"/posts/{post}")
    assert "Locked." in text(page) and "Pinned" in text(page)
    assert form_value(page, "body") == ""  # moderators still get the comment form
    assert post_form(client, f"/posts/{post}/comments", body="Mod note: keep it civil").status_code == 302

    sign_in(client, people["bob"])
    page = client.get(f"/posts/{post}")
    assert "Locked. This post takes no new comments." in text(page)
    assert form_value(page, "body") is None  # no comment form
    refused = post_form(client, f"/posts/{post}/comments", body="Let me in")
    assert refused.status_code == 403
    assert flashes(refused) == ["This post is locked: it takes no new comments."]
    assert count(make, Comment) == 1 and make.get(Post, post).comment_count == 1

    sign_in(client, people["mod"])
    post_form(client, f"/moderation/posts/{post}", action="unlock", reason="Calmer now")
    sign_in(client, people["bob"])
    assert post_form(client, f"/posts/{post}/comments", body="Let me in").status_code == 302
    assert count(make, Comment) == 2


def test_a_moderator_deletes_a_post(client, make, people, post):
    sign_in(client, people["mod"])
    response = post_form(client, f"/moderation/posts/{post}", action="delete", reason="Duplicate", confirm="yes")
    assert location_path(response) == "/"
    assert make.get(Post, post) is None
    assert post_titles(client.get("/")) == []
    assert [(a.action, a.summary) for a in rows(make, ModerationAction)] == [("delete", "Why $AAPL still matters")]


# --- suspension ----------------------------------------------------------------------------------------


def test_a_suspended_member_reads_but_cannot_write(client, make, people, post):
    sign_in(client, people["mod"])
    profile = client.get("/u/bob")
    assert 'action="/u/bob/suspend"' in body(profile)
    response = post_form(client, "/u/bob/suspend", days="3", reason="Cooling off")
    assert location_path(response) == "/u/bob"
    until = make.get(User, people["bob"]).suspended_until
    assert until is not None and timedelta(days=2, hours=23) < until - utcnow() <= timedelta(days=3)
    shown = f"{until:%Y-%m-%d %H:%M} UTC"
    assert "Suspended until" in text(client.get("/u/bob"))

    sign_in(client, people["bob"])
    home = client.get("/")
    assert f"Your account is suspended until {shown}: you can read but not write." in text(home)
    assert client.get(f"/posts/{post}").status_code == 200  # reading still works
    message = f"Your account is suspended until {shown}: you can read but not write."
    refused = post_form(client, "/posts/new", title="Bob is back", body="Buy $GME", category="stocks")
    assert refused.status_code == 403 and flashes(refused) == [message]
    assert form_value(refused, "title") == "Bob is back"  # the form is kept
    refused = post_form(client, f"/posts/{post}/comments", body="Hello?")
    assert refused.status_code == 403 and flashes(refused) == [message]
    refused = post_form(client, f"/posts/{post}/report", reason="Reporting while suspended")
    assert refused.status_code == 403 and flashes(refused) == [message]
    refused = post_form(client, "/profile/edit", bio="New bio")
    assert refused.status_code == 403 and flashes(refused) == [message]
    assert count(make, Post, Post.author_id == people["bob"]) == 0
    assert count(make, Comment) == 0 and count(make, Report) == 0
    assert make.get(User, people["bob"]).bio == ""

    sign_in(client, people["mod"])
    post_form(client, "/u/bob/unsuspend", reason="Served")
    assert make.get(User, people["bob"]).suspended_until is None
    sign_in(client, people["bob"])
    assert "suspended" not in text(client.get("/"))
    assert post_form(client, f"/posts/{post}/comments", body="Hello again").status_code == 302
    log = [(a.action, a.target_type, a.target_id) for a in rows(make, ModerationAction)]
    assert log == [("suspend", "user", people["bob"]), ("unsuspend", "user", people["bob"])]


def test_moderators_cannot_suspend_their_peers_or_admins(client, make, people):
    boss = make.user("boss")
    set_role(make, boss, "admin")
    other = make.user("other_mod")
    set_role(make, other, "moderator")
    sign_in(client, people["mod"])
    for name in ("boss", "other_mod"):
        assert 'action="/u/' + name + '/suspend"' not in body(client.get(f"/u/{name}"))
        response = post_form(client, f"/u/{name}/suspend", days="3", reason="Power grab")
        assert response.status_code == 403
        assert "You can only moderate users below your own role." in text(response)
    assert make.get(User, boss).suspended_until is None and make.get(User, other).suspended_until is None
    # an admin can suspend a moderator
    sign_in(client, boss)
    assert post_form(client, "/u/mod/suspend", days="1", reason="Overreach").status_code == 302
    assert make.get(User, people["mod"]).suspended_until is not None


def test_suspend_form_errors_are_shown_and_nothing_changes(client, make, people):
    sign_in(client, people["mod"])
    response = post_form(client, "/u/bob/suspend", days="0", reason="Too short a ban")
    assert flashes(client.get(location_path(response))) == ["From 1 to 3650 days."]
    post_form(client, "/u/bob/suspend", days="2", reason="")
    assert make.get(User, people["bob"]).suspended_until is None
    assert count(make, ModerationAction) == 0


# --- notifications ---------------------------------------------------------------------------------------


def test_a_mention_and_a_reply_notify_and_mark_read_clears_the_bell(client, make, people, post):
    carol = make.user("carol")
    sign_in(client, people["bob"])
    response = post_form(client, f"/posts/{post}/comments", body="@carol you called this one")
    assert response.status_code == 302
    comment = int(response.headers["Location"].rsplit("#comment-", 1)[1])
    by_user = {n.user_id: n for n in rows(make, Notification)}
    assert {uid: n.kind for uid, n in by_user.items()} == {carol: "mention", people["alice"]: "reply"}
    assert bell(client) == 0  # bob wrote it: nothing for him

    sign_in(client, carol)
    assert bell(client) == 1
    page = client.get("/notifications")
    assert "bob mentioned you in Why $AAPL still matters" in text(page)
    opener = f"/notifications/{by_user[carol].id}/open"  # marks it read (tests/web/test_reading.py)
    assert f'href="{opener}"' in body(page) and location_path(client.get(opener)) == f"/comments/{comment}"
    target = client.get(f"/comments/{comment}")
    assert location_path(target) == f"/posts/{post}" and target.headers["Location"].endswith(f"#comment-{comment}")
    response = post_form(client, "/notifications/read", id=str(by_user[carol].id))
    assert location_path(response) == "/notifications"
    assert bell(client) == 0 and rows(make, Notification, Notification.user_id == carol)[0].read_at is not None
    assert rows(make, Notification, Notification.user_id == people["alice"])[0].read_at is None  # not hers

    sign_in(client, people["alice"])
    assert bell(client) == 1
    assert "bob commented on your post Why $AAPL still matters" in text(client.get("/notifications"))
    # someone else's notification id is ignored
    post_form(client, "/notifications/read", id=str(by_user[carol].id))
    assert bell(client) == 1
    response = post_form(client, "/notifications/read")
    assert flashes(client.get(location_path(response))) == ["All notifications marked read."]
    assert bell(client) == 0


def test_watching_a_post_and_a_category_notifies(client, make, people, post):
    sign_in(client, people["bob"])
    page = client.get(f"/posts/{post}")
    assert '<button type="submit" aria-pressed="false">Watch</button>' in body(page)
    post_form(client, f"/posts/{post}/watch", watch="1")
    assert count(make, PostWatch, PostWatch.user_id == people["bob"]) == 1
    assert '<button type="submit" aria-pressed="true">Unwatch</button>' in body(client.get(f"/posts/{post}"))
    post_form(client, "/c/crypto/watch", watch="1")
    assert count(make, CategoryWatch, CategoryWatch.user_id == people["bob"]) == 1
    assert "Unwatch category" in text(client.get("/c/crypto"))

    make.comment(post, people["mod"], body="Nice one")  # through queries: no notification rules
    sign_in(client, people["mod"])
    post_form(client, f"/posts/{post}/comments", body="Watchers get this")
    post_form(client, "/posts/new", title="Moving to $BTC", body="Crypto talk", category="crypto")
    sign_in(client, people["bob"])
    assert bell(client) == 2
    listing = text(client.get("/notifications"))
    assert "mod commented on Why $AAPL still matters" in listing
    assert "mod posted in a category you watch: Moving to $BTC" in listing

    post_form(client, f"/posts/{post}/watch", watch="0")
    post_form(client, "/c/crypto/watch", watch="0")
    assert count(make, PostWatch, PostWatch.user_id == people["bob"]) == 0
    assert count(make, CategoryWatch) == 0


# --- edit history --------------------------------------------------------------------------------------------


def test_edit_history_shows_the_previous_version(client, make, people, post):
    sign_in(client, people["alice"])
    assert "/history" not in body(client.get(f"/posts/{post}"))
    response = post_form(
        client, f"/posts/{post}/edit", title="Why $AAPL matters less", body="Trimmed **half**.", category="stocks"
    )
    assert response.status_code == 302
    page = body(client.get(f"/posts/{post}"))
    assert f'href="/posts/{post}/history"' in page
    history = client.get(f"/posts/{post}/history")
    assert history.status_code == 200
    shown = text(history)
    assert "2 versions" in shown
    assert shown.index("Why $AAPL matters less") < shown.index("Why $AAPL still matters")
    assert "<strong>half</strong>" in body(history)  # both versions rendered as Markdown
    assert "Long $AAPL into earnings." in shown and "Trimmed half" in shown
    assert "edited by alice" in shown
    assert client.get("/posts/999999/history").status_code == 404


# --- profiles -----------------------------------------------------------------------------------------------------


def test_profile_shows_role_counts_comments_and_bio(client, make, people, post):
    make.comment(post, people["mod"], body="Agree with **this**")
    with make.app.app_context():
        db.session.execute(update(User).where(User.id == people["mod"]).values(bio="Options *nerd*."))
        db.session.commit()
    page = client.get("/u/mod")
    shown = text(page)
    assert "Moderator" in shown and "Member since" in shown
    assert "0 posts · 1 comment" in shown
    assert "Recent comments" in shown and "Agree with this" in shown and "Why $AAPL still matters" in shown
    assert "<em>nerd</em>" in body(page)
    assert "Posts by mod" in shown
    assert "role-badge" not in body(client.get("/u/alice"))  # members wear no badge


def test_bio_edit_validates_and_keeps_the_old_bio(client, make, people):
    sign_in(client, people["alice"])
    assert 'href="/profile/edit"' in body(client.get("/u/alice"))
    assert 'href="/profile/edit"' not in body(client.get("/u/bob"))
    response = post_form(client, "/profile/edit", bio="Dividend investor. <script>alert(1)</script> **DRIP**")
    assert location_path(response) == "/u/alice"
    page = client.get("/u/alice")
    assert "<strong>DRIP</strong>" in body(page) and "<script" not in body(page)
    too_long = post_form(client, "/profile/edit", bio="x" * 501)
    assert too_long.status_code == 422
    assert field_error(too_long, "bio") == "At most 500 characters."
    assert form_value(too_long, "bio") == "x" * 501
    assert make.get(User, people["alice"]).bio == "Dividend investor. <script>alert(1)</script> **DRIP**"


def test_old_profile_links_still_work(client, make, people):
    assert client.get("/u/ALICE").status_code == 200
    assert client.get("/u/nobody").status_code == 404


# --- rate limits ----------------------------------------------------------------------------------------------


def test_new_accounts_get_a_small_hourly_allowance_on_the_forms(app, client, make, people, post):
    settings = app.config["FINBOARD_SETTINGS"]
    app.config["FINBOARD_SETTINGS"] = settings.replace(new_account_posts_per_hour=2, new_account_comments_per_hour=2)
    sign_in(client, people["bob"])
    for n in range(2):
        assert post_form(client, "/posts/new", title=f"Idea {n}", body="Buy $SPY", category="stocks").status_code == 302
    refused = post_form(client, "/posts/new", title="Idea 3", body="Buy $SPY", category="stocks")
    assert refused.status_code == 429
    assert flashes(refused) == ["New accounts can write 2 posts an hour. Try again later."]
    assert form_value(refused, "title") == "Idea 3"
    assert count(make, Post, Post.author_id == people["bob"]) == 2
    for n in range(2):
        assert post_form(client, f"/posts/{post}/comments", body=f"Note {n}").status_code == 302
    refused = post_form(client, f"/posts/{post}/comments", body="One too many")
    assert refused.status_code == 429
    assert flashes(refused) == ["New accounts can write 2 comments an hour. Try again later."]
    assert count(make, Comment) == 2


# --- the set-role command -------------------------------------------------------------------------------------


def test_set_role(runner, make, people):
    result = runner.invoke(args=["set-role", "ALICE", "moderator"])
    assert result.exit_code == 0, result.output
    assert "alice is now a moderator (was a member)." in result.output
    assert make.get(User, people["alice"]).role == "moderator"
    result = runner.invoke(args=["set-role", "alice", "moderator"])
    assert result.exit_code == 0 and "alice is already a moderator." in result.output
    assert runner.invoke(args=["set-role", "alice", "admin"]).exit_code == 0
    assert make.get(User, people["alice"]).role == "admin"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set-role", "nobody", "admin"], "no account is called 'nobody'"),
        (["set-role", "alice", "king"], "'king' is not one of 'member', 'moderator', 'admin'"),
        (["set-role", "alice"], "Missing argument 'ROLE'"),
    ],
)
def test_set_role_refuses_unknown_users_and_roles(runner, make, people, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert message in result.output
    assert make.get(User, people["alice"]).role == "member"


# --- markup and CSRF ------------------------------------------------------------------------------------------


def test_community_pages_have_no_inline_script_or_style(client, make, people, post):
    comment = make.comment(post, people["bob"], body="A comment to report")
    sign_in(client, people["bob"])
    post_form(client, f"/comments/{comment}/report", reason="Off topic")
    post_form(client, f"/posts/{post}/comments", body="@mod see this")
    sign_in(client, people["mod"])
    post_form(client, f"/moderation/posts/{post}", action="hide", reason="Checking markup")
    paths = [
        "/moderation",
        "/moderation?tab=resolved",
        "/moderation?tab=log",
        "/notifications",
        "/profile/edit",
        f"/posts/{post}",
        f"/posts/{post}/history",
        "/u/bob",
        "/c/stocks",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        html = without_own_scripts(body(response))
        assert unsafe_markup(html) == [], path
        assert not re.search(r"<script\b|<style\b|\sstyle=", html), path
    sign_in(client, people["bob"])
    for path in (f"/comments/{comment}/report", "/profile/edit", "/notifications"):
        html = without_own_scripts(body(client.get(path)))
        assert unsafe_markup(html) == [] and not re.search(r"<script\b|<style\b|\sstyle=", html), path


def test_community_forms_refuse_a_missing_csrf_token(client, make, people, post):
    sign_in(client, people["mod"])
    attempts = [
        (f"/moderation/posts/{post}", {"action": "hide", "reason": REASON}),
        (f"/posts/{post}/watch", {"watch": "1"}),
        ("/c/stocks/watch", {"watch": "1"}),
        (f"/posts/{post}/report", {"reason": REASON}),
        ("/u/bob/suspend", {"days": "3", "reason": REASON}),
        ("/notifications/read", {}),
        ("/profile/edit", {"bio": "Forged"}),
    ]
    for path, data in attempts:
        assert client.post(path, data=data).status_code == 400, path
    assert hidden_at(make, post) is None and count(make, PostWatch) == 0 and count(make, CategoryWatch) == 0
    assert count(make, Report) == 0 and make.get(User, people["bob"]).suspended_until is None
    assert make.get(User, people["mod"]).bio == ""
