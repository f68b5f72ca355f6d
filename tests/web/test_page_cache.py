"""Whole visitor pages from the cache (finboard/page_cache.py): on SQLite with the in-process
store and on PostgreSQL with Redis.

A hit must be the miss byte for byte, revalidate with 304, never reach a member, never hold
a page that set a cookie or flashed, an error or a CSRF form, and any write retires it.
"""

from __future__ import annotations

import gzip

import pytest
from flask import flash, make_response, render_template

from finboard.page_cache import PRIVATE_WRITES, Entry, accepts_gzip, not_modified, page_key
from finboard.settings import ConfigError, load_settings
from tests.conftest import AuthActions
from tests.helpers import post_titles, sign_in, text

GZ = {"Accept-Encoding": "gzip, deflate, br"}


def visit(app, path: str, method: str = "GET", **headers):
    """A visitor: a fresh client, no cookie."""
    return app.test_client().open(path, method=method, headers=headers)


class Page:
    """A decompressed body, readable by tests.helpers like a response."""

    def __init__(self, data: bytes):
        self.data = data

    def get_data(self, as_text: bool = False):
        return self.data.decode() if as_text else self.data


def state(response) -> str | None:
    return response.headers.get("X-Page-Cache")


@pytest.fixture
def alice(make):
    return make.user("alice")


def test_a_hit_is_the_miss_byte_for_byte(app, make, alice):
    make.post(alice, title="Cached page $AAPL")
    first = visit(app, "/", **GZ)
    assert first.status_code == 200 and state(first) == "miss"
    assert first.headers["Content-Encoding"] == "gzip"
    page = gzip.decompress(first.data)
    assert post_titles(Page(page)) == ["Cached page $AAPL"]
    again = visit(app, "/", **GZ)
    assert state(again) == "hit" and again.data == first.data
    for name in ("Content-Type", "Content-Security-Policy", "X-Frame-Options", "ETag", "Last-Modified"):
        assert again.headers[name] == first.headers[name], name
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"] == "public, max-age=5"
    assert again.headers["Vary"] == first.headers["Vary"] == "Accept-Encoding, Cookie"
    assert int(again.headers["Content-Length"]) == len(again.data)
    plain = visit(app, "/")  # no Accept-Encoding: the same page, decompressed
    assert state(plain) == "hit" and "Content-Encoding" not in plain.headers
    assert plain.data == page and int(plain.headers["Content-Length"]) == len(page)
    assert plain.headers["ETag"] == first.headers["ETag"].replace("-gzip", "")
    app.config["PAGE_CACHE"] = False  # the layer changes no byte of what the app renders
    uncached = visit(app, "/")
    assert state(uncached) is None and uncached.data == page and "ETag" not in uncached.headers


def test_every_public_page_type_is_cached_without_a_cookie(app, make, alice):
    """No visitor page builds a form (a CSRF token would set the session cookie): all are cached."""
    post = make.post(alice, title="Every page $AAPL")
    comment = make.comment(post, alice)
    pages = ["/", "/?sort=hot", "/c/stocks", f"/posts/{post}", "/u/alice", "/t/AAPL", "/search?q=page",
             "/trending", "/feeds/posts.atom", "/feeds/posts.rss", "/c/stocks/feed.atom", "/t/AAPL/feed.atom",
             f"/posts/{post}/history", f"/comments/{comment}/history"]  # fmt: skip
    for path in pages:
        first = visit(app, path)
        assert first.status_code == 200 and "Set-Cookie" not in first.headers, path
        assert state(first) == "miss" and state(visit(app, path)) == "hit", path


