"""Listings (home, category, author), pagination, 404/405 pages, /healthz and security bits."""

from __future__ import annotations

import re

import pytest

from finboard.app import create_app
from finboard.core.models import Comment, Post, User
from tests.helpers import body, flashes, post_titles, sign_in, text, unsafe_markup, without_own_scripts


def titles_for(n: int) -> list[str]:
    return [f"Post number {i:02d} $SPY" for i in range(n)]


@pytest.fixture
def many_posts(make) -> list[int]:
    """25 posts by alice, created oldest first."""
    alice = make.user("alice")
    return [make.post(alice, title=title, body="Body.") for title in titles_for(25)]


# --- home -----------------------------------------------------------------------


def test_home_lists_newest_first(client, make):
    alice = make.user("alice")
    make.post(alice, title="Older $MSFT post")
    make.post(alice, title="Newer $BTC post", category="crypto")
    response = client.get("/")
    assert response.status_code == 200
    assert post_titles(response) == ["Newer $BTC post", "Older $MSFT post"]
    assert "2 posts about stocks" in text(response)
    html = body(response)
    assert 'href="/t/BTC"' in html and 'href="/c/crypto"' in html and 'href="/u/alice"' in html
    assert make.count(Post) == 2


def test_empty_board(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "No posts yet. Be the first to write one." in text(response)
    assert "0 posts" in text(response)
    assert client.get("/?page=2").status_code == 404  # there is only page 1


def test_home_is_paginated_twenty_per_page(client, many_posts):
    newest_first = titles_for(25)[::-1]
    first = client.get("/")
    assert post_titles(first) == newest_first[:20]
    assert "25 posts" in text(first)
    html = body(first)
    assert '<a href="/?page=2">2</a>' in html and 'rel="prev"' not in html
    assert '<span aria-current="page">1</span>' in html
    second = client.get("/?page=2")
    assert second.status_code == 200
    assert post_titles(second) == newest_first[20:]
    assert '<a rel="prev" href="/?page=1">' in body(second) and 'rel="next"' not in body(second)


def older_link(response) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)">Older', body(response))
    return found.group(1).replace("&amp;", "&") if found else None


def test_older_posts_follow_a_cursor_to_the_end(client, many_posts):
    """ "Older →" is keyset pagination: it reaches every post once, in order, and then stops."""
    newest_first = titles_for(25)[::-1]
    first = client.get("/")
    link = older_link(first)
    assert link is not None and link.startswith("/?cursor=")
    second = client.get(link)
    assert second.status_code == 200
    assert post_titles(second) == newest_first[20:]
    assert older_link(second) is None  # the last page
    assert '<a rel="first" href="/">← Newest</a>' in body(second)


def test_older_posts_keep_the_listing_filters(client, make):
    alice = make.user("alice")
    for n in range(23):
        make.post(alice, f"Crypto thought number {n}", category="crypto")
    make.post(alice, "A stock idea", category="stocks")
    link = older_link(client.get("/c/crypto"))
    assert link is not None and link.startswith("/c/crypto?cursor=")
    older = client.get(link)
    assert post_titles(older) == [f"Crypto thought number {n}" for n in (2, 1, 0)]


def test_bad_cursors_and_deep_numbers_are_refused_cleanly(client, many_posts):
    for cursor in ("garbage", "bi45OTk5OTk5OTk5OTk5OTk5OTk5OTk5Ljk5", "A" * 300):
        response = client.get(f"/?cursor={cursor}")
        assert response.status_code == 400, cursor
    # A cursor made for another sort order is not one of our links either.
    old_order = older_link(client.get("/search?q=number&sort=old"))
    assert old_order is not None and "sort=old" in old_order
    cursor = re.search(r"cursor=([^&]+)", old_order).group(1)
    assert client.get(f"/?cursor={cursor}").status_code == 400
    assert client.get(old_order).status_code == 200
    assert client.get("/?page=501").status_code == 404  # numbered pages stop at row 10,000
    assert client.get("/").status_code == 200


def test_page_beyond_the_end_is_404(client, many_posts):
    for page in ("3", "50", "10000", "99999999999999999999"):
        response = client.get(f"/?page={page}")
        assert response.status_code == 404, page
        assert "Not found" in text(response) and "Back to the latest posts" in text(response)


def test_unreadable_page_number_means_page_one(client, many_posts):
    for page in ("abc", "", "0", "-1", "1.5", "%27%3B--", "1e3"):
        response = client.get(f"/?page={page}")
        assert response.status_code == 200, page
        assert post_titles(response) == titles_for(25)[::-1][:20], page


