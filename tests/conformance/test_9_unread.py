"""Read state and bookmarks give the same answers on every backend that writes, and the right ones.

One scripted sequence with two members: a post's read state before it is ever marked read,
new comments by the other member (one's own never count), marking read; bookmarks added twice
(one bookmark), listed newest first and paged by cursor, a bad cursor, removed twice, and
what a visitor and a missing post get. Runs per backend on its own database (and in-process,
tests/adapters/test_inprocess_conformance.py, on SQLite and PostgreSQL).
"""

from __future__ import annotations

import re

from tests.conformance.sequence import assert_logs_identical, recorder
from tests.conformance.test_8_blocks import register_members

P = "/api/v1"
NOW = re.compile(r'"(created_at|updated_at|bookmarked_at)":"(202[5-9]|20[3-9]\d)-[^"]+"')
CURSOR = re.compile(r'"next_cursor":"[^"]+"')  # a bookmark cursor holds its backend's own clock
PASSWORD = "unread-pass-1"
MEMBERS = ("unr_ann", "unr_bob")
MISSING = 2_000_000_000


def normalise(content: bytes) -> bytes:
    text = NOW.sub(lambda m: f'"{m.group(1)}":"<now>"', content.decode())
    return CURSOR.sub('"next_cursor":"<cursor>"', text).encode()


def run_sequence(backend) -> list:
    log: list = []
    ann, bob = _pair(backend)
    step = recorder(backend, log, normalise)
    posts, comments = f"{P}/posts", f"{P}/posts/{{post_id}}/comments"
    first = step("post-1", "POST", posts, posts, 201, json=_post("$UNRA earnings"), headers=ann).json()["id"]
    second = step("post-2", "POST", posts, posts, 201, json=_post("$UNRB guidance"), headers=ann).json()["id"]
    read, read_t = f"{P}/posts/{first}/read", f"{P}/posts/{{post_id}}/read"
    on_first = f"{P}/posts/{first}/comments"
    step("read-anonymous", "GET", read, read_t, 401)
    step("read-missing", "GET", f"{P}/posts/{MISSING}/read", read_t, 404, headers=bob)
    step("read-never", "GET", read, read_t, 200, headers=bob)
    step("mark-empty", "POST", read, read_t, 200, headers=bob)
    step("comment-ann-1", "POST", on_first, comments, 201, json={"body": "First update."}, headers=ann)
    step("comment-ann-2", "POST", on_first, comments, 201, json={"body": "Second update."}, headers=ann)
    step("comment-bob", "POST", on_first, comments, 201, json={"body": "Thanks."}, headers=bob)
    step("read-news", "GET", read, read_t, 200, headers=bob)
    states, many = f"{P}/read-states", f"{P}/read-states?post_ids={second},{first},{first},{MISSING}"
    step("read-states-news", "GET", many, states, 200, headers=bob)
    step("read-states-anonymous", "GET", many, states, 401)
    step("read-states-bad", "GET", f"{states}?post_ids={first},x", states, 422, headers=bob)
    step("read-states-none", "GET", states, states, 422, headers=bob)
    step("mark", "POST", read, read_t, 200, headers=bob)
    step("mark-again", "POST", read, read_t, 200, headers=bob)
    step("read-after", "GET", read, read_t, 200, headers=bob)
    step("read-other-member", "GET", read, read_t, 200, headers=ann)
    bookmarks, mark_t = f"{P}/bookmarks", f"{P}/posts/{{post_id}}/bookmark"
    step("bookmarks-anonymous", "GET", bookmarks, bookmarks, 401)
    step("bookmark-anonymous", "PUT", f"{P}/posts/{first}/bookmark", mark_t, 401)
    step("bookmark-missing", "PUT", f"{P}/posts/{MISSING}/bookmark", mark_t, 404, headers=bob)
    step("bookmark-1", "PUT", f"{P}/posts/{first}/bookmark", mark_t, 200, headers=bob)
    step("bookmark-1-again", "PUT", f"{P}/posts/{first}/bookmark", mark_t, 200, headers=bob)
    step("bookmark-2", "PUT", f"{P}/posts/{second}/bookmark", mark_t, 200, headers=bob)
    step("bookmarks", "GET", bookmarks, bookmarks, 200, headers=bob)
    page_one = step("bookmarks-page-1", "GET", f"{bookmarks}?per_page=1", bookmarks, 200, headers=bob).json()
    after = f"{bookmarks}?per_page=1&cursor={page_one['next_cursor']}"
    step("bookmarks-page-2", "GET", after, bookmarks, 200, headers=bob)
    step("bookmarks-bad-cursor", "GET", f"{bookmarks}?cursor=nonsense", bookmarks, 422, headers=bob)
    step("bookmarks-ann", "GET", bookmarks, bookmarks, 200, headers=ann)
    step("unbookmark-2", "DELETE", f"{P}/posts/{second}/bookmark", mark_t, 200, headers=bob)
    step("unbookmark-2-again", "DELETE", f"{P}/posts/{second}/bookmark", mark_t, 200, headers=bob)
    step("bookmarks-after", "GET", bookmarks, bookmarks, 200, headers=bob)
    return log


