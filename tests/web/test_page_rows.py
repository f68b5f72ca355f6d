"""Pages render from row documents and precomputed cards (issue 19, item 2) — and say the same.

The listing, post and search pages used to parse the API's cached JSON back into pydantic models
and work every card out in Jinja; now they read their own row documents
(``finboard.rawsql.page_rows``, ``finboard.posts.rows``) and precomputed cards
(``finboard.posts.cards``). The HTML must not change: every page here is compared, byte for
byte (CSRF tokens and static files' fingerprints aside), with a golden file rendered by the old
path for the same data and the same clock: on SQLite (the orm layer) and on PostgreSQL with
Redis (both data layers), on a miss and on a cache hit, for a visitor and for a member with
blocks, a mute, a bookmark and unread comments.

The golden files (``tests/web/golden/page_rows/``) were written by this module in a checkout
of eae0f29, the last commit of the old path: ``GOLDEN_WRITE=1 python3 -m pytest
tests/web/test_page_rows.py -k old_path`` there (a missing file is written, an existing one
compared). One set serves both databases: the old path rendered the same bytes on SQLite and
on PostgreSQL, so each database is held to the same files. A later change to the templates
means writing them again the same way, from the old path with that change (or from this branch
once its equality was shown).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from finboard import relative_time
from finboard.app import create_app
from finboard.core import block_service, content_writes, reading_service
from finboard.core.models import Comment, Post, User
from finboard.core.reading_models import Bookmark
from finboard.extensions import cache, db
from finboard.ratelimits import limiter
from finboard.settings import load_settings
from tests.conftest import TEST_PASSWORD, AuthActions, Factory
from tests.databases import TEST_REDIS_URL, empty_tables

GOLDEN = Path(__file__).parent / "golden" / "page_rows"
SECRET = "page-rows-secret-key-0123456789abcdef"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
_CSRF = re.compile(r'(name="csrf_token"(?: type="hidden")? value=")[^"]+(")')
_FINGERPRINT = re.compile(r"(/static/[^\"?]+\?v=)[0-9a-f]+")  # a stylesheet edit is not a page change


class _Frozen(datetime):
    """The pages' clock (``finboard.relative_time``) at ``NOW``: "3 h ago" is the same on every run."""

    @classmethod
    def now(cls, tz=None):
        return NOW if tz is not None else NOW.replace(tzinfo=None)


def _app(url: str, layer: str, cache_config: dict):
    settings = load_settings({"DATABASE_URL": url, "SECRET_KEY": SECRET, "DATA_LAYER": layer})
    app = create_app(
        {
            "TESTING": True,
            "FINBOARD_SETTINGS": settings,
            "SQLALCHEMY_DATABASE_URI": settings.database_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            **cache_config,
        }
    )
    app.config["FINBOARD_SETTINGS"] = app.config["FINBOARD_SETTINGS"].replace(jobs_runner="embedded")
    return app


