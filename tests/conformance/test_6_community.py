"""The community and market contract gives the same answers on every backend that writes.

One scripted sequence — profiles, sentiment and disclosure, edits and their
history, mentions and notifications, watches and the watchlist, reports,
moderation (hide, restore, lock, pin, delete, suspend), cashtag statistics —
runs against each backend's own copy of the database and must produce the same
statuses and bytes (timestamps of rows created now normalised). Then the data
the sequence left behind is checked for being right, not only identical.
"""

from __future__ import annotations

import re

import psycopg

from tests.conformance.sequence import assert_logs_identical, recorder
from tests.conformance.test_2_writes import bearer

P = "/api/v1"
NOW = re.compile(r'"(created_at|updated_at|resolved_at|suspended_until)":"(202[5-9]|20[3-9]\d)-[^"]+"')
DAY = re.compile(r'"day":"\d{4}-\d{2}-\d{2}"')
UNTIL = re.compile(r"until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
PASSWORD = "community-pass-1"
MEMBERS = ("mod_mia", "ann_long", "bob_bear", "cat_watch")


def normalise(content: bytes) -> bytes:
    text = NOW.sub(lambda m: f'"{m.group(1)}":"<now>"', content.decode())
    return UNTIL.sub("until <time>", DAY.sub('"day":"<day>"', text)).encode()


def _setup_members(backend) -> dict[str, dict[str, str]]:
    """Register the sequence's members (mod_mia made a moderator in the database) and log them in."""
    for name in MEMBERS:
        response = backend.request(
            "POST", f"{P}/auth/register", json={"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
    with psycopg.connect(backend.server_database_dsn, autocommit=True) as conn:
        conn.execute("UPDATE users SET role = 'moderator' WHERE username = 'mod_mia'")
        conn.execute("UPDATE users SET role = 'admin' WHERE username = 'cat_watch'")
    headers = {}
    for name in MEMBERS:
        response = backend.request("POST", f"{P}/auth/login", json={"username": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        headers[name] = bearer(response.json()["access_token"])
    return headers


def run_sequence(backend) -> list[tuple[str, int, bytes, object]]:
    log = []
    h = _setup_members(backend)
    mia, ann, bob, cat = (h[name] for name in MEMBERS)

    step = recorder(backend, log, normalise)

    posts, one = f"{P}/posts", f"{P}/posts/{{post_id}}"
    # Profiles.
    profile, me = f"{P}/users/{{username}}", f"{P}/users/me"
    step("profile", "GET", f"{P}/users/ANN_LONG", profile, 200)
    step("profile-missing", "GET", f"{P}/users/nobody_here", profile, 404)
    step("bio-anonymous", "PATCH", me, me, 401, json={"bio": "hi"})
    step("bio-too-long", "PATCH", me, me, 422, json={"bio": "x" * 501}, headers=ann)
    step("bio-extra-field", "PATCH", me, me, 422, json={"bio": "ok", "role": "admin"}, headers=ann)
    step("bio", "PATCH", me, me, 200, json={"bio": "Long-only, *patient*. $AAPL since 2012."}, headers=ann)
    # Watches and the watchlist, before the posts they should hear about.
    watchlist, follow = f"{P}/watchlist", f"{P}/watchlist/{{ticker}}"
    step("watchlist-anonymous", "GET", watchlist, watchlist, 401)
    step("follow", "PUT", f"{watchlist}/$aapl", follow, 200, headers=bob)
    step("follow-again", "PUT", f"{watchlist}/AAPL", follow, 200, headers=bob)
    step("follow-second", "PUT", f"{watchlist}/TSLA", follow, 200, headers=bob)
    step("follow-invalid", "PUT", f"{watchlist}/not-a-ticker", follow, 404, headers=bob)
    step("unfollow", "DELETE", f"{watchlist}/TSLA", follow, 200, headers=bob)
    step("watchlist", "GET", watchlist, watchlist, 200, headers=bob)
    category_watch = f"{P}/categories/{{slug}}/watch"
    step("watch-category", "PUT", f"{P}/categories/stocks/watch", category_watch, 200, headers=cat)
    step("watch-category-missing", "PUT", f"{P}/categories/nope/watch", category_watch, 404, headers=cat)
    # A post with sentiment and disclosure that mentions a member.
    body = {
        "title": "Adding to $AAPL on the dip",
        "body": "Services margin keeps growing (quokkanomics). cc @bob_bear, and watching $MSFT too.",
        "category": "stocks",
        "sentiment": "bullish",
        "positions": {"$aapl": "long", "MSFT": "none"},
    }
    step("create-bad-sentiment", "POST", posts, posts, 422, json={**body, "sentiment": "moon"}, headers=ann)
    step("create-bad-position", "POST", posts, posts, 422, json={**body, "positions": {"AAPL": "hodl"}}, headers=ann)
    step("create-position-not-cashtag", "POST", posts, posts, 422, json={**body, "positions": {"NVDA": "long"}},
         headers=ann)  # fmt: skip
    created = step("create", "POST", posts, posts, 201, json=body, headers=ann).json()
    backend.wait_for_jobs()  # the fan-out reads the audiences when it runs: before the edits below
    post = f"{P}/posts/{created['id']}"
    # Edits keep history.
    step("patch-sentiment-only", "PATCH", post, one, 200, json={"sentiment": None}, headers=ann)
    step("patch-content", "PATCH", post, one, 200,
         json={"body": "Services margin, quokkanomics. cc @bob_bear. $AAPL only now.", "sentiment": "bullish"},
         headers=ann)  # fmt: skip
    revisions = f"{P}/posts/{{post_id}}/revisions"
    step("revisions", "GET", f"{post}/revisions", revisions, 200)
    step("revisions-missing", "GET", f"{P}/posts/99999/revisions", revisions, 404)
    # Comments notify the author (reply), mentioned members and watchers.
    comments = f"{P}/posts/{{post_id}}/comments"
    step("comment-mention", "POST", f"{post}/comments", comments, 201, json={"body": "@cat_watch look at this"},
         headers=bob)  # fmt: skip
    backend.wait_for_jobs()  # before mia starts watching
    step("watch-post", "PUT", f"{post}/watch", f"{P}/posts/{{post_id}}/watch", 200, headers=mia)
    step("comment-2", "POST", f"{post}/comments", comments, 201, json={"body": "Thanks! Still $AAPL long."},
         headers=ann)  # fmt: skip
    backend.wait_for_jobs()  # notifications are a background job: read them once the worker ran it
    notifications = f"{P}/notifications"
    step("notifications-anonymous", "GET", notifications, notifications, 401)
    for name, headers in (("ann", ann), ("bob", bob), ("cat", cat), ("mia", mia)):
        step(f"notifications-{name}", "GET", notifications, notifications, 200, headers=headers)
    step("notifications-unread-bad", "GET", f"{notifications}?unread=maybe", notifications, 422, headers=bob)
    mark = f"{P}/notifications/read"
    step("mark-read-bad", "POST", mark, mark, 422, json={"ids": ["x"]}, headers=bob)
    step("mark-read-all", "POST", mark, mark, 200, json={}, headers=bob)
    step("notifications-unread-bob", "GET", f"{notifications}?unread=true", notifications, 200, headers=bob)
    step("feed", "GET", f"{P}/feed", f"{P}/feed", 200, headers=bob)
    # Reports and moderation.
    reports = f"{P}/reports"
    step("report-anonymous", "POST", reports, reports, 401, json={"post_id": created["id"], "reason": "spam"})
    step("report-short-reason", "POST", reports, reports, 422, json={"post_id": created["id"], "reason": "x"},
         headers=bob)  # fmt: skip
    step("report-missing-post", "POST", reports, reports, 404, json={"post_id": 99999, "reason": "spam spam"},
         headers=bob)  # fmt: skip
    step("report-wrong-comment", "POST", reports, reports, 404,
         json={"post_id": created["id"], "comment_id": 1, "reason": "off topic"}, headers=bob)  # fmt: skip
    report = step("report", "POST", reports, reports, 201, json={"post_id": created["id"], "reason": "Pump and dump"},
                  headers=bob).json()  # fmt: skip
    step("report-again", "POST", reports, reports, 409, json={"post_id": created["id"], "reason": "Pump again"},
         headers=bob)  # fmt: skip
    queue = f"{P}/moderation/reports"
    step("queue-member", "GET", queue, queue, 403, headers=bob)
    step("queue", "GET", queue, queue, 200, headers=mia)
    moderate = f"{P}/moderation/posts/{{post_id}}"
    step("hide-by-member", "POST", f"{P}/moderation/posts/{created['id']}", moderate, 403,
         json={"action": "hide", "reason": "nope"}, headers=bob)  # fmt: skip
    step("hide-bad-action", "POST", f"{P}/moderation/posts/{created['id']}", moderate, 422,
         json={"action": "vanish", "reason": "because"}, headers=mia)  # fmt: skip
    step("hide", "POST", f"{P}/moderation/posts/{created['id']}", moderate, 200,
         json={"action": "hide", "reason": "Reported as a pump"}, headers=mia)  # fmt: skip
    step("hide-again", "POST", f"{P}/moderation/posts/{created['id']}", moderate, 409,
         json={"action": "hide", "reason": "Reported as a pump"}, headers=mia)  # fmt: skip
    step("author-delete-hidden", "DELETE", post, one, 403, headers=ann)
    step("other-delete-hidden", "DELETE", post, one, 404, headers=bob)
    step("notifications-hidden-title", "GET", notifications, notifications, 200, headers=cat)
    step("hidden-detail", "GET", post, one, 404)
    step("hidden-in-cashtag", "GET", f"{posts}?cashtag=AAPL", posts, 200)
    step("hidden-in-search", "GET", f"{posts}?search=quokkanomics", posts, 200)
    step("hidden-comments", "GET", f"{post}/comments", comments, 404)
    step("hidden-comment-refused", "POST", f"{post}/comments", comments, 404, json={"body": "hello?"}, headers=bob)
    step("resolve", "POST", f"{queue}/{report['id']}/resolve", f"{queue}/{{report_id}}/resolve", 200,
         json={"resolution": "Hidden"}, headers=mia)  # fmt: skip
    step("resolve-again", "POST", f"{queue}/{report['id']}/resolve", f"{queue}/{{report_id}}/resolve", 409,
         json={"resolution": "Hidden"}, headers=mia)  # fmt: skip
    step("resolved", "GET", f"{queue}?status=resolved", queue, 200, headers=mia)
    step("restore", "POST", f"{P}/moderation/posts/{created['id']}", moderate, 200,
         json={"action": "restore", "reason": "Checked: fine"}, headers=mia)  # fmt: skip
    step("restore-again", "POST", f"{P}/moderation/posts/{created['id']}", moderate, 409,
         json={"action": "restore", "reason": "Checked: fine"}, headers=mia)  # fmt: skip
    for action in ("lock", "pin"):
        step(action, "POST", f"{P}/moderation/posts/{created['id']}", moderate, 200,
             json={"action": action, "reason": "Mod decision"}, headers=mia)  # fmt: skip
        step(f"{action}-again", "POST", f"{P}/moderation/posts/{created['id']}", moderate, 409,
             json={"action": action, "reason": "Mod decision"}, headers=mia)  # fmt: skip
    step("locked-comment", "POST", f"{post}/comments", comments, 403, json={"body": "can I?"}, headers=bob)
    step("locked-comment-moderator", "POST", f"{post}/comments", comments, 201, json={"body": "Locked, thanks all."},
         headers=mia)  # fmt: skip
    step("pinned", "GET", f"{P}/categories/stocks/pinned", f"{P}/categories/{{slug}}/pinned", 200)
    step("detail-after-moderation", "GET", post, one, 200)
    comment_mod = f"{P}/moderation/comments/{{comment_id}}"
    first_comment = next(r for lbl, _, _, r in log if lbl == "comment-mention").json()["id"]
    step("report-comment", "POST", reports, reports, 201,
         json={"post_id": created["id"], "comment_id": first_comment, "reason": "Off topic"}, headers=ann)  # fmt: skip
    step("report-comment-again", "POST", reports, reports, 409,
         json={"post_id": created["id"], "comment_id": first_comment, "reason": "Off topic"}, headers=ann)  # fmt: skip
    for label, action, status in (
        ("hide-comment-first", "hide", 200),
        ("hide-comment-again", "hide", 409),
        ("restore-comment", "restore", 200),
        ("restore-comment-again", "restore", 409),
    ):
        step(label, "POST", f"{P}/moderation/comments/{first_comment}", comment_mod, status,
             json={"action": action, "reason": "Off topic"}, headers=mia)  # fmt: skip
    step("hide-comment", "POST", f"{P}/moderation/comments/{first_comment}", comment_mod, 200,
         json={"action": "hide", "reason": "Off topic"}, headers=mia)  # fmt: skip
    step("comments-after-hide", "GET", f"{post}/comments", comments, 200)
    # Suspension.
    user_mod = f"{P}/moderation/users/{{username}}"
    step("suspend-no-days", "POST", f"{P}/moderation/users/bob_bear", user_mod, 422,
         json={"action": "suspend", "reason": "Cool off"}, headers=mia)  # fmt: skip
    step("suspend-moderator", "POST", f"{P}/moderation/users/mod_mia", user_mod, 403,
         json={"action": "suspend", "days": 1, "reason": "Cool off"}, headers=mia)  # fmt: skip
    step("suspend", "POST", f"{P}/moderation/users/bob_bear", user_mod, 200,
         json={"action": "suspend", "days": 3, "reason": "Cool off"}, headers=mia)  # fmt: skip
    step("suspend-again", "POST", f"{P}/moderation/users/bob_bear", user_mod, 409,
         json={"action": "suspend", "days": 3, "reason": "Cool off"}, headers=mia)  # fmt: skip
    step("suspended-post", "POST", posts, posts, 403,
         json={"title": "Let me post", "body": "please", "category": "stocks"}, headers=bob)  # fmt: skip
    step("suspended-comment", "POST", f"{P}/posts/1/comments", comments, 403, json={"body": "x"}, headers=bob)
    step("suspended-profile", "GET", f"{P}/users/bob_bear", profile, 200)
    step("unsuspend", "POST", f"{P}/moderation/users/bob_bear", user_mod, 200,
         json={"action": "unsuspend", "reason": "Served"}, headers=mia)  # fmt: skip
    step("unsuspend-again", "POST", f"{P}/moderation/users/bob_bear", user_mod, 409,
         json={"action": "unsuspend", "reason": "Served"}, headers=mia)  # fmt: skip
    log_path = f"{P}/moderation/actions"
    step("moderation-log", "GET", log_path, log_path, 200, headers=mia)
    step("moderation-log-member", "GET", log_path, log_path, 403, headers=ann)
    step("cashtag", "GET", f"{P}/cashtags/aapl", f"{P}/cashtags/{{ticker}}", 200)
    step("cashtag-invalid", "GET", f"{P}/cashtags/123", f"{P}/cashtags/{{ticker}}", 404)
    step("user-comments", "GET", f"{P}/users/bob_bear/comments", f"{P}/users/{{username}}/comments", 200)
    mia_comment = next(r for lbl, _, _, r in log if lbl == "locked-comment-moderator").json()["id"]
    for label, status in (("delete-comment", 200), ("delete-comment-again", 409)):
        step(label, "POST", f"{P}/moderation/comments/{mia_comment}", comment_mod, status,
             json={"action": "delete", "reason": "Cleanup"}, headers=mia)  # fmt: skip
    step("detail-after-comment-delete", "GET", post, one, 200)
    step("delete-by-moderator", "POST", f"{P}/moderation/posts/{created['id']}", moderate, 200,
         json={"action": "delete", "reason": "Cleanup"}, headers=mia)  # fmt: skip
    step("delete-again", "POST", f"{P}/moderation/posts/{created['id']}", moderate, 409,
         json={"action": "delete", "reason": "Cleanup"}, headers=mia)  # fmt: skip
    step("after-delete", "GET", post, one, 404)
    step("queue-after-delete", "GET", queue, queue, 200, headers=mia)
    step("resolved-after-delete", "GET", f"{queue}?status=resolved", queue, 200, headers=mia)
    # A suspended moderator reads the queue but acts on nothing; only an admin can suspend a moderator.
    step("admin-suspends-moderator", "POST", f"{P}/moderation/users/mod_mia", user_mod, 200,
         json={"action": "suspend", "days": 1, "reason": "Overzealous"}, headers=cat)  # fmt: skip
    step("suspended-moderator-acts", "POST", f"{P}/moderation/posts/1", moderate, 403,
         json={"action": "lock", "reason": "Testing"}, headers=mia)  # fmt: skip
    step("suspended-moderator-reads", "GET", queue, queue, 200, headers=mia)
    step("admin-unsuspends-moderator", "POST", f"{P}/moderation/users/mod_mia", user_mod, 200,
         json={"action": "unsuspend", "reason": "Talked it through"}, headers=cat)  # fmt: skip
    return log


def test_community_sequence_is_identical_everywhere(writable):
    logs = {name: run_sequence(backend) for name, backend in writable.items()}
    assert_logs_identical(logs)
    for name, log in logs.items():
        check_data(name, {label: response.json() if response.content else None for label, _, _, response in log})


def check_data(name: str, r: dict) -> None:
    """The sequence's answers are right, not only the same."""
    created = r["create"]
    assert created["sentiment"] == "bullish", name
    assert created["positions"] == [{"ticker": "AAPL", "position": "long"}, {"ticker": "MSFT", "position": "none"}]
    assert r["bio"]["bio"].startswith("Long-only") and r["profile"]["bio"] == ""
    assert r["create-position-not-cashtag"]["error"]["fields"] == {"positions": "$NVDA is not a cashtag of this post."}
    # The first PATCH changed only the sentiment: no revision. The second changed the body.
    assert r["patch-sentiment-only"]["sentiment"] is None and r["patch-sentiment-only"]["edit_count"] == 0
    edited = r["patch-content"]
    assert edited["edit_count"] == 1 and edited["cashtags"] == ["AAPL"]
    assert edited["positions"] == [{"ticker": "AAPL", "position": "long"}], "MSFT left the post, so did its position"
    (revision,) = r["revisions"]["items"]
    assert revision["body"] == created["body"] and revision["editor"]["username"] == "ann_long"
    assert r["watchlist"] == {"tickers": ["AAPL"]}
    # Notifications: bob was mentioned in the post (and follows AAPL: mention wins), cat watches stocks and
    # was mentioned by bob's comment (newest first), ann got bob's reply, mia (watching) got ann's comment.
    kinds = {who: [(n["kind"], n["actor"]["username"]) for n in r[f"notifications-{who}"]["items"]]
             for who in ("ann", "bob", "cat", "mia")}  # fmt: skip
    assert kinds["bob"] == [("comment", "ann_long"), ("mention", "ann_long")], kinds
    assert kinds["cat"] == [("mention", "bob_bear"), ("new_post", "ann_long")], kinds
    assert kinds["ann"] == [("reply", "bob_bear")], kinds
    assert kinds["mia"] == [("comment", "ann_long")], kinds
    assert r["notifications-bob"]["unread"] == 2 and r["mark-read-all"] == {"unread": 0}
    assert r["notifications-unread-bob"]["items"] == [] and r["notifications-unread-bob"]["unread"] == 0
    assert [p["id"] for p in r["feed"]["items"]][:1] == [created["id"]]
    # Moderation.
    assert r["queue"]["total"] == 1 and r["queue"]["items"][0]["target"]["post_id"] == created["id"]
    assert r["hide"]["action"] == "hide" and r["hide"]["moderator"]["username"] == "mod_mia"
    assert created["id"] not in [p["id"] for p in r["hidden-in-cashtag"]["items"]]
    assert (r["hidden-in-search"]["total"], r["hidden-in-search"]["items"]) == (0, [])
    assert r["resolve"]["status"] == "resolved" and r["resolve"]["target"]["hidden"] is True
    detail = r["detail-after-moderation"]
    assert detail["locked"] is True and detail["pinned"] is True
    assert [p["id"] for p in r["pinned"]["items"]] == [created["id"]]
    assert r["comments-after-hide"]["total"] == 2 and "@cat_watch" not in str(r["comments-after-hide"]["items"])
    assert r["suspended-post"]["error"]["code"] == "suspended"
    assert "suspended until" in r["suspended-post"]["error"]["message"]
    assert r["suspended-profile"]["suspended_until"] is not None
    actions = [(a["action"], a["target_type"]) for a in r["moderation-log"]["items"]]
    assert actions[:3] == [("unsuspend", "user"), ("suspend", "user"), ("hide", "comment")], actions
    stats = r["cashtag"]
    assert stats["ticker"] == "AAPL" and len(stats["daily"]) == 30
    assert stats["daily"][-1]["posts"] == 1 and sum(d["posts"] for d in stats["daily"]) == 1
    assert stats["sentiment_7d"] == {"bullish": 1, "bearish": 0} == stats["sentiment_30d"]
    assert stats["followers"] == 1
    assert [c["body"] for c in r["user-comments"]["items"]] == [], "bob's only comment is hidden"
    assert r["suspended-moderator-acts"]["error"]["code"] == "suspended"
    # Issue 15: repeats change nothing, hidden content is evidence, reports outlive their subject.
    assert r["author-delete-hidden"]["error"]["code"] == "hidden", name
    assert r["other-delete-hidden"]["error"]["message"] == "Post not found."
    assert [n["post_title"] for n in r["notifications-hidden-title"]["items"]] == [None, None], name
    assert r["suspend-again"]["error"]["message"].startswith("The user is already suspended until "), name
    repeats = ("suspend-again", "restore-again", "lock-again", "pin-again", "hide-comment-again")
    for label in (*repeats, "restore-comment-again"):
        assert r[label]["error"]["code"] == "no_change", (name, label)
    assert r["delete-again"]["error"]["message"] == "The post is already deleted."
    assert r["delete-comment-again"]["error"]["message"] == "The comment is already deleted."
    assert r["detail-after-comment-delete"]["comment_count"] == 1, "ann's comment: bob's is hidden, mia's deleted"
    assert [(a["action"], a["target_type"]) for a in r["moderation-log"]["items"]].count(("hide", "comment")) == 2
    (open_report,) = r["queue-after-delete"]["items"]
    assert open_report["target"] | {"author": None} == {
        "type": "comment", "post_id": None, "comment_id": None, "title": created["title"],
        "excerpt": "@cat_watch look at this", "author": None, "hidden": False, "deleted": True,
    }  # fmt: skip
    assert open_report["target"]["author"]["username"] == "bob_bear"
    (resolved,) = r["resolved-after-delete"]["items"]
    assert resolved["target"]["type"] == "post" and resolved["target"]["deleted"] is True
    assert resolved["target"]["excerpt"] == r["patch-content"]["body"], "the snapshot at report time"
    assert r["admin-suspends-moderator"]["moderator"]["username"] == "cat_watch"
