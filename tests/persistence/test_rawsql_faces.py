"""The two faces of the SQL layer (finboard.rawsql) on PostgreSQL: same plans, same bytes.

The sync face (``reads`` on the ``pool.Database`` pool) is what wsgi-raw and the
Flask API run, the async face (``async_reads`` on the ``async_pool.AsyncDatabase``
pool) what asgi-raw and FastAPI with DATA_LAYER=sql run. Every read must give
byte-identical answers on both — and right ones: the documents are checked
against the seeded rows, and a missing post is the same 404 on both.
"""

from __future__ import annotations

import asyncio

import orjson
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from finboard.contract.errors import ApiError
from finboard.contract.health import Health
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostListQuery
from finboard.core.models import Category, Comment, Post, User
from finboard.core.seeding import seed
from finboard.rawsql import async_reads, reads
from finboard.rawsql.async_pool import AsyncDatabase
from finboard.rawsql.plans import DEFAULT_LIST_QUERY
from finboard.rawsql.pool import Database
from finboard.settings import load_settings
from tests.databases import postgres_database

pytestmark = pytest.mark.postgres

SEEDED_POSTS = 60


@pytest.fixture(scope="module")
def seeded():
    """A seeded database, and a few of its values for the filters (read from the rows, never assumed)."""
    with postgres_database("finboard_faces") as url:
        engine = create_engine(url)
        with Session(engine) as session:
            seed(session, users=8, posts=SEEDED_POSTS, comments=150, seed=11)
            session.commit()
            post = session.scalars(select(Post).where(Post.cashtags != "").order_by(Post.id)).first()
            facts = {
                "url": url,
                "post_id": post.id,
                "comment_count": post.comment_count,
                "author": session.get(User, post.author_id).username,
                "category": session.get(Category, post.category_id).slug,
                "ticker": post.cashtag_list[0],
                "search": post.title.split()[0],
                "since": post.created_at.isoformat(),
                "missing_id": session.scalar(select(func.max(Post.id))) + 1000,
                "posts": session.scalar(select(func.count(Post.id))),
                "comments_of_post": session.scalar(select(func.count(Comment.id)).where(Comment.post_id == post.id)),
            }
        engine.dispose()
        yield facts


@pytest.fixture(scope="module")
def faces(seeded):
    """``answer(face, read, *args)``: bytes (or the ApiError raised) from the sync or the async face."""
    settings = load_settings({"DATABASE_URL": seeded["url"]}, require_secret=False)
    sync_db = Database.from_settings(settings)
    async_db = AsyncDatabase.from_settings(settings)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(async_db.open())

    async def run_async(read: str, args: tuple) -> bytes:
        async with async_db.connection() as conn:
            return await getattr(async_reads, read)(conn, *args)

    def answer(face: str, read: str, *args):
        try:
            if face == "sync":
                with sync_db.connection() as conn:
                    return getattr(reads, read)(conn, *args)
            return loop.run_until_complete(run_async(read, args))
        except ApiError as exc:
            return exc

    try:
        yield answer
    finally:
        loop.run_until_complete(async_db.close(timeout=1))
        loop.close()
        sync_db.pool().close(timeout=1)


def list_query(**params) -> PostListQuery:
    return PostListQuery.model_validate(params)


LIST_CASES = {
    "default": lambda s: DEFAULT_LIST_QUERY,
    "page-2": lambda s: list_query(page=2, per_page=7),
    "per-page-100": lambda s: list_query(per_page=100),
    "sort-old": lambda s: list_query(sort="old"),
    "sort-comments": lambda s: list_query(sort="comments", per_page=9),
    "category": lambda s: list_query(category=s["category"]),
    "author": lambda s: list_query(author=s["author"].upper()),
    "cashtag": lambda s: list_query(cashtag=s["ticker"]),
    "since-until": lambda s: list_query(since=s["since"], until="2100-01-01T00:00:00Z"),
    "search": lambda s: list_query(search=s["search"]),
    "search-and-category": lambda s: list_query(search=s["search"], category=s["category"]),
}


def both(faces, read: str, *args):
    sync, async_ = faces("sync", read, *args), faces("async", read, *args)
    if isinstance(sync, ApiError):
        assert isinstance(async_, ApiError) and (async_.status, async_.json()) == (sync.status, sync.json())
        return sync
    assert async_ == sync
    return sync


@pytest.mark.parametrize("case", LIST_CASES)
def test_lists_are_byte_identical(faces, seeded, case):
    query = LIST_CASES[case](seeded)
    page = orjson.loads(both(faces, "posts", query))
    if page["total_exact"]:  # a search total may be the planner's estimate
        assert len(page["items"]) == min(query.per_page, page["total"] - (query.page - 1) * query.per_page)
    if case in ("default", "per-page-100"):
        assert page["total"] == seeded["posts"] == SEEDED_POSTS
    if case == "author":
        assert {p["author"]["username"] for p in page["items"]} == {seeded["author"]}
    if case == "cashtag":
        assert all(seeded["ticker"] in p["cashtags"] for p in page["items"]) and page["items"]


def test_cursor_pages_are_byte_identical_and_continue_the_listing(faces):
    first = orjson.loads(both(faces, "posts", list_query(per_page=10)))
    second = orjson.loads(both(faces, "posts", list_query(per_page=10, cursor=first["next_cursor"])))
    everything = orjson.loads(both(faces, "posts", list_query(per_page=20)))
    assert [p["id"] for p in first["items"] + second["items"]] == [p["id"] for p in everything["items"]]
    assert second["page"] is None


def test_detail_and_comments_are_byte_identical(faces, seeded):
    post_id = seeded["post_id"]
    detail = orjson.loads(both(faces, "post", post_id))
    assert detail["id"] == post_id and detail["comment_count"] == seeded["comment_count"]
    assert len(detail["comments"]) == min(20, seeded["comments_of_post"])
    alone = orjson.loads(both(faces, "post_alone", post_id))
    assert alone == {key: value for key, value in detail.items() if key != "comments"}
    page = orjson.loads(both(faces, "comments", post_id, PageQuery(per_page=2, page=2)))
    assert page["total"] == seeded["comment_count"] and page["page"] == 2
    assert all(c["post_id"] == post_id for c in page["items"])


def test_categories_and_stats_are_byte_identical(faces, seeded):
    categories = orjson.loads(both(faces, "categories"))
    stats = orjson.loads(both(faces, "category_stats"))
    assert [c["slug"] for c in categories["items"]] == [c["slug"] for c in stats["items"]]
    assert sum(c["post_count"] for c in stats["items"]) == seeded["posts"]
    assert both(faces, "health") == Health(status="ok", database="ok").model_dump_json().encode()


def test_a_missing_post_is_the_same_404_on_both(faces, seeded):
    missing = seeded["missing_id"]
    for read, args in (("post", (missing,)), ("comments", (missing, PageQuery()))):
        error = both(faces, read, *args)
        assert isinstance(error, ApiError) and (error.status, error.args[0]) == (404, "post_not_found")
    assert both(faces, "post_alone", missing) is None
