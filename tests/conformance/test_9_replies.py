"""Threaded replies and comment edits give the same answers on every backend that writes, and the right ones.

One scripted sequence with two members: a comment, a reply to it (``parent_id`` in the answer and in
the post's comment page), the replies refused with 422 ``parent_id`` (another post's comment, a
missing one) or a malformed id, the author's edit (``PATCH /comments/{id}``: 200 with ``edit_count``;
another member's: 403 and unchanged; anonymous: 401; bad body: 422; unknown id: 404) and its history,
and the notification of kind ``comment_reply`` the parent's author gets. Runs per backend on its own
database (and in-process, tests/adapters/test_inprocess_conformance.py, on SQLite and PostgreSQL).
"""

from __future__ import annotations

from finboard.contract.comments import REPLY_OTHER_POST, REPLY_PARENT_GONE
from tests.conformance.sequence import assert_logs_identical, recorder
from tests.conformance.test_8_blocks import normalise, register_members

P = "/api/v1"
PASSWORD = "replies-pass-1"
MEMBERS = ("rep_ann", "rep_bob")


def run_sequence(backend) -> list:
    log: list = []
    members = register_members(backend, MEMBERS, PASSWORD)
    ann, bob = (members[name] for name in MEMBERS)
    step = recorder(backend, log, normalise)
    posts, comments = f"{P}/posts", f"{P}/posts/{{post_id}}/comments"
    one = {"title": "Is $REPA a buy here?", "body": "Cheap on earnings.", "category": "stocks"}
    two = {"title": "Notes on $REPB", "body": "Margins expanding.", "category": "stocks"}
    post_one = step("post-one", "POST", posts, posts, 201, json=one, headers=ann).json()["id"]
    post_two = step("post-two", "POST", posts, posts, 201, json=two, headers=ann).json()["id"]
    on_one, on_two = f"{P}/posts/{post_one}/comments", f"{P}/posts/{post_two}/comments"
    top = step("comment", "POST", on_one, comments, 201, json={"body": "Not that cheap."}, headers=bob).json()["id"]
    elsewhere = step("comment-two", "POST", on_two, comments, 201, json={"body": "Agreed."}, headers=bob).json()["id"]
    answer = {"body": "> Not that cheap.\n\nCheaper than peers.", "parent_id": top}
    reply = step("reply", "POST", on_one, comments, 201, json=answer, headers=ann).json()["id"]
    deeper = {"body": "Peers grow faster.", "parent_id": reply}
    step("reply-to-reply", "POST", on_one, comments, 201, json=deeper, headers=bob)
    step("reply-other-post", "POST", on_one, comments, 422, json={"body": "x", "parent_id": elsewhere}, headers=ann)
    step("reply-missing", "POST", on_one, comments, 422, json={"body": "x", "parent_id": 2_000_000}, headers=ann)
    step("reply-zero", "POST", on_one, comments, 422, json={"body": "x", "parent_id": 0}, headers=ann)
    step("reply-text-id", "POST", on_one, comments, 422, json={"body": "x", "parent_id": "one"}, headers=ann)
    step("comments", "GET", on_one, comments, 200)
    one_comment, history = f"{P}/comments/{{comment_id}}", f"{P}/comments/{{comment_id}}/history"
    mine, mine_history = f"{P}/comments/{top}", f"{P}/comments/{top}/history"
    step("edit-anonymous", "PATCH", mine, one_comment, 401, json={"body": "Anon."})
    step("edit-by-other", "PATCH", mine, one_comment, 403, json={"body": "Hijack."}, headers=ann)
    step("edit-blank", "PATCH", mine, one_comment, 422, json={"body": "  "}, headers=bob)
    step("edit-extra-field", "PATCH", mine, one_comment, 422, json={"body": "x", "parent_id": 1}, headers=bob)
    step("edit-unknown", "PATCH", f"{P}/comments/2000000", one_comment, 404, json={"body": "x"}, headers=bob)
    step("history-before", "GET", mine_history, history, 200)
    step("edit", "PATCH", mine, one_comment, 200, json={"body": "Not that cheap, on 2027 numbers."}, headers=bob)
    step("edit-same", "PATCH", mine, one_comment, 200, json={"body": "Not that cheap, on 2027 numbers."}, headers=bob)
    step("history", "GET", mine_history, history, 200)
    step("history-unknown", "GET", f"{P}/comments/2000000/history", history, 404)
    step("comments-after-edit", "GET", on_one, comments, 200)
    backend.wait_for_jobs()
    notifications = f"{P}/notifications"
    step("notifications-bob", "GET", notifications, notifications, 200, headers=bob)
    step("notifications-ann", "GET", notifications, notifications, 200, headers=ann)
    return log


def test_replies_sequence_is_identical_everywhere(writable):
    logs = {name: run_sequence(backend) for name, backend in writable.items()}
    assert_logs_identical(logs)
    for name, log in logs.items():
        check_data(name, {label: response.json() if response.content else None for label, _, _, response in log})


def check_data(name: str, r: dict) -> None:
    """The sequence's answers are right, not only the same."""
    top, reply = r["comment"]["id"], r["reply"]["id"]
    assert r["comment"]["parent_id"] is None and r["comment"]["edit_count"] == 0, name
    assert (r["reply"]["parent_id"], r["reply-to-reply"]["parent_id"]) == (top, reply), name
    assert r["reply-other-post"]["error"]["fields"] == {"parent_id": REPLY_OTHER_POST}, name
    assert r["reply-missing"]["error"]["fields"] == {"parent_id": REPLY_PARENT_GONE}, name
    assert set(r["reply-zero"]["error"]["fields"]) == set(r["reply-text-id"]["error"]["fields"]) == {"parent_id"}
    listed = [(c["id"], c["parent_id"]) for c in r["comments"]["items"]]
    assert listed == [(top, None), (reply, top), (r["reply-to-reply"]["id"], reply)], (name, listed)
    assert r["comments"]["total"] == 3
    assert r["edit-by-other"]["error"]["code"] == "forbidden"
    assert set(r["edit-blank"]["error"]["fields"]) == {"body"}
    assert r["edit-unknown"]["error"]["message"] == "Comment not found."
    assert r["history-before"] == {"items": []}
    assert (r["edit"]["body"], r["edit"]["edit_count"], r["edit"]["parent_id"]) == (
        "Not that cheap, on 2027 numbers.",
        1,
        None,
    ), name
    assert r["edit-same"]["edit_count"] == 1, "an edit that changes nothing counts nothing"
    assert [(h["body"], h["editor"]["username"]) for h in r["history"]["items"]] == [("Not that cheap.", "rep_bob")]
    after = {c["id"]: (c["body"], c["edit_count"]) for c in r["comments-after-edit"]["items"]}
    assert after[top] == ("Not that cheap, on 2027 numbers.", 1), "the edit reached the cached page"
    # bob: ann replied to his comment; ann: bob replied to hers (comment_reply wins over reply on her post)
    kinds = {who: [(n["kind"], n["actor"]["username"]) for n in r[f"notifications-{who}"]["items"]]
             for who in ("bob", "ann")}  # fmt: skip
    assert kinds["bob"] == [("comment_reply", "rep_ann")], kinds
    assert ("comment_reply", "rep_bob") in kinds["ann"] and ("reply", "rep_bob") in kinds["ann"], kinds
