"""SQL-injection strings in every query parameter and body field, on every backend.

Whatever the string, the answer is a proper JSON answer (never a 5xx) and the
data is intact afterwards: the same row counts and the same table list.
"""

from __future__ import annotations

from urllib.parse import quote

import psycopg
import pytest

from tests.conformance.conftest import bearer_headers

P = "/api/v1"
INJECTIONS = [
    "'; DROP TABLE posts; --",
    "' OR '1'='1",
    "1; DELETE FROM users",
    '" OR ""="',
    "1' UNION SELECT password_hash FROM users --",
    "%' AND 1=1 --",
    "$$; TRUNCATE comments; $$",
    "\\'; DROP TABLE comments; --",
    "') OR pg_sleep(5) --",
]
QUERY_PARAMETERS = ["search", "category", "author", "cashtag", "since", "until", "sort", "page", "per_page"]


def _snapshot(backend) -> tuple:
    dsn = backend.server_database_dsn
    with psycopg.connect(dsn) as conn:
        counts = tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed table names
            for table in ("users", "categories", "posts", "comments", "post_cashtags")
        )
        tables = tuple(
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public' ORDER BY 1")
        )
    return counts, tables


@pytest.fixture(scope="module")
def token_headers(writable):
    return bearer_headers(writable, "inject_user", "inject_user-password")


def test_injection_strings_leave_the_data_intact(backends, token_headers):
    for name, backend in backends.items():
        before = _snapshot(backend)
        for text in INJECTIONS:
            for parameter in QUERY_PARAMETERS:
                response = backend.request("GET", f"{P}/posts?{parameter}={quote(text)}")
                # 404: a category or member of that name does not exist (and is looked up as a value)
                expected = (200, 404, 422) if parameter in ("category", "author") else (200, 422)
                assert response.status_code in expected, (name, parameter, text, response.status_code)
                assert "items" in response.json() or "error" in response.json()
            for path in (f"{P}/posts/{quote(text, safe='')}", f"{P}/posts/{quote(text, safe='')}/comments"):
                assert backend.request("GET", path).status_code == 404, (name, path)
            if backend.read_only:
                continue  # a read-only reference answers every write with 405
            login = backend.request("POST", f"{P}/auth/login", json={"username": text, "password": text})
            assert login.status_code in (401, 422), (name, text, login.status_code)
            register = backend.request(
                "POST", f"{P}/auth/register", json={"username": text, "email": text, "password": text}
            )
            assert register.status_code == 422, (name, text, register.status_code)
            created = backend.request(
                "POST", f"{P}/posts", json={"title": text, "body": text, "category": text}, headers=token_headers[name]
            )
            assert created.status_code == 422, (name, text, created.status_code)  # category is not a slug
        after = _snapshot(backend)
        assert after == before, (name, before, after)


def test_injection_text_is_stored_as_text(writable, token_headers):
    """A post whose title and body are injection strings is stored verbatim."""
    for name, backend in writable.items():
        text = INJECTIONS[0]
        created = backend.request(
            "POST", f"{P}/posts", json={"title": text, "body": text, "category": "stocks"}, headers=token_headers[name]
        )
        assert created.status_code == 201, (name, created.text)
        fetched = backend.request("GET", f"{P}/posts/{created.json()['id']}").json()
        assert fetched["title"] == text and fetched["body"] == text
        found = backend.request("GET", f"{P}/posts?search={quote('DROP TABLE posts')}").json()
        assert created.json()["id"] in [p["id"] for p in found["items"]], name
