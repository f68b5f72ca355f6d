"""Every backend answers the same read requests with the same status and bytes,
valid against the OpenAPI document, with the same number of SQL statements."""

from __future__ import annotations

import json

import pytest

from tests.conformance.cases import READ_CASES, STATEMENT_BUDGET, UNDOCUMENTED_CASES, fill_placeholders
from tests.conformance.contract import validate_response


@pytest.fixture(scope="module")
def cursors(backends) -> dict[str, str]:
    """Cursors as the API issues them: next_cursor of a first page, per sort (read from one backend)."""
    backend = next(iter(backends.values()))
    found = {}
    for sort in ("new", "old", "comments"):
        page = backend.request("GET", f"/api/v1/posts?per_page=7&sort={sort}").json()
        found[f"CURSOR_{sort.upper()}"] = page["next_cursor"]
    assert all(found.values()), found
    return found


def _answers(backends, method, path):
    return {name: b.request(method, path) for name, b in backends.items()}


def _assert_identical(answers, expected_status):
    statuses = {name: r.status_code for name, r in answers.items()}
    assert set(statuses.values()) == {expected_status}, statuses
    bodies = {name: r.content for name, r in answers.items()}
    reference_name, reference = next(iter(bodies.items()))
    for name, body in bodies.items():
        assert body == reference, f"{name} differs from {reference_name}:\n{body[:600]!r}\n{reference[:600]!r}"
    for name, response in answers.items():
        if response.content:
            assert response.headers["content-type"].startswith("application/json"), name


@pytest.mark.parametrize(("case", "method", "path", "template", "status"), READ_CASES, ids=[c[0] for c in READ_CASES])
def test_read_is_identical_and_documented(backends, seeded_author, cursors, case, method, path, template, status):
    answers = _answers(backends, method, fill_placeholders(path, seeded_author, cursors))
    _assert_identical(answers, status)
    body = next(iter(answers.values())).json()
    validate_response(method, template, status, body)
    if status >= 400:
        assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]


@pytest.mark.parametrize(
    ("case", "method", "path", "status"), UNDOCUMENTED_CASES, ids=[c[0] for c in UNDOCUMENTED_CASES]
)
def test_unrouted_requests_get_the_error_shape(backends, case, method, path, status):
    answers = _answers(backends, method, path)
    _assert_identical(answers, status)
    body = next(iter(answers.values())).json()
    validate_response("GET", "/api/v1/healthz", 503, body)  # any documented error: the Error schema
    assert body["error"]["code"] in ("not_found", "method_not_allowed")


def test_listing_data_matches_the_database(backends, seeded_author):
    """Not only identical: right. Filters and sorting hold on the seeded data."""
    for backend in backends.values():
        everything = backend.request("GET", "/api/v1/posts?per_page=100").json()
        assert everything["total"] == 90 and len(everything["items"]) == 90 and everything["pages"] == 1
        stamps = [(p["created_at"], p["id"]) for p in everything["items"]]
        assert stamps == sorted(stamps, reverse=True)

        by_author = backend.request("GET", f"/api/v1/posts?per_page=100&author={seeded_author.upper()}").json()
        expected = [p["id"] for p in everything["items"] if p["author"]["username"] == seeded_author]
        assert [p["id"] for p in by_author["items"]] == expected and expected

        crypto = backend.request("GET", "/api/v1/posts?per_page=100&category=crypto").json()
        expected = [p["id"] for p in everything["items"] if p["category"]["slug"] == "crypto"]
        assert [p["id"] for p in crypto["items"]] == expected and crypto["total"] == len(expected)

        tagged = backend.request("GET", "/api/v1/posts?per_page=100&cashtag=btc").json()
        expected = [p["id"] for p in everything["items"] if "BTC" in p["cashtags"]]
        assert [p["id"] for p in tagged["items"]] == expected and expected

        by_comments = backend.request("GET", "/api/v1/posts?per_page=100&sort=comments").json()
        counts = [p["comment_count"] for p in by_comments["items"]]
        assert counts == sorted(counts, reverse=True)

        stats = backend.request("GET", "/api/v1/stats/categories").json()["items"]
        assert sum(c["post_count"] for c in stats) == 90
        assert sum(c["comment_count"] for c in stats) == 240


LISTINGS = [
    "per_page=7",
    "per_page=4&sort=old",
    "per_page=6&sort=comments",
    "per_page=3&category=crypto",
    "per_page=2&cashtag=BTC",
    "per_page=5&search=dividend",
    "per_page=3&cashtag=BTC&sort=comments",
    "per_page=4&since=2023-03-01&sort=old",
]


