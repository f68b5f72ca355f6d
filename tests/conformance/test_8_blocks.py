"""Blocks and mutes give the same answers on every backend that writes, and the right ones.

One scripted sequence with two members: managing blocks and mutes (idempotent repeats,
bad input), the 403 ``blocked`` on commenting under a blocker's post, the fan-out skipping
a blocker (a mention by a blocked member notifies nobody who blocks them, the other way
round it does), and the feed less the member's mutes and blocked authors. Runs per backend
on its own database (and in-process, tests/adapters/test_inprocess_conformance.py, on
SQLite and PostgreSQL).
"""

from __future__ import annotations

import re

from tests.conformance.sequence import assert_logs_identical, recorder
from tests.conformance.test_2_writes import bearer

P = "/api/v1"
NOW = re.compile(r'"(created_at|updated_at)":"(202[5-9]|20[3-9]\d)-[^"]+"')
PASSWORD = "blocking-pass-1"
MEMBERS = ("blk_ann", "blk_bob")


def normalise(content: bytes) -> bytes:
    return NOW.sub(lambda m: f'"{m.group(1)}":"<now>"', content.decode()).encode()


def register_members(backend, names: tuple[str, ...] = MEMBERS, password: str = PASSWORD) -> dict[str, dict[str, str]]:
    """Register and log in ``names`` on ``backend``: their bearer headers by name."""
    headers = {}
    for name in names:
        account = {"username": name, "email": f"{name}@example.com", "password": password}
        assert backend.request("POST", f"{P}/auth/register", json=account).status_code == 201
        response = backend.request("POST", f"{P}/auth/login", json={"username": name, "password": password})
        headers[name] = bearer(response.json()["access_token"])
    return headers


def run_sequence(backend) -> list:
    log: list = []
    members = register_members(backend)
    ann, bob = (members[name] for name in MEMBERS)
    step = recorder(backend, log, normalise)
    blocks, block = f"{P}/blocks", f"{P}/blocks/{{username}}"
    step("blocks-anonymous", "GET", blocks, blocks, 401)
    step("block-anonymous", "PUT", f"{blocks}/blk_bob", block, 401)
    step("block-self", "PUT", f"{blocks}/BLK_ANN", block, 422, headers=ann)
    step("block-unknown", "PUT", f"{blocks}/nobody_here", block, 404, headers=ann)
    step("block", "PUT", f"{blocks}/BLK_BOB", block, 200, headers=ann)
    step("block-again", "PUT", f"{blocks}/blk_bob", block, 200, headers=ann)
    step("blocks", "GET", blocks, blocks, 200, headers=ann)
    posts, comments = f"{P}/posts", f"{P}/posts/{{post_id}}/comments"
    mine = {"title": "Why I hold $BLKA", "body": "Buybacks and services.", "category": "stocks"}
    on_ann = f"{P}/posts/{step('ann-posts', 'POST', posts, posts, 201, json=mine, headers=ann).json()['id']}/comments"
    step("blocked-comment", "POST", on_ann, comments, 403, json={"body": "@blk_ann you are wrong"}, headers=bob)
    loud = {"title": "$BLKG to the MOON", "body": "Hey @blk_ann, moon-shot time.", "category": "stocks"}
    on_bob = f"{P}/posts/{step('bob-posts', 'POST', posts, posts, 201, json=loud, headers=bob).json()['id']}/comments"
    step("ann-comments", "POST", on_bob, comments, 201, json={"body": "No thanks, @blk_bob."}, headers=ann)
    backend.wait_for_jobs()
    notifications = f"{P}/notifications"
    step("notifications-ann", "GET", notifications, notifications, 200, headers=ann)
    step("notifications-bob", "GET", notifications, notifications, 200, headers=bob)
    mutes, word, ticker = f"{P}/mutes", f"{P}/mutes/words/{{word}}", f"{P}/mutes/tickers/{{ticker}}"
    step("mutes-anonymous", "GET", mutes, mutes, 401)
    step("mute-word", "PUT", f"{mutes}/words/Moon", word, 200, headers=bob)
    step("mute-word-again", "PUT", f"{mutes}/words/moon", word, 200, headers=bob)
    step("mute-phrase", "PUT", f"{mutes}/words/short%20%20squeeze", word, 200, headers=bob)
    step("mute-word-blank", "PUT", f"{mutes}/words/%20", word, 422, headers=bob)
    step("mute-word-too-long", "PUT", f"{mutes}/words/{'x' * 41}", word, 422, headers=bob)
    step("mute-word-symbols", "PUT", f"{mutes}/words/%3Cb%3E", word, 422, headers=bob)
    step("mute-ticker", "PUT", f"{mutes}/tickers/%24blka", ticker, 200, headers=bob)
    step("mute-ticker-bad", "PUT", f"{mutes}/tickers/1abc", ticker, 422, headers=bob)
    step("mutes", "GET", mutes, mutes, 200, headers=bob)
    for who, headers in (("ann", ann), ("bob", bob)):
        for symbol in ("BLKG", "BLKA"):
            step(f"follow-{who}-{symbol}", "PUT", f"{P}/watchlist/{symbol}", f"{P}/watchlist/{{ticker}}", 200,
                 headers=headers)  # fmt: skip
        step(f"feed-{who}", "GET", f"{P}/feed", f"{P}/feed", 200, headers=headers)
    step("unmute-word", "DELETE", f"{mutes}/words/MOON", word, 200, headers=bob)
    step("feed-bob-unmuted", "GET", f"{P}/feed", f"{P}/feed", 200, headers=bob)
    step("unblock", "DELETE", f"{blocks}/blk_bob", block, 200, headers=ann)
    step("unblock-again", "DELETE", f"{blocks}/blk_bob", block, 200, headers=ann)
    step("comment-after-unblock", "POST", on_ann, comments, 201, json={"body": "Thanks for hearing me out."},
         headers=bob)  # fmt: skip
    return log