def _pair(backend) -> tuple[dict[str, str], dict[str, str]]:
    members = register_members(backend, MEMBERS, PASSWORD)
    return members["unr_ann"], members["unr_bob"]


def _post(title: str) -> dict[str, str]:
    return {"title": title, "body": f"Notes on {title.split()[0]}.", "category": "stocks"}


def test_unread_sequence_is_identical_everywhere(writable):
    logs = {name: run_sequence(backend) for name, backend in writable.items()}
    assert_logs_identical(logs)
    for name, log in logs.items():
        check_data(name, {label: response.json() if response.content else None for label, _, _, response in log})


def check_data(name: str, r: dict) -> None:
    """The sequence's answers are right, not only the same."""
    first, second = r["post-1"]["id"], r["post-2"]["id"]
    ann_1, ann_2, bob_c = (r[label]["id"] for label in ("comment-ann-1", "comment-ann-2", "comment-bob"))
    never = {"post_id": first, "last_read_comment_id": None, "unread_comments": 0, "first_unread_comment_id": None}
    assert r["read-never"] == never == r["read-other-member"], name
    assert r["mark-empty"] == {**never, "last_read_comment_id": 0}, name
    news = {"post_id": first, "last_read_comment_id": 0, "unread_comments": 2, "first_unread_comment_id": ann_1}
    assert r["read-news"] == news, (name, "bob's own comment is not news")
    done = {"post_id": first, "last_read_comment_id": bob_c, "unread_comments": 0, "first_unread_comment_id": None}
    assert r["mark"] == r["mark-again"] == r["read-after"] == done, name
    never_second = {**never, "post_id": second}
    assert r["read-states-news"] == {"items": [never_second, news]}, (name, "in order, once each, missing left out")
    assert set(r["read-states-bad"]["error"]["fields"]) == set(r["read-states-none"]["error"]["fields"]) == {"post_ids"}
    assert ann_1 < ann_2 < bob_c
    assert missing(r["read-missing"]) == ("not_found", "Post not found."), name
    assert r["bookmark-1"] == r["bookmark-1-again"] == r["bookmark-2"] == {"bookmarked": True}
    listed = [item["post"]["id"] for item in r["bookmarks"]["items"]]
    assert listed == [second, first] and r["bookmarks"]["next_cursor"] is None, name
    assert [i["post"]["id"] for i in r["bookmarks-page-1"]["items"]] == [second]
    assert [i["post"]["id"] for i in r["bookmarks-page-2"]["items"]] == [first]
    assert r["bookmarks-page-2"]["next_cursor"] is None
    assert set(r["bookmarks-bad-cursor"]["error"]["fields"]) == {"cursor"}
    assert r["bookmarks-ann"] == {"items": [], "next_cursor": None}
    assert r["unbookmark-2"] == r["unbookmark-2-again"] == {"bookmarked": False}
    assert [i["post"]["id"] for i in r["bookmarks-after"]["items"]] == [first]
    assert missing(r["bookmark-missing"]) == ("not_found", "Post not found."), name


def missing(answer: dict) -> tuple[str, str]:
    return answer["error"]["code"], answer["error"]["message"]