@pytest.mark.parametrize("listing", LISTINGS)
def test_cursor_walk_visits_every_post_once_in_order(backends, listing):
    """Following next_cursor gives exactly the numbered pages' posts, in order, and ends with null."""
    for name, backend in backends.items():
        filters = "&".join(part for part in listing.split("&") if not part.startswith("per_page="))
        everything = backend.request("GET", f"/api/v1/posts?per_page=100&{filters}").json()
        expected = [p["id"] for p in everything["items"]]
        walked, cursor, pages = [], None, 0
        while True:
            suffix = f"&cursor={cursor}" if cursor else ""
            page = backend.request("GET", f"/api/v1/posts?{listing}{suffix}").json()
            walked += [p["id"] for p in page["items"]]
            assert page["page"] == (None if cursor else 1), name
            assert page["total"] == everything["total"] and page["total_exact"], name
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert pages <= everything["total"], f"{name}: the walk does not end"
        assert walked == expected and expected, (name, listing)


def test_capped_totals_say_they_are_capped(backends):
    """Counter-backed listings are exact; the rest are exact below the cap (the seed is far below it)."""
    for backend in backends.values():
        for query in ("", "category=crypto", "cashtag=BTC", "search=dividend", "category=crypto&cashtag=BTC"):
            page = backend.request("GET", f"/api/v1/posts?{query}").json()
            assert page["total_exact"] is True, query
            assert page["pages"] == -(-page["total"] // 20), query


def test_search_finds_words_in_titles_and_bodies(backends):
    for backend in backends.values():
        found = backend.request("GET", "/api/v1/posts?search=dividend&per_page=100").json()
        assert found["total"] > 0
        for post in found["items"]:
            assert "dividend" in (post["title"] + post["body"]).lower()


def test_detail_has_newest_comments(backends):
    for backend in backends.values():
        post = backend.request("GET", "/api/v1/posts/3").json()
        comments = backend.request("GET", "/api/v1/posts/3/comments?per_page=100").json()
        assert post["comment_count"] == comments["total"] == len(comments["items"])
        newest = sorted(comments["items"], key=lambda c: (c["created_at"], c["id"]), reverse=True)[:20]
        assert [c["id"] for c in post["comments"]] == [c["id"] for c in newest]


@pytest.mark.parametrize(("case", "path", "budget"), STATEMENT_BUDGET, ids=[c[0] for c in STATEMENT_BUDGET])
def test_sql_statements_per_request(backends, seeded_author, case, path, budget):
    path = fill_placeholders(path, seeded_author)
    counts = {}
    for name, backend in backends.items():
        backend.request("GET", path)  # let lazily-initialised state settle first
        response, counts[name] = backend.statements("GET", path)
        assert response.status_code == 200, (name, response.text[:300])
    assert all(count == budget for count in counts.values()), f"{case}: {counts} (budget {budget})"


def test_openapi_document_is_the_same_everywhere(backends):
    documents = {name: b.request("GET", "/api/v1/openapi.json") for name, b in backends.items()}
    texts = {name: r.content for name, r in documents.items()}
    assert len(set(texts.values())) == 1, list(texts)
    document = json.loads(next(iter(texts.values())))
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/posts" in document["paths"]


def test_the_api_docs_viewer_is_the_same_everywhere(writable):
    """/api/v1/docs: the same page and files from every full backend (raw, a read-only
    benchmark ceiling, serves only the reads), cacheable, under the API's CSP."""
    from finboard.contract import api_docs

    version = api_docs.SWAGGER_UI_VERSION
    paths = {
        "/api/v1/docs": "text/html",
        f"/api/v1/docs/{version}/init.js": "text/javascript",
        f"/api/v1/docs/{version}/swagger-ui.css": "text/css",
        f"/api/v1/docs/{version}/swagger-ui-bundle.js": "text/javascript",
    }
    for path, content_type in paths.items():
        answers = _answers(writable, "GET", path)
        bodies = {name: r.content for name, r in answers.items()}
        assert len(set(bodies.values())) == 1, (path, list(bodies))
        for name, response in answers.items():
            assert response.status_code == 200, (name, path)
            assert response.headers["content-type"].startswith(content_type), (name, path)
            assert response.headers["cache-control"].startswith("public, max-age="), (name, path)
            assert "script-src 'self'" in response.headers["content-security-policy"], (name, path)
    page = next(iter(_answers(writable, "GET", "/api/v1/docs").values())).text
    assert f"/api/v1/docs/{version}/swagger-ui-bundle.js" in page and "<script>" not in page
    for path in (f"/api/v1/docs/{version}/index.html", "/api/v1/docs/0.0.1/init.js", "/api/v1/docs/%2e%2e/setup.py"):
        answers = _answers(writable, "GET", path)
        _assert_identical(answers, 404)
        assert next(iter(answers.values())).json()["error"]["code"] == "not_found"