def test_blocks_sequence_is_identical_everywhere(writable):
    logs = {name: run_sequence(backend) for name, backend in writable.items()}
    assert_logs_identical(logs)
    for name, log in logs.items():
        check_data(name, {label: response.json() if response.content else None for label, _, _, response in log})


def check_data(name: str, r: dict) -> None:
    """The sequence's answers are right, not only the same."""
    assert r["block"] == r["block-again"] == r["blocks"] == {"usernames": ["blk_bob"]}, name
    assert r["block-self"]["error"]["fields"] == {"username": "You cannot block yourself."}
    assert r["block-unknown"]["error"]["message"] == "User not found."
    assert r["blocked-comment"]["error"]["code"] == "blocked"
    assert "blocked you" in r["blocked-comment"]["error"]["message"]
    # bob's mention of ann reached nobody (she blocks him); ann's mention of bob reached him.
    kinds = {who: [(n["kind"], n["actor"]["username"]) for n in r[f"notifications-{who}"]["items"]]
             for who in ("ann", "bob")}  # fmt: skip
    assert kinds == {"ann": [], "bob": [("mention", "blk_ann")]}, kinds
    assert r["mutes"] == {"words": ["moon", "short squeeze"], "tickers": ["BLKA"]}, name
    assert r["mute-word-blank"]["error"]["fields"] == {"word": "Enter a word or phrase to mute."}
    assert set(r["mute-ticker-bad"]["error"]["fields"]) == {"ticker"}
    titles = {label: [p["title"] for p in r[label]["items"]] for label in ("feed-ann", "feed-bob", "feed-bob-unmuted")}
    assert titles["feed-ann"] == ["Why I hold $BLKA"], "bob's post: a blocked author"
    assert titles["feed-bob"] == [], "ann's post: a muted ticker; his own says MOON: a muted word"
    assert titles["feed-bob-unmuted"] == ["$BLKG to the MOON"]
    assert r["unmute-word"] == {"words": ["short squeeze"], "tickers": ["BLKA"]}
    assert r["unblock"] == r["unblock-again"] == {"usernames": []}