def _at(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def _seed(app) -> dict:
    """Three members, 23 posts (two pages of the index) with every card feature, a threaded post."""
    make = Factory(app)
    alice, bob, carol = make.user("alice"), make.user("bob"), make.user("carol")
    ids = {"alice": alice, "bob": bob, "carol": carol}
    main = make.post(alice, title="Why $AAPL still matters", body="Long **$AAPL** and $MSFT, see @bob.")
    moon = make.post(bob, title="$BTC <to> the moon & back", body="Moon talk about $BTC.", category="crypto")
    income = make.post(carol, title="Dividend income with $KO", body="Boring is good: $KO.", category="dividends")
    others = [
        make.post((alice, bob, carol)[n % 3], title=f"Note {n} on $NVDA", body=f"Plain note {n}.", category="macro")
        for n in range(20)
    ]
    comment = make.comment
    top = comment(main, bob, "First! $AAPL to 300")
    answer = _reply(app, main, carol, top, "Why **300**?")
    _reply(app, main, alice, answer, "Because @carol asked.")
    thread = comment(main, carol, "A long thread starts here.")
    for n in range(6):
        _reply(app, main, (alice, bob)[n % 2], thread, f"Reply {n}")
    comment(main, bob, "Blocked author's comment.")
    with app.app_context():
        hours = {main: 3, moon: 26, income: 24 * 9, **{p: 0.5 + 30 * n for n, p in enumerate(others)}}
        for post_id, age in hours.items():
            _update(Post, post_id, created_at=_at(age), updated_at=_at(age))
        for n, comment_id in enumerate(db.session.scalars(select(Comment.id).order_by(Comment.id)).all()):
            _update(Comment, comment_id, created_at=_at(2) + timedelta(minutes=n))
        for user_id in ids.values():
            _update(User, user_id, created_at=_at(24 * 400))
        _update(
            Post,
            main,
            sentiment="bullish",
            sentiments="AAPL:bullish MSFT:neutral",
            positions="AAPL:long MSFT:none",
            pinned=True,
            edit_count=1,
            reaction_count=3,
            updated_at=_at(1),
        )
        _update(Post, moon, sentiment="bearish", sentiments="BTC:bearish", reaction_count=1, locked=True)
        _update(Comment, answer, edit_count=2)
        db.session.commit()
        member = db.session.get(User, carol)
        block_service.set_block(db.session, member, "bob", True)
        block_service.set_mute(db.session, member, "word", "boring", True)
        reading_service.set_bookmark(db.session, member, main, True)
        db.session.execute(update(Bookmark).values(created_at=_at(5)))
        db.session.commit()
        cache.invalidate()
    return {**ids, "main": main, "moon": moon, "income": income}


def _update(model, ident: int, **values) -> None:
    db.session.execute(update(model).where(model.id == ident).values(**values))


def _reply(app, post_id: int, author_id: int, parent_id: int, body: str) -> int:
    with app.app_context():
        created = content_writes.create_comment(
            db.session, db.session.get(Post, post_id), db.session.get(User, author_id), body, parent_id=parent_id
        )
        db.session.commit()
        cache.invalidate()
        return created.id


def _pages(ids: dict) -> dict[str, str]:
    main = ids["main"]
    return {
        "index": "/",
        "index-page-2": "/?page=2",
        "index-comments": "/?sort=comments",
        "category": "/c/crypto",
        "author": "/u/alice",
        "search": "/search?q=AAPL",
        "search-cashtag": "/search?cashtag=NVDA&sort=old",
        "cashtag": "/t/BTC",
        "post": f"/posts/{main}",
        "post-locked": f"/posts/{ids['moon']}",
    }


def _html(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    html = _FINGERPRINT.sub(r"\1V", _CSRF.sub(r"\1CSRF\2", response.get_data(as_text=True)))
    if path.startswith("/t/"):  # the chart's days follow the real calendar: compare the listing
        html = html[html.index('<h2 class="section-title">') :]
    return html


def _render_all(app, ids: dict) -> dict[str, str]:
    """Every page twice (a miss, then a hit of the read cache) for a visitor, then for carol."""
    client = app.test_client()
    rendered = {}
    for name, path in _pages(ids).items():
        first = _html(client, path)
        assert _html(client, path) == first, f"{name}: a cache hit renders other HTML than the miss"
        rendered[f"visitor-{name}"] = first
    auth = AuthActions(client)
    assert auth.login("carol", TEST_PASSWORD).status_code == 302
    client.get(f"/posts/{ids['main']}")  # read up to here: the next comment is "1 new comment"
    later = Factory(app).comment(ids["main"], ids["alice"], "After carol's visit.")
    with app.app_context():
        _update(Comment, later, created_at=_at(0.2))
        db.session.commit()
        cache.invalidate()
    for name in ("index", "search", "author"):
        rendered[f"member-{name}"] = _html(client, _pages(ids)[name])
    rendered["member-bookmarks"] = _html(client, "/bookmarks")
    rendered["member-post"] = _html(client, f"/posts/{ids['main']}")
    return rendered


@pytest.fixture(params=["sqlite-orm", "postgres-orm", "postgres-sql"])
def board(request, monkeypatch, tmp_path):
    kind, layer = request.param.split("-")
    monkeypatch.setattr(relative_time, "datetime", _Frozen)
    if kind == "postgres":
        url = request.getfixturevalue("postgres_url")
        prefix = request.getfixturevalue("redis_prefix")
        cache_config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": TEST_REDIS_URL, "CACHE_KEY_PREFIX": prefix}
    else:
        url = request.getfixturevalue("sqlite_url")
        cache_config = {"CACHE_TYPE": "SimpleCache"}
    empty_tables(url)
    app = _app(url, layer, cache_config)
    with app.app_context():
        cache.clear()
        limiter().reset()
    yield kind, app
    with app.app_context():
        db.session.remove()
        db.engines[None].dispose()


def test_pages_render_as_the_old_path_did(board):
    kind, app = board
    ids = _seed(app)
    rendered = _render_all(app, ids)
    folder = GOLDEN  # one set for every database: the first board to run writes, the others compare
    if os.environ.get("GOLDEN_WRITE"):
        folder.mkdir(parents=True, exist_ok=True)
        for name, html in rendered.items():
            if not (folder / f"{name}.html").exists():
                (folder / f"{name}.html").write_bytes(html.encode())
    for name, html in rendered.items():
        golden = (folder / f"{name}.html").read_bytes().decode()  # as written: the textarea's \r\n too
        assert html == golden, f"{kind}: {name} differs from the page the old path rendered"


def test_pages_parse_no_pydantic_model(app, client, make, monkeypatch):
    """A listing, search, cashtag and post page build no ``PostPage``/``PostPublic``/``CommentPage``:
    the pages read rows, and the API's documents are never parsed back for them."""
    from finboard.contract.comments import CommentPage
    from finboard.contract.posts import PostDetail, PostPage, PostPublic

    author = make.user("rows")
    post = make.post(author, title="Rows not models $AAPL", body="A body.")
    make.comment(post, author, "A comment on rows.")

    def refuse(*_args, **_kwargs):
        raise AssertionError("a page parsed a pydantic model")

    for model in (PostPage, PostPublic, PostDetail, CommentPage):
        monkeypatch.setattr(model, "model_validate_json", refuse)
    for path in ("/", "/c/stocks", "/u/rows", "/search?q=rows", "/t/AAPL", f"/posts/{post}"):
        for _ in range(2):  # a miss, then a hit
            response = client.get(path)
            assert response.status_code == 200, path
            assert "Rows not models" in response.get_data(as_text=True), path
    assert "A comment on rows." in client.get(f"/posts/{post}").get_data(as_text=True)


def test_both_data_layers_write_the_same_page_rows(postgres_url):
    """``orm_reads`` (ORM objects) and ``rawsql`` (statement tuples) write byte-identical page rows."""
    from finboard.contract.pagination import PageQuery
    from finboard.contract.posts import PostListQuery
    from finboard.reads import _read, page_detail_rows, page_posts_rows

    def page_post_rows(post_id):  # the two documents the post page's one joins, uncached
        return _read(lambda src, conn: src.page_post(conn, post_id))()

    def page_comments_rows(post_id, query):
        return _read(lambda src, conn: src.page_comments(conn, post_id, query))()

    empty_tables(postgres_url)
    apps = {layer: _app(postgres_url, layer, {"CACHE_TYPE": "NullCache"}) for layer in ("orm", "sql")}
    ids = _seed(apps["orm"])
    queries = [
        PostListQuery(per_page=5),
        PostListQuery(per_page=20, sort="comments"),
        PostListQuery(per_page=20, cashtag="NVDA", sort="old"),
        PostListQuery(per_page=20, category="crypto"),
        PostListQuery(per_page=20, search="AAPL"),
    ]
    written = {}
    for layer, app in apps.items():
        with app.test_request_context():
            written[layer] = (
                [page_posts_rows(q) for q in queries],
                [page_post_rows(ids["main"]), page_post_rows(999999)],
                [page_comments_rows(ids["main"], PageQuery(page=1, per_page=50))],
                [page_detail_rows(ids["main"], PageQuery(page=1, per_page=50)), page_detail_rows(999999, PageQuery())],
            )
    assert written["orm"] == written["sql"]
    assert written["orm"][1][1] == b""  # a missing post is the empty document
    detail, missing = written["orm"][3]
    assert detail == b"[" + written["orm"][1][0] + b"," + written["orm"][2][0] + b"]" and missing == b""
    for app in apps.values():
        with app.app_context():
            db.session.remove()
            db.engines[None].dispose()