# --- category and author pages --------------------------------------------------


def test_category_page_lists_only_its_posts(client, make):
    alice = make.user("alice")
    make.post(alice, title="Stock post", category="stocks")
    make.post(alice, title="Crypto post one $BTC", category="crypto")
    make.post(alice, title="Crypto post two $ETH", category="crypto")
    response = client.get("/c/crypto")
    assert response.status_code == 200
    assert post_titles(response) == ["Crypto post two $ETH", "Crypto post one $BTC"]
    page = text(response)
    assert "Crypto" in page and "Bitcoin, Ethereum and the rest of the chain." in page
    assert '<a href="/c/crypto" aria-current="page">' in body(response)
    assert "No posts in this category yet." in text(client.get("/c/macro"))


def test_category_page_offers_posting_there_to_members(client, make):
    alice = make.user("alice")
    assert "Post in Crypto" not in text(client.get("/c/crypto"))
    sign_in(client, alice)
    assert 'href="/posts/new?category=crypto"' in body(client.get("/c/crypto"))


@pytest.mark.parametrize("slug", ["nope", "STOCKS", "stocks%20", "..%2F..%2Fetc%2Fpasswd", "%3Cscript%3E", "x" * 300])
def test_unknown_category_is_a_friendly_404(client, make, slug):
    make.post(make.user("alice"))
    response = client.get(f"/c/{slug}")
    assert response.status_code == 404
    assert "Not found" in text(response) and "There is nothing here." in text(response)
    assert unsafe_markup(body(response)) == []
    assert make.count(Post) == 1


