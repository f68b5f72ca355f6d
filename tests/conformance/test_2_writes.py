"""The same write sequence gives the same answers on every backend.

Each backend runs on its own copy of the seeded database, so the sequence
creates the same ids everywhere; only what must differ — timestamps of rows
created now and the bytes of freshly signed tokens — is normalised before
the byte-for-byte comparison.
"""

from __future__ import annotations

import json
import re

import httpx

from finboard.core.security import decode_access_token
from tests.conformance.conftest import SECRET, bearer_headers
from tests.conformance.sequence import assert_logs_identical, recorder

NOW_STAMP = re.compile(r'"(created_at|updated_at)":"(202[5-9]|20[3-9]\d)-[^"]+"')
TOKEN = re.compile(r'"access_token":"[^"]+"')
P = "/api/v1"


def normalise(content: bytes) -> bytes:
    text = content.decode()
    text = NOW_STAMP.sub(lambda m: f'"{m.group(1)}":"<now>"', text)
    return TOKEN.sub('"access_token":"<token>"', text).encode()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def run_sequence(backend) -> list[tuple[str, int, bytes, httpx.Response]]:
    """The script: every write endpoint, its error cases, in a fixed order."""
    log = []

    step = recorder(backend, log, normalise)

    reg = f"{P}/auth/register"
    step(
        "register",
        "POST",
        reg,
        reg,
        201,
        json={"username": "Carol_W", "email": "Carol@Example.com", "password": "s3cret-pass"},
    )
    step(
        "register-dup",
        "POST",
        reg,
        reg,
        409,
        json={"username": "carol_w", "email": "carol@example.com", "password": "s3cret-pass"},
    )
    step(  # an address is never refused: the same answer as a fresh one (issue 17)
        "register-dup-email",
        "POST",
        reg,
        reg,
        201,
        json={"username": "other_name", "email": "CAROL@example.com", "password": "s3cret-pass"},
    )
    step(
        "register-invalid", "POST", reg, reg, 422, json={"username": "x", "email": "not-an-email", "password": "short"}
    )
    step(
        "register-extra-field",
        "POST",
        reg,
        reg,
        422,
        json={"username": "dave_d", "email": "d@example.com", "password": "longenough", "role": "admin"},
    )
    step(
        "register-malformed",
        "POST",
        reg,
        reg,
        400,
        content=b'{"username": ',
        headers={"Content-Type": "application/json"},
    )
    step(
        "register-nul",
        "POST",
        reg,
        reg,
        422,
        json={"username": "nul_user", "email": "n@example.com", "password": "pass\u0000word"},
    )
    step("register-not-object", "POST", reg, reg, 422, json=["carol"])
    step(
        "register-too-large",
        "POST",
        reg,
        reg,
        413,
        json={"username": "big", "email": "b@example.com", "password": "x" * 70_000},
    )
    step(
        "register-dave",
        "POST",
        reg,
        reg,
        201,
        json={"username": "dave_d", "email": "dave@example.com", "password": "another-pass"},
    )

    login = f"{P}/auth/login"
    step("login-wrong", "POST", login, login, 401, json={"username": "carol_w", "password": "wrong-pass"})
    step("login-unknown", "POST", login, login, 401, json={"username": "nobody", "password": "wrong-pass"})
    step("login-missing-field", "POST", login, login, 422, json={"username": "carol_w"})
    # Two unconfirmed accounts carry carol's address: it names neither (the usernames do).
    shared = {"username": "CAROL@example.com", "password": "s3cret-pass"}
    step("login-by-shared-email", "POST", login, login, 401, json=shared)
    carol = step(
        "login-carol", "POST", login, login, 200, json={"username": "carol_w", "password": "s3cret-pass"}
    ).json()
    dave = step(
        "login-by-email", "POST", login, login, 200, json={"username": "DAVE@example.com", "password": "another-pass"}
    ).json()
    carol_h, dave_h = bearer(carol["access_token"]), bearer(dave["access_token"])

    posts = f"{P}/posts"
    one = f"{P}/posts/{{post_id}}"
    body = {
        "title": "Rotation into $XLE and $XOM?",
        "body": "Energy looks **cheap**. <script>alert(1)</script>",
        "category": "stocks",
    }
    step("create-anonymous", "POST", posts, posts, 401, json=body)
    step("create-bad-token", "POST", posts, posts, 401, json=body, headers=bearer("not.a.token"))
    step(
        "create-wrong-scheme", "POST", posts, posts, 401, json=body, headers={"Authorization": "Basic Y2Fyb2w6cGFzcw=="}
    )
    step("create-empty-title", "POST", posts, posts, 422, json={**body, "title": "  "}, headers=carol_h)
    step("create-blank-body", "POST", posts, posts, 422, json={**body, "body": "   "}, headers=carol_h)
    step("create-unknown-category", "POST", posts, posts, 422, json={**body, "category": "nope"}, headers=carol_h)
    step("create-title-too-long", "POST", posts, posts, 422, json={**body, "title": "T" * 201}, headers=carol_h)
    created = step("create", "POST", posts, posts, 201, json=body, headers=carol_h).json()
    new_id = created["id"]
    path = f"{P}/posts/{new_id}"
    step("patch-by-other", "PATCH", path, one, 403, json={"title": "Hijacked title"}, headers=dave_h)
    step("patch-empty", "PATCH", path, one, 422, json={}, headers=carol_h)
    step("patch-unknown-category", "PATCH", path, one, 422, json={"category": "nope"}, headers=carol_h)
    step("patch-missing", "PATCH", f"{P}/posts/99999", one, 404, json={"title": "Anything here"}, headers=carol_h)
    step(
        "patch",
        "PATCH",
        path,
        one,
        200,
        json={"title": "Rotation into energy majors", "body": "Now about $CVX instead.", "category": "macro"},
        headers=carol_h,
    )

    comments = f"{P}/posts/{{post_id}}/comments"
    step("comment-anonymous", "POST", f"{path}/comments", comments, 401, json={"body": "hi"})
    step("comment-empty", "POST", f"{path}/comments", comments, 422, json={"body": ""}, headers=dave_h)
    step(
        "comment-missing-post", "POST", f"{P}/posts/99999/comments", comments, 404, json={"body": "hi"}, headers=dave_h
    )
    step("comment", "POST", f"{path}/comments", comments, 201, json={"body": "Agree on **$CVX** 👍"}, headers=dave_h)
    step("comment-2", "POST", f"{path}/comments", comments, 201, json={"body": "Second thought."}, headers=carol_h)
    step("detail-after-writes", "GET", path, one, 200)
    step("comments-after-writes", "GET", f"{path}/comments", comments, 200)
    step("list-by-cashtag", "GET", f"{P}/posts?cashtag=CVX", posts, 200)
    step("list-old-cashtag-gone", "GET", f"{P}/posts?cashtag=XLE", posts, 200)
    step("delete-by-other", "DELETE", path, one, 403, headers=dave_h)
    step("delete-anonymous", "DELETE", path, one, 401)
    step("delete", "DELETE", path, one, 204, headers=carol_h)
    step("detail-after-delete", "GET", path, one, 404)
    step("delete-again", "DELETE", path, one, 404, headers=carol_h)
    return log


