"""No input reaches a 500, on any backend, and every backend answers it with the
same bytes (issue 15): request bodies bounded in size and nesting depth, text
path parameters checked like ids, the security headers, and the widest
disclosure the contract allows stored and read back on PostgreSQL.
"""

from __future__ import annotations

import pytest

from finboard.contract.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_POSITIONS
from finboard.core.security_headers import API_SECURITY_HEADERS, COMPARED_SECURITY_HEADERS
from tests.conformance.conftest import bearer_headers
from tests.conformance.contract import validate_response

P = "/api/v1"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def member(writable) -> dict[str, dict[str, str]]:
    return bearer_headers(writable, "input_ivy", "input_ivy-password")


def _same_everywhere(answers: dict, status: int) -> bytes:
    statuses = {name: r.status_code for name, r in answers.items()}
    assert set(statuses.values()) == {status}, statuses
    bodies = {name: r.content for name, r in answers.items()}
    reference = next(iter(bodies.values()))
    assert all(body == reference for body in bodies.values()), bodies
    return reference


# --- bodies: bounded in size and depth before parsing ---------------------------------------

DEEP = b"[" * 30_000
TOO_DEEP = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
DEEPEST = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
DEEP_OBJECT = b'{"a":' * 5_000
BRACKETS_IN_A_STRING = b'{"username": "' + b"[" * 200 + b'", "password": "not-the-password"}'

BODY_CASES = [
    # (id, path, template, needs a token, body, status)
    ("login-deep", f"{P}/auth/login", f"{P}/auth/login", False, DEEP, 400),
    ("register-deep", f"{P}/auth/register", f"{P}/auth/register", False, DEEP, 400),
    ("post-deep", f"{P}/posts", f"{P}/posts", True, DEEP, 400),
    ("post-deep-object", f"{P}/posts", f"{P}/posts", True, DEEP_OBJECT, 400),
    ("comment-deep", f"{P}/posts/1/comments", f"{P}/posts/{{post_id}}/comments", True, DEEP, 400),
    ("report-deep", f"{P}/reports", f"{P}/reports", True, DEEP, 400),
    ("login-one-level-too-deep", f"{P}/auth/login", f"{P}/auth/login", False, TOO_DEEP, 400),
    ("login-deepest-allowed", f"{P}/auth/login", f"{P}/auth/login", False, DEEPEST, 422),
    ("login-brackets-in-a-string", f"{P}/auth/login", f"{P}/auth/login", False, BRACKETS_IN_A_STRING, 401),
    ("login-over-size", f"{P}/auth/login", f"{P}/auth/login", False, b" " * (MAX_BODY_BYTES + 1), 413),
    ("login-not-utf8", f"{P}/auth/login", f"{P}/auth/login", False, b'{"username": "\xff\xfe"}', 400),
]


@pytest.mark.parametrize(
    ("case", "path", "template", "secured", "content", "status"), BODY_CASES, ids=[c[0] for c in BODY_CASES]
)
def test_bodies_are_bounded_before_parsing(writable, member, case, path, template, secured, content, status):
    answers = {
        name: b.request("POST", path, content=content, headers={**JSON, **(member[name] if secured else {})})
        for name, b in writable.items()
    }
    body = _same_everywhere(answers, status)
    validate_response("POST", template, status, next(iter(answers.values())).json())
    if case.endswith("deep") or case.endswith("too-deep") or case.endswith("deep-object"):
        assert f"deeper than {MAX_JSON_DEPTH} levels".encode() in body


# --- text path parameters: a control character is the shared 404, before the token -----------

PATH_CASES = [
    # (id, method, path, needs a token)
    ("user-nul", "GET", f"{P}/users/%00", False),
    ("user-comments-nul", "GET", f"{P}/users/%00/comments", False),
    ("user-control", "GET", f"{P}/users/a%1Fb", False),
    ("user-delete-char", "GET", f"{P}/users/a%7Fb", False),
    ("category-pinned-nul", "GET", f"{P}/categories/%00/pinned", False),
    ("category-watch-nul", "PUT", f"{P}/categories/%00/watch", True),
    ("category-watch-nul-no-token", "DELETE", f"{P}/categories/%00/watch", False),
    ("moderate-user-nul", "POST", f"{P}/moderation/users/%00", True),
    ("moderate-user-nul-no-token", "POST", f"{P}/moderation/users/x%00", False),
    ("watchlist-nul", "PUT", f"{P}/watchlist/%00", True),
    ("cashtag-nul", "GET", f"{P}/cashtags/%00", False),
    ("block-nul", "PUT", f"{P}/blocks/%00", True),
    ("block-nul-no-token", "DELETE", f"{P}/blocks/a%00", False),
    ("mute-word-control", "PUT", f"{P}/mutes/words/a%1Fb", True),
    ("mute-ticker-nul", "DELETE", f"{P}/mutes/tickers/%00", True),
]