def test_revalidation_answers_304(app, make, alice):
    make.post(alice, title="Revalidate me")
    first = visit(app, "/c/stocks", **GZ)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and etag.endswith('-gzip"') and not etag.startswith("W/")
    for tags in (etag, f'"other", W/{etag}', "*"):
        response = visit(app, "/c/stocks", **GZ, **{"If-None-Match": tags})
        assert response.status_code == 304 and response.data == b"", tags
        assert response.headers["ETag"] == etag and response.headers["Cache-Control"] == "public, max-age=5"
    # The plain representation has its own tag; If-None-Match decides before If-Modified-Since.
    response = visit(app, "/c/stocks", **{"If-None-Match": etag, "If-Modified-Since": modified})
    assert response.status_code == 200 and post_titles(response) == ["Revalidate me"]
    assert visit(app, "/c/stocks", **GZ, **{"If-Modified-Since": modified}).status_code == 304
    old = visit(app, "/c/stocks", **GZ, **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert old.status_code == 200 and old.data == first.data
    make.post(alice, title="A newer post")  # a write: the page changes, the old tag no longer matches
    changed = visit(app, "/c/stocks", **{"If-None-Match": etag.replace("-gzip", "")})
    assert changed.status_code == 200 and state(changed) == "miss"
    assert post_titles(changed) == ["A newer post", "Revalidate me"]


def test_head_answers_the_get_headers_without_a_body(app, make, alice):
    make.post(alice)
    head = visit(app, "/c/stocks", method="HEAD", **GZ)  # a HEAD miss builds and stores the GET
    assert head.status_code == 200 and head.data == b"" and state(head) == "miss"
    get = visit(app, "/c/stocks", **GZ)
    assert state(get) == "hit" and len(get.data) == int(get.headers["Content-Length"])
    again = visit(app, "/c/stocks", method="HEAD", **GZ)
    assert again.data == b"" and state(again) == "hit"
    for name in ("Content-Length", "ETag", "Content-Encoding", "Content-Type"):
        assert head.headers[name] == get.headers[name] == again.headers[name], name


def test_members_never_get_the_visitor_page(app, make, alice):
    make.post(alice, title="Seen by both")
    assert state(visit(app, "/", **GZ)) == "miss"
    member = app.test_client()
    sign_in(member, alice)
    page = member.get("/", headers=GZ)
    assert state(page) is None and "Content-Encoding" not in page.headers and "ETag" not in page.headers
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "Log out" in text(page) and "Register" not in text(page)
    assert post_titles(page) == ["Seen by both"]
    still = visit(app, "/", **GZ)  # the visitor's page is untouched by the member's visit
    assert state(still) == "hit" and "Log out" not in gzip.decompress(still.data).decode()
    token = visit(app, "/", Authorization="Bearer not-a-token")  # API credentials: never the cache
    assert state(token) is None and token.status_code == 200


def test_pages_that_set_a_cookie_flash_or_fail_are_never_stored(app, make, alice):
    @app.get("/test-flash")
    def flashing():
        flash("Only for you", "info")
        return render_template("error.html", status=200, title="Flash", message="A page")

    @app.get("/test-cookie")
    def cookie_setting():
        response = make_response(render_template("error.html", status=200, title="Cookie", message="A page"))
        response.set_cookie("preference", "dark")
        return response

    for _ in range(2):
        login = visit(app, "/auth/login")  # a CSRF form: the session cookie carries its secret
        assert login.status_code == 200 and "Set-Cookie" in login.headers
        assert state(login) == "skip" and login.headers["Cache-Control"] == "private, no-store"
        flashed = visit(app, "/test-flash")
        assert "Only for you" in text(flashed) and state(flashed) == "skip"
        assert flashed.headers["Cache-Control"] == "private, no-store"
        cookie = visit(app, "/test-cookie")
        assert state(cookie) == "skip" and cookie.headers["Cache-Control"] == "private, no-store"
        missing = visit(app, "/posts/999999")
        assert missing.status_code == 404 and state(missing) == "skip"
        assert missing.headers.get("Cache-Control") is None and "ETag" not in missing.headers
        assert state(visit(app, "/api/v1/posts")) is None  # the API has its own cache and headers
    assert state(visit(app, "/", method="POST")) is None  # not a read


def test_an_account_link_page_is_never_stored(app, make, alice):
    """An unsubscribe link's page (no form token, no cookie: storable by every other rule) changes once
    the link is used, and no generation follows it: the account's pages are never cached."""
    from finboard.core import unsubscribe

    with app.app_context():
        token = unsubscribe.make_token(app.config["FINBOARD_SETTINGS"].secret_key, alice, "mention")
    for _ in range(2):
        page = visit(app, f"/account/unsubscribe/{token}")
        assert page.status_code == 200 and state(page) == "skip"
        assert "ETag" not in page.headers


def test_a_query_in_another_order_is_the_same_page(app, make, alice):
    make.post(alice, title="Sorted query")
    assert state(visit(app, "/?sort=top&period=week")) == "miss"
    assert state(visit(app, "/?period=week&sort=top")) == "hit"
    assert state(visit(app, "/?period=week&sort=top&")) == "hit"
    assert state(visit(app, "/?sort=new")) == "miss"


def test_a_write_no_read_cache_holds_retires_pages_too(app, make, alice):
    """A bio is on the profile page only: any committed write request bumps the generation."""
    assert state(visit(app, "/u/alice")) == "miss"
    assert state(visit(app, "/u/alice")) == "hit"
    member = app.test_client()
    sign_in(member, alice)
    token = AuthActions(member).csrf("/settings")
    response = member.post("/settings/profile", data={"bio": "Dividend hunter.", "csrf_token": token})
    assert response.status_code in (302, 303)
    profile = visit(app, "/u/alice")
    assert state(profile) == "miss" and "Dividend hunter." in text(profile)


def test_a_write_to_the_writers_own_state_retires_nothing(app, make, alice):
    """A mute is the member's alone: visitors keep their cached page (every name listed is a real view)."""
    assert PRIVATE_WRITES <= set(app.view_functions)
    make.post(alice, title="Still cached")
    assert state(visit(app, "/")) == "miss"
    member = app.test_client()
    sign_in(member, alice)
    token = AuthActions(member).csrf("/settings/blocks")
    response = member.post("/settings/blocks/mute", data={"kind": "word", "term": "cached", "csrf_token": token})
    assert response.status_code == 302
    assert state(visit(app, "/")) == "hit"


def test_entry_and_request_rules():
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Set-Cookie", "x=1"), ("X-A", "b: c")]
    entry = Entry.build(headers, b"<p>", 7)
    again = Entry.decode(entry.encode())
    assert again.headers == [("Content-Type", "text/html; charset=utf-8"), ("X-A", "b: c")]
    assert (again.built_at, again.digest, again.plain()) == (7, entry.digest, b"<p>")
    with pytest.raises(ValueError):
        Entry.decode(b"not an entry")
    assert accepts_gzip("gzip") and accepts_gzip("br, GZIP;q=0.5") and not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("") and not accepts_gzip("identity")
    assert not_modified({"HTTP_IF_MODIFIED_SINCE": "garbage"}, '"a"', 0) is False
    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": "a", "PATH_INFO": "/", "QUERY_STRING": "b=2&a=1&a=0"}
    assert page_key(environ, "p:") == page_key({**environ, "QUERY_STRING": "a=1&a=0&b=2"}, "p:")
    assert page_key(environ, "p:") != page_key({**environ, "QUERY_STRING": "a=0&a=1&b=2"}, "p:")
    assert page_key(environ, "p:") != page_key({**environ, "HTTP_HOST": "b"}, "p:")
    assert page_key(environ, "p:") != page_key({**environ, "HTTP_X_FORWARDED_PROTO": "https"}, "p:")


def test_settings():
    defaults = load_settings({"SECRET_KEY": "x" * 40})
    assert (defaults.page_cache, defaults.page_cache_ttl, defaults.page_cache_max_age) == (True, 60, 5)
    for name, value in (("PAGE_CACHE_TTL", "0"), ("PAGE_CACHE_MAX_AGE", "-1"), ("PAGE_CACHE", "perhaps")):
        with pytest.raises(ConfigError, match=name):
            load_settings({"SECRET_KEY": "x" * 40, name: value})
