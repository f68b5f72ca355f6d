"""Two app instances sharing PostgreSQL and Redis (two workers, two machines): a page cached
by one is a hit on the other, and every kind of write through one is seen at once by a
visitor and by a member on the other. A Redis outage means uncached pages, never errors.
"""

from __future__ import annotations

import re

import pytest

from finboard.app import create_app
from finboard.core.generation_cache import RedisStore
from finboard.extensions import CACHE_EXTENSION, db
from finboard.page_cache import PageCacheLayer
from tests.conftest import AuthActions
from tests.helpers import body, post_titles, sign_in, text
from tests.web.test_cache import SHARED_CONFIG
from tests.web.test_community_pages import set_role

pytestmark = pytest.mark.parametrize("database_kind", ["postgres"], indirect=True)
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


@pytest.fixture
def second_app(app):
    other = create_app({key: app.config[key] for key in SHARED_CONFIG if key in app.config})
    yield other
    with other.app_context():
        db.session.remove()
        db.engines[None].dispose()


def member(app, user_id: int):
    client = app.test_client()
    sign_in(client, user_id)
    return client


def write(client, path: str, **data):
    response = client.post(path, data={**data, "csrf_token": AuthActions(client).csrf("/")})
    assert response.status_code in (302, 303), (path, response.status_code, text(response)[:300])
    return response


def rocket_count(response) -> int:
    match = re.search(r'data-kind="rocket">.*?<span class="reaction-count">(\d+)</span>', body(response), re.S)
    return int(match.group(1)) if match else 0


def test_a_page_cached_by_one_instance_is_a_hit_on_the_other(app, second_app, make):
    assert app.config["CACHE_TYPE"] == second_app.config["CACHE_TYPE"] == "RedisCache"
    make.post(make.user("alice"), title="Shared page")
    first = app.test_client().get("/")
    other = second_app.test_client().get("/")
    assert first.headers["X-Page-Cache"] == "miss" and other.headers["X-Page-Cache"] == "hit"
    assert other.data == first.data and other.headers["ETag"] == first.headers["ETag"]
    revalidated = second_app.test_client().get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304


def test_every_write_on_a_is_seen_at_once_on_b(app, second_app, make):
    alice, bob, mod = make.user("alice"), make.user("bob"), make.user("mod")
    set_role(make, mod, "moderator")
    post = make.post(alice, title="Shared $NVDA")
    a_alice, a_mod, b_bob = member(app, alice), member(app, mod), member(second_app, bob)

    def on_b(path: str, expect_hit: bool = False):
        """What a visitor and a member on instance B see at ``path`` (the visitor's page must be fresh)."""
        visitor = second_app.test_client().get(path)
        if expect_hit:
            assert visitor.headers.get("X-Page-Cache") == "hit", path
        else:
            assert visitor.headers.get("X-Page-Cache") in ("miss", "skip"), path
        return visitor, b_bob.get(path)

    def warm(*paths):
        for path in paths:
            app.test_client().get(path)  # built on A ...
            on_b(path, expect_hit=True)  # ... and cached for B

    warm("/", f"/posts/{post}")
    write(a_alice, "/posts/new", title="Second post $AMD", body="On A.", category="stocks")
    for page in on_b("/"):
        assert post_titles(page) == ["Second post $AMD", "Shared $NVDA"]
    second = int(re.search(r'/posts/(\d+)">Second post', body(page)).group(1))

    warm("/", f"/posts/{post}")
    write(a_alice, f"/posts/{post}/comments", body="Comment from A")
    for page in on_b(f"/posts/{post}"):
        assert "Comment from A" in text(page) and "1 comment" in text(page)

    warm("/", f"/posts/{post}")
    write(a_alice, f"/posts/{post}/edit", title="Edited on A $NVDA", body="Edited body", category="stocks")
    for page in on_b("/"):
        assert post_titles(page) == ["Second post $AMD", "Edited on A $NVDA"]
    for page in on_b(f"/posts/{post}"):
        assert "Edited on A $NVDA" in text(page) and "Edited body" in text(page)

    warm(f"/posts/{post}")
    write(a_alice, f"/posts/{post}/react", kind="rocket", action="set")
    for page in on_b(f"/posts/{post}"):
        assert rocket_count(page) == 1

    warm("/", f"/posts/{post}")
    write(a_mod, f"/moderation/posts/{post}", action="hide", reason="Off-topic for the test")
    for page in on_b("/"):
        assert post_titles(page) == ["Second post $AMD"]
    for page in on_b(f"/posts/{post}"):
        assert page.status_code == 404

    warm("/", f"/posts/{second}")
    write(a_alice, f"/posts/{second}/delete", confirm="yes")
    for page in on_b("/"):
        assert post_titles(page) == []
    for page in on_b(f"/posts/{second}"):
        assert page.status_code == 404


def _layer(app) -> PageCacheLayer:
    layer = app.wsgi_app
    while not isinstance(layer, PageCacheLayer):
        layer = layer.app  # ProxyFix and friends keep the app they wrap as .app
    return layer


def test_a_broken_redis_means_uncached_pages_not_errors(app, make):
    alice = make.user("alice")
    make.post(alice, title="Before the outage")
    assert app.test_client().get("/").headers["X-Page-Cache"] == "miss"
    cache = app.extensions[CACHE_EXTENSION]
    working = cache.store
    cache.store = RedisStore.from_url(UNREACHABLE_REDIS)
    try:
        for path in ("/", "/c/stocks", "/", "/search?q=outage"):
            page = app.test_client().get(path, headers={"Accept-Encoding": "gzip"})
            assert page.status_code == 200, path
            assert "X-Page-Cache" not in page.headers and "Content-Encoding" not in page.headers
            assert "public" not in page.headers.get("Cache-Control", "")
        assert post_titles(app.test_client().get("/")) == ["Before the outage"]
        _layer(app)._down_until = 0  # the layer tries again at once (it waits RETRY_AFTER otherwise)
        author = member(app, alice)
        write(author, "/posts/new", title="Written during the outage", body="Saved.", category="macro")
        page = app.test_client().get("/")  # the read, the write and this page: no error, no stale page
        assert page.status_code == 200
        assert post_titles(page) == ["Written during the outage", "Before the outage"]
    finally:
        cache.store.close()
        cache.store = working
    _layer(app)._down_until = 0
    back = app.test_client().get("/")  # Redis back: the write's deferred bump retires the old page first
    assert back.headers["X-Page-Cache"] == "miss"
    assert post_titles(back) == ["Written during the outage", "Before the outage"]