@pytest.mark.parametrize(("case", "method", "path", "secured"), PATH_CASES, ids=[c[0] for c in PATH_CASES])
def test_control_characters_in_path_parameters_are_404(writable, member, case, method, path, secured):
    answers = {
        name: b.request(
            method,
            path,
            json={"action": "suspend", "reason": "a good reason"} if method == "POST" else None,
            headers=member[name] if secured else {},
        )
        for name, b in writable.items()
    }
    body = _same_everywhere(answers, 404)
    assert body == b'{"error":{"code":"not_found","message":"Not found.","fields":{}}}'


# --- security headers: the same set on every backend ---------------------------------------

HEADER_REQUESTS = [
    ("GET", f"{P}/posts/1"),
    ("GET", f"{P}/posts?page=0"),
    ("GET", f"{P}/nope"),
    ("PUT", f"{P}/posts"),
    ("HEAD", f"{P}/posts"),
    ("OPTIONS", f"{P}/posts"),
    ("GET", f"{P}/openapi.json"),
]


@pytest.mark.parametrize(("method", "path"), HEADER_REQUESTS, ids=[f"{m} {p}" for m, p in HEADER_REQUESTS])
def test_security_headers_are_the_same_on_every_backend(backends, method, path):
    for name, backend in backends.items():
        response = backend.request(method, path)
        sent = {header: response.headers.get(header) for header in COMPARED_SECURITY_HEADERS}
        expected = {header: API_SECURITY_HEADERS.get(header) for header in COMPARED_SECURITY_HEADERS}
        assert sent == expected, (name, method, path)


def test_security_headers_on_writes_and_their_errors(writable, member):
    for name, backend in writable.items():
        for response in (
            backend.request("POST", f"{P}/auth/login", content=DEEP, headers=JSON),
            backend.request("POST", f"{P}/posts", json={}, headers=member[name]),
            backend.request("GET", f"{P}/users/%00"),
        ):
            for header, value in API_SECURITY_HEADERS.items():
                assert response.headers.get(header) == value, (name, header, response.status_code)


# --- the widest disclosure: 20 positions on 9-character tickers ---------------------------------