def test_category_page_beyond_the_end_is_404(client, many_posts):
    second = client.get("/c/stocks?page=2")
    assert second.status_code == 200
    assert post_titles(second) == titles_for(25)[::-1][20:]
    for path in ("/c/stocks?page=3", "/c/crypto?page=2", "/u/alice?page=3"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Not found" in text(response), path


@pytest.mark.parametrize("name", ["alice", "ALICE", "Alice"])
def test_author_page_is_case_insensitive(client, make, name):
    alice = make.user("alice")
    bob = make.user("bob")
    make.post(alice, title="Alice one")
    make.post(bob, title="Bob one")
    make.post(alice, title="Alice two")
    response = client.get(f"/u/{name}")
    assert response.status_code == 200
    assert post_titles(response) == ["Alice two", "Alice one"]
    assert "Posts by alice" in text(response) and "2 posts" in text(response)


def test_author_without_posts(client, make):
    make.user("quiet_one")
    response = client.get("/u/quiet_one")
    assert response.status_code == 200
    assert "quiet_one has not posted yet." in text(response) and "0 posts" in text(response)


@pytest.mark.parametrize("name", ["nobody", "al", "alice'--", "%25", "x" * 300])
def test_unknown_author_is_a_friendly_404(client, make, name):
    make.user("alice")
    response = client.get(f"/u/{name}")
    assert response.status_code == 404
    assert "Not found" in text(response)
    assert make.count(User) == 1


# --- errors ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/posts", "/posts/new/extra", "/static/missing.css", "/u/", "/c/"])
def test_unknown_urls_are_friendly_404_pages(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Not found" in text(response) and "Back to the latest posts" in text(response)
    assert response.mimetype == "text/html"


def test_wrong_method_is_a_friendly_405(client, auth):
    response = client.post("/", data={"csrf_token": auth.csrf()})
    assert response.status_code == 405
    assert "Not allowed" in text(response)


def test_nul_in_a_url_is_a_400_not_a_server_error(client, make):
    make.user("alice")
    for path in ("/u/alice%00", "/c/stocks%00", "/?page=1%00"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "NUL character" in text(response)
    assert make.count(User) == 1


def test_error_pages_show_no_internals(client):
    for path in ("/posts/99999", "/c/nope", "/search?since=bad"):
        html = body(client.get(path))
        assert "Traceback" not in html and "sqlalchemy" not in html.lower() and "werkzeug" not in html.lower()


# --- health ---------------------------------------------------------------------


def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_and_pages_when_the_database_is_down(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-with-enough-entropy",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-dir/db.sqlite3",
            "CACHE_TYPE": "SimpleCache",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
    page = client.get("/")
    assert page.status_code == 503
    assert "Temporarily unavailable" in text(page) and "Traceback" not in body(page)


# --- security bits --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/auth/register", "/auth/login", "/auth/logout", "/posts/new", "/posts/1/edit", "/posts/1/delete",
     "/posts/1/comments", "/comments/1/delete"],
)  # fmt: skip
def test_every_form_needs_its_csrf_token(client, make, path):
    alice = make.user("alice")
    post = make.post(alice, title="Untouched", body="Untouched")
    comment = make.comment(post, alice, body="Untouched")
    sign_in(client, alice)
    data = {"title": "Changed", "body": "Changed", "category": "crypto", "username": "mallory",
            "email": "m@example.com", "password": "mallory-pass-1", "confirm": "mallory-pass-1"}  # fmt: skip
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "The form expired or was not sent from FinBoard." in text(response)
    assert (make.count(User), make.count(Post), make.count(Comment)) == (1, 1, 1)
    assert make.get(Post, post).title == "Untouched"
    assert make.get(Comment, comment).body == "Untouched"


def test_session_cookie_flags(client, auth, make):
    make.user("alice")
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_have_no_inline_script_or_handlers(client, make):
    alice = make.user("alice")
    post = make.post(alice)
    make.comment(post, alice)
    sign_in(client, alice)
    for path in ("/", f"/posts/{post}", f"/posts/{post}/edit", "/posts/new", "/search?q=x", "/u/alice", "/c/stocks"):
        html = without_own_scripts(body(client.get(path)))  # external, same-origin scripts only
        assert unsafe_markup(html) == [], path
        assert not re.search(r"<script\b", html), path


def test_flash_is_shown_once(client, auth, make):
    make.user("alice")
    auth.login()
    assert flashes(client.get("/")) == ["Logged in as alice."]
    assert flashes(client.get("/")) == []


# --- static files ----------------------------------------------------------------


def test_static_files_are_fingerprinted_and_cached_for_a_year(client):
    from pathlib import Path

    from finboard.static_files import content_hashes

    digest = content_hashes(Path(client.application.static_folder))["finboard.css"]
    html = body(client.get("/"))
    assert f'href="/static/finboard.css?v={digest}"' in html
    fresh = client.get(f"/static/finboard.css?v={digest}")
    assert fresh.status_code == 200 and b"body" in fresh.data
    assert fresh.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for stale in ("/static/finboard.css", "/static/finboard.css?v=0123456789ab"):
        response = client.get(stale)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=60, must-revalidate", stale
    assert client.get(f"/static/missing.css?v={digest}").status_code == 404


def test_a_changed_file_gets_a_new_fingerprint(tmp_path):
    from finboard.static_files import content_hashes

    (tmp_path / "site.css").write_text("a{}")
    before = content_hashes(tmp_path)["site.css"]
    (tmp_path / "site.css").write_text("a{color:red}")
    after = content_hashes(tmp_path)["site.css"]
    assert before != after and len(after) == 12


@pytest.mark.parametrize(
    ("method", "endpoint", "values"),
    [
        ("post", "posts.detail", {"post_id": 42}),
        ("category", "posts.category", {"slug": "personal-finance"}),
        ("author", "posts.author", {"username": "Value_Hunter_7"}),
        ("cashtag", "market.cashtag", {"ticker": "BRK.B"}),
    ],
)
@pytest.mark.parametrize("script_root", ["", "/board"])
def test_fast_links_equal_url_for(app, method, endpoint, values, script_root):
    """The template's ``link`` helpers build exactly what ``url_for`` builds, under a prefix too."""
    from flask import url_for

    from finboard.templating import Links

    links = Links(app)
    with app.test_request_context(base_url=f"http://localhost{script_root}/"):
        assert getattr(links, method)(*values.values()) == url_for(endpoint, **values)


@pytest.mark.parametrize("script_root", ["", "/board"])
def test_card_link_paths_equal_url_for(app, script_root):
    """Every link template the cards fill in Python (``Links.paths``, ``finboard.posts.cards``)
    builds what ``url_for`` builds for that route, under a prefix too."""
    from urllib.parse import quote

    from flask import url_for

    from finboard.templating import Links

    links = Links(app)
    with app.test_request_context(base_url=f"http://localhost{script_root}/"):
        paths = links.paths()
        assert set(paths) == set(Links.ROUTES)
        for name, (endpoint, argument, extra) in Links.ROUTES.items():
            value = {"category": "personal-finance", "author": "Value_Hunter_7", "cashtag": "BRK.B"}.get(name, 987)
            filled = paths[name].format(value if isinstance(value, int) else quote(value, safe=""))
            assert filled == url_for(endpoint, **{argument: value}, **extra), name