def test_write_sequence_is_identical_everywhere(writable):
    logs = {name: run_sequence(backend) for name, backend in writable.items()}
    assert_logs_identical(logs)

    for name, log in logs.items():
        check_data(name, log)


def check_data(name: str, log, secret: str = SECRET) -> None:
    """Right, not only identical: the data the sequence left behind (also run in-process, with
    that suite's ``secret``: tests/adapters/test_inprocess_conformance.py)."""
    by_label = {label: response for label, _, _, response in log}
    detail = by_label["detail-after-writes"].json()
    assert detail["category"]["slug"] == "macro" and detail["cashtags"] == ["CVX"], name
    assert detail["title"] == "Rotation into energy majors"
    assert detail["comment_count"] == 2 and [c["body"] for c in detail["comments"]] == [
        "Second thought.",
        "Agree on **$CVX** 👍",
    ]
    assert detail["updated_at"] >= detail["created_at"]
    assert [p["id"] for p in by_label["list-by-cashtag"].json()["items"]] == [detail["id"]]
    assert detail["id"] not in [p["id"] for p in by_label["list-old-cashtag-gone"].json()["items"]]
    registered = by_label["register"].json()
    assert registered["username"] == "Carol_W" and "password" not in json.dumps(registered)
    assert by_label["register-dup"].json()["error"]["fields"] == {"username": "Already taken."}, name
    same_address = by_label["register-dup-email"].json()
    assert sorted(same_address) == sorted(registered) and same_address["username"] == "other_name", name
    claims = decode_access_token(secret, by_label["login-carol"].json()["access_token"])
    assert claims.user_id == registered["id"]
    claims = decode_access_token(secret, by_label["login-by-email"].json()["access_token"])
    assert claims.user_id == by_label["register-dave"].json()["id"]


def test_a_token_from_one_backend_works_on_the_others(writable):
    """The same account on every backend's database; the token one backend issued is taken by all."""
    issued = next(iter(bearer_headers(writable, "token_tess", "token_tess-password").values()))
    for name, backend in writable.items():
        response = backend.request(
            "POST", f"{P}/posts/2/comments", json={"body": f"cross-backend comment via {name}"}, headers=issued
        )
        assert response.status_code == 201, (name, response.text)
        assert response.json()["author"]["username"] == "token_tess"


def test_login_is_rate_limited_per_account(writable):
    """A fresh account: five wrong passwords are answered 401, then even the right one is 429."""
    bearer_headers(writable, "limit_lena", "limit_lena-password")  # registers, and one good login
    for name, backend in writable.items():
        statuses = [
            backend.request(
                "POST", f"{P}/auth/login", json={"username": "limit_lena", "password": f"wrong-{i}"}
            ).status_code
            for i in range(6)
        ]
        # The good login above counts too (one account, one bucket): 5 in all, then 429.
        first = statuses.index(429) if 429 in statuses else len(statuses)
        assert 0 < first <= 5 and statuses == [401] * first + [429] * (6 - first), (name, statuses)
        limited = backend.request(
            "POST", f"{P}/auth/login", json={"username": "limit_lena", "password": "limit_lena-password"}
        )
        assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited", name
