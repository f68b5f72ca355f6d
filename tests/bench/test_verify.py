"""Verification: status, OpenAPI schema, and the same body as the backend verified first."""

from __future__ import annotations

import json

from finboard.bench.client import Response
from finboard.bench.scenarios import Request
from finboard.bench.verify import Verdict, Verifier, comparable, first_difference, response_validator

POST = {
    "id": 7,
    "title": "Is $AAPL a buy?",
    "body": "Thoughts.",
    "author": {"id": 3, "username": "value_investor3"},
    "category": {"id": 1, "slug": "stocks", "name": "Stocks"},
    "cashtags": ["AAPL"],
    "comment_count": 2,
    "created_at": "2026-10-01T12:00:00Z",
    "updated_at": "2026-10-01T12:00:00Z",
    "sentiment": "bullish",
    "positions": [{"ticker": "AAPL", "position": "long"}],
    "sentiments": [{"ticker": "AAPL", "sentiment": "bullish"}],
    "pinned": False,
    "locked": False,
    "edit_count": 0,
    "reaction_count": 0,
}
PAGE = {"items": [POST], "page": 1, "per_page": 20, "total": 1, "pages": 1, "total_exact": True, "next_cursor": None}
LIST = Request("GET", "/api/v1/posts?page=1", "/api/v1/posts", 200)


def answer(body, status=200, content_type="application/json"):
    return Response(status, content_type, json.dumps(body).encode())


def test_schema_validation_of_documented_responses():
    validator = response_validator("/api/v1/posts", "get", 200)
    assert not list(validator.iter_errors(PAGE))
    broken = {**PAGE, "items": [{**POST, "author": {"id": "three"}}]}
    assert list(validator.iter_errors(broken))


def test_check_rejects_a_redirect_a_wrong_schema_and_html():
    verifier = Verifier()
    verdict = Verdict("x")
    verifier._check(verdict, "list", LIST, Response(302, "text/html", b""))
    verifier._check(verdict, "list", LIST, answer({"items": "nope"}))
    verifier._check(verdict, "list", LIST, answer(PAGE, content_type="text/html"))
    assert not verdict.ok
    assert "status 302, expected 200" in verdict.problems[0]
    assert "does not match the OpenAPI schema" in verdict.problems[1]
    assert "content type" in verdict.problems[2]


def test_bodies_are_compared_with_the_first_verified_backend():
    verifier = Verifier()
    first = Verdict("flask")
    verifier.reference_backend = "flask"
    verifier.reference = {LIST.key: verifier._check(first, "list", LIST, answer(PAGE))}
    other = Verdict("django")
    body = verifier._check(other, "list", LIST, answer({**PAGE, "items": [{**POST, "comment_count": 3}]}))
    verifier._compare(other, {LIST.key: body})
    assert not other.ok
    assert "differs from flask's at items[0].comment_count: 2 != 3" in other.problems[0]


def test_fresh_writes_are_compared_without_ids_and_timestamps():
    assert comparable({**POST, "id": 99, "created_at": "x"}) == comparable(POST)
    assert first_difference({"a": [1, 2]}, {"a": [1]}) == "a: 2 items != 1 items"
    assert first_difference({"a": 1}, {"a": 1}) is None


def test_a_deep_page_must_start_with_the_row_after_its_cursor():
    deep = Request("GET", "/api/v1/posts?cursor=abc", "/api/v1/posts", 200, first_id=7)
    verdict = Verdict("raw")
    assert Verifier()._check(verdict, "deep", deep, answer({**PAGE, "page": None})) is not None
    assert verdict.ok
    wrong = Request("GET", "/api/v1/posts?cursor=abc", "/api/v1/posts", 200, first_id=8)
    assert Verifier()._check(verdict, "deep", wrong, answer({**PAGE, "page": None})) is None
    assert not verdict.ok and "starts with post 7, expected post 8" in verdict.problems[0]
