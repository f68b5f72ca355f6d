"""Reactions and the hot and top listings give the same answers on every backend, and the right ones.

One scripted sequence with two members: setting, repeating, replacing and removing reactions on
a post and a comment, bad input (no token, an unknown kind, a missing post or comment), reading
them with and without a token, and the listings sorted by hot and by top (a period, a cursor).
Runs per backend on its own database (and in-process, tests/adapters/test_inprocess_conformance.py,
on SQLite and PostgreSQL).
"""

from __future__ import annotations

import re

from tests.conformance.sequence import assert_logs_identical, recorder
from tests.conformance.test_8_blocks import register_members

P = "/api/v1"
NOW = re.compile(r'"(created_at|updated_at)":"(202[5-9]|20[3-9]\d)-[^"]+"')
CURSOR = re.compile(r'"next_cursor":"[^"]+"')
PASSWORD = "reacting-pass-1"
MEMBERS = ("rx_ann", "rx_bob")


def normalise(content: bytes) -> bytes:
    """Times of rows written now, and cursors (they hold those times), made comparable."""
    text = NOW.sub(lambda m: f'"{m.group(1)}":"<now>"', content.decode())
    return CURSOR.sub('"next_cursor":"<cursor>"', text).encode()


def run_sequence(backend) -> list:
    log: list = []
    ann, bob = _pair(backend)
    step = recorder(backend, log, normalise)
    posts = f"{P}/posts"
    mine = {"title": "$RXN breaks out", "body": "Volume and a clean base.", "category": "stocks"}
    post_id = step("ann-posts", "POST", posts, posts, 201, json=mine, headers=ann).json()["id"]
    comments = f"{P}/posts/{post_id}/comments"
    comment_id = step("ann-comments", "POST", comments, f"{P}/posts/{{post_id}}/comments", 201,
                      json={"body": "Stop under the base."}, headers=ann).json()["id"]  # fmt: skip
    on_post, post_t = f"{P}/posts/{post_id}/reactions", f"{P}/posts/{{post_id}}/reactions"
    on_comment, comment_t = f"{P}/comments/{comment_id}/reactions", f"{P}/comments/{{comment_id}}/reactions"
    step("react-anonymous", "POST", on_post, post_t, 401, json={"kind": "like"})
    step("react-unknown-kind", "POST", on_post, post_t, 422, json={"kind": "moon"}, headers=bob)
    step("react-no-kind", "POST", on_post, post_t, 422, json={}, headers=bob)
    step("react-missing-post", "POST", f"{P}/posts/999999/reactions", post_t, 404, json={"kind": "like"}, headers=bob)
    step("react-bad-id", "POST", f"{P}/posts/abc/reactions", post_t, 404, json={"kind": "like"}, headers=bob)
    step("react-like", "POST", on_post, post_t, 200, json={"kind": "like"}, headers=bob)
    step("react-like-again", "POST", on_post, post_t, 200, json={"kind": "like"}, headers=bob)
    step("react-ann-bull", "POST", on_post, post_t, 200, json={"kind": "bull"}, headers=ann)
    step("react-replace", "POST", on_post, post_t, 200, json={"kind": "bull"}, headers=bob)
    step("reactions-anonymous", "GET", on_post, post_t, 200)
    step("reactions-bob", "GET", on_post, post_t, 200, headers=bob)
    step("comment-react", "POST", on_comment, comment_t, 200, json={"kind": "insightful"}, headers=bob)
    step("comment-react-missing", "POST", f"{P}/comments/999999/reactions", comment_t, 404,
         json={"kind": "like"}, headers=bob)  # fmt: skip
    step("comment-reactions", "GET", on_comment, comment_t, 200, headers=bob)
    step("detail", "GET", f"{P}/posts/{post_id}", f"{P}/posts/{{post_id}}", 200)
    step("top-day", "GET", f"{posts}?sort=top&period=day", posts, 200)
    step("top-all", "GET", f"{posts}?sort=top&per_page=2", posts, 200)
    step("hot", "GET", f"{posts}?sort=hot&per_page=3", posts, 200)
    step("bad-period", "GET", f"{posts}?sort=top&period=year", posts, 422)
    step("trending", "GET", f"{P}/trending", f"{P}/trending", 200)
    step("unreact", "DELETE", on_post, post_t, 200, headers=bob)
    step("unreact-again", "DELETE", on_post, post_t, 200, headers=bob)
    step("comment-unreact", "DELETE", on_comment, comment_t, 200, headers=bob)
    step("comments-after", "GET", comments, f"{P}/posts/{{post_id}}/comments", 200)
    return log


def _pair(backend) -> tuple[dict[str, str], dict[str, str]]:
    members = register_members(backend, MEMBERS, PASSWORD)
    return members[MEMBERS[0]], members[MEMBERS[1]]


def test_reactions_sequence_is_identical_everywhere(writable):
    logs = {name: run_sequence(backend) for name, backend in writable.items()}
    assert_logs_identical(logs)
    for name, log in logs.items():
        check_data(name, {label: response.json() if response.content else None for label, _, _, response in log})


def check_data(name: str, r: dict) -> None:
    """The sequence's answers are right, not only the same."""
    assert r["react-like"] == r["react-like-again"] == {"reaction_count": 1, "counts": {"like": 1}, "mine": "like"}
    assert r["react-ann-bull"] == {"reaction_count": 2, "counts": {"like": 1, "bull": 1}, "mine": "bull"}, name
    assert r["react-replace"] == {"reaction_count": 2, "counts": {"bull": 2}, "mine": "bull"}, name
    assert r["reactions-anonymous"] == {"reaction_count": 2, "counts": {"bull": 2}, "mine": None}
    assert r["reactions-bob"]["mine"] == "bull"
    assert set(r["react-unknown-kind"]["error"]["fields"]) == {"kind"}
    assert r["react-missing-post"]["error"]["message"] == "Post not found."
    assert r["comment-react-missing"]["error"]["message"] == "Comment not found."
    assert r["comment-reactions"] == {"reaction_count": 1, "counts": {"insightful": 1}, "mine": "insightful"}
    detail = r["detail"]
    assert detail["reaction_count"] == 2 and detail["comments"][0]["reaction_count"] == 1, name
    assert [p["title"] for p in r["top-day"]["items"]] == ["$RXN breaks out"], "seeded posts are older than a day"
    assert r["top-all"]["items"][0]["title"] == "$RXN breaks out" and r["top-all"]["next_cursor"]
    assert r["hot"]["items"][0]["title"] == "$RXN breaks out", "newest and reacted to"
    assert set(r["bad-period"]["error"]["fields"]) == {"period"}
    # $RXN: one mention and two reactions today, nothing in the week before (the seed is older).
    assert r["trending"]["items"][0] == {
        "ticker": "RXN",
        "score": 3.0,
        "mentions": 1,
        "reactions": 2,
        "baseline_daily": 0.0,
    }, name
    assert r["unreact"] == r["unreact-again"] == {"reaction_count": 1, "counts": {"bull": 1}, "mine": None}
    assert r["comment-unreact"] == {"reaction_count": 0, "counts": {}, "mine": None}
    assert r["comments-after"]["items"][0]["reaction_count"] == 0