def test_twenty_positions_on_nine_character_tickers_are_stored_and_read_back(writable, member):
    tickers = [f"ABCDEF.{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(MAX_POSITIONS)]
    assert len(tickers) == 20 and {len(t) for t in tickers} == {9}
    kinds = ("long", "short", "none")
    positions = {ticker: kinds[i % 3] for i, ticker in enumerate(tickers)}
    payload = {
        "title": "Twenty positions, disclosed",
        "body": "Holding " + " ".join(f"${t}" for t in tickers),
        "category": "stocks",
        "sentiment": "bullish",
        "positions": positions,
    }
    expected = [{"ticker": t, "position": positions[t]} for t in tickers]
    for name, backend in writable.items():
        created = backend.request("POST", f"{P}/posts", json=payload, headers=member[name])
        assert created.status_code == 201, (name, created.status_code, created.text[:300])
        post = created.json()
        assert post["positions"] == expected and post["cashtags"] == tickers, name
        read = backend.request("GET", f"{P}/posts/{post['id']}")
        assert read.status_code == 200 and read.json()["positions"] == expected, name
        # An edit that rewrites every position is stored too.
        flipped = {t: kinds[(i + 1) % 3] for i, t in enumerate(tickers)}
        patched = backend.request("PATCH", f"{P}/posts/{post['id']}", json={"positions": flipped}, headers=member[name])
        assert patched.status_code == 200, (name, patched.text[:300])
        again = backend.request("GET", f"{P}/posts/{post['id']}").json()
        assert again["positions"] == [{"ticker": t, "position": flipped[t]} for t in tickers], name


# --- found by hunting: search operators, huge numbers, odd bodies -------------------------------

HUNT_READS = [
    # (id, path, template, status) — every backend, raw included; until= keeps a 200 to the seeded rows
    ("search-negation-run", f"{P}/posts?search={'-' * 40}", f"{P}/posts", 422),
    ("search-spaced-negation-run", f"{P}/posts?search=a%20{'-%20' * 33}b", f"{P}/posts", 422),
    ("search-longest-negation-run", f"{P}/posts?until=2024-01-01&search={'-' * 8}dividend", f"{P}/posts", 200),
    ("page-beyond-int64", f"{P}/posts?page=99999999999999999999", f"{P}/posts", 422),
    (
        "per-page-beyond-int64",
        f"{P}/posts/1/comments?per_page=99999999999999999999",
        f"{P}/posts/{{post_id}}/comments",
        422,
    ),
    ("id-beyond-int4", f"{P}/posts/2147483648/comments", f"{P}/posts/{{post_id}}/comments", 404),
    ("id-beyond-int64", f"{P}/posts/99999999999999999999", f"{P}/posts/{{post_id}}", 404),
]


@pytest.mark.parametrize(("case", "path", "template", "status"), HUNT_READS, ids=[c[0] for c in HUNT_READS])
def test_hostile_query_values_get_a_clear_answer(backends, case, path, template, status):
    answers = {name: b.request("GET", path) for name, b in backends.items()}
    _same_everywhere(answers, status)
    validate_response("GET", template, status, next(iter(answers.values())).json())


HUNT_WRITES = [
    # (id, method, path, template, body, status)
    (
        "report-id-beyond-int4",
        "POST",
        f"{P}/reports",
        f"{P}/reports",
        b'{"post_id": 2147483648, "reason": "spam"}',
        422,
    ),
    ("report-id-infinity", "POST", f"{P}/reports", f"{P}/reports", b'{"post_id": Infinity, "reason": "spam"}', 422),
    ("report-id-nan", "POST", f"{P}/reports", f"{P}/reports", b'{"post_id": NaN, "reason": "spam"}', 422),
    ("report-id-1e400", "POST", f"{P}/reports", f"{P}/reports", b'{"post_id": 1e400, "reason": "spam"}', 422),
    (
        "read-ids-beyond-int4",
        "POST",
        f"{P}/notifications/read",
        f"{P}/notifications/read",
        b'{"ids": [2147483648]}',
        422,
    ),
    (
        "revisions-id-beyond-int4",
        "GET",
        f"{P}/posts/2147483648/revisions",
        f"{P}/posts/{{post_id}}/revisions",
        b"",
        404,
    ),
    (
        "moderate-id-beyond-int4",
        "POST",
        f"{P}/moderation/posts/2147483648",
        f"{P}/moderation/posts/{{post_id}}",
        b"{}",
        404,
    ),
    (
        "comment-digits-5000",
        "POST",
        f"{P}/posts/1/comments",
        f"{P}/posts/{{post_id}}/comments",
        b'{"body": ' + b"9" * 5000 + b"}",
        400,
    ),
    ("post-form-encoded", "POST", f"{P}/posts", f"{P}/posts", b"title=abc&body=x&category=stocks", 400),
    ("post-utf16", "POST", f"{P}/posts", f"{P}/posts", '{"title": 1}'.encode("utf-16"), 422),
    (
        "post-lone-surrogate",
        "POST",
        f"{P}/posts",
        f"{P}/posts",
        b'{"title": "a\\ud800bc", "body": "x", "category": "stocks"}',
        422,
    ),
    (
        "login-username-a-list",
        "POST",
        f"{P}/auth/login",
        f"{P}/auth/login",
        b'{"username": ["a"], "password": "x"}',
        422,
    ),
]


@pytest.mark.parametrize(
    ("case", "method", "path", "template", "content", "status"), HUNT_WRITES, ids=[c[0] for c in HUNT_WRITES]
)
def test_hostile_bodies_and_ids_get_a_clear_answer(writable, member, case, method, path, template, content, status):
    answers = {
        name: b.request(method, path, content=content or None, headers={**JSON, **member[name]})
        for name, b in writable.items()
    }
    _same_everywhere(answers, status)
    validate_response(method, template, status, next(iter(answers.values())).json())
