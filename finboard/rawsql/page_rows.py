"""The forum pages' rows: what a page shows of posts and comments, as compact cached documents.

Why not the API's JSON: a page that parsed the API's bytes back into pydantic models paid for
validation of every field of every post (and of fields no page shows) on every render. The
pages cache their own documents instead (in the same generation cache, under their own names,
so one write retires both): plain positional lists, read back with one ``orjson.loads``, whose
times already carry what a ``<time>`` tag needs (``stamp``). Both data layers write them —
``finboard.core.orm_reads`` from ORM objects (``post_of``), ``finboard.rawsql.reads`` from
the hand-written statements' tuples (``post_from_row``) — to the same bytes; the Flask side
(``finboard.posts.rows``) turns them into light objects. The API's documents are untouched.

``VERSION`` is in every cache key: a release that changes a row's shape reads other entries.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from finboard.contract.errors import ApiError
from finboard.contract.pagination import Page, PageQuery, listing_total, next_cursor
from finboard.contract.positions import parse_positions
from finboard.contract.posts import PostListQuery
from finboard.rawsql import plans
from finboard.rawsql import statements as sql

VERSION = "rows1"
EXACT_FORMAT = "%Y-%m-%d %H:%M UTC"  # finboard.relative_time.EXACT_FORMAT (rawsql imports no Flask side)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_dumps = orjson.dumps

# A post row: positions of its fields (finboard.posts.rows reads them by these names).
(ID, TITLE, BODY, AUTHOR_ID, AUTHOR_NAME, CATEGORY_ID, CATEGORY_SLUG, CATEGORY_NAME, CASHTAGS, COMMENTS) = range(10)
(CREATED, UPDATED, SENTIMENT, POSITIONS, SENTIMENTS, PINNED, LOCKED, EDITS, REACTIONS) = range(10, 19)
# A comment row.
(C_ID, C_POST_ID, C_PARENT_ID, C_AUTHOR_ID, C_AUTHOR_NAME, C_BODY, C_CREATED, C_REACTIONS, C_EDITS) = range(9)


def stamp(value: datetime) -> list:
    """A time as [epoch microseconds, ISO 8601, the exact UTC text, the date a reader says].

    What ``finboard.relative_time.time_tag`` computes from a datetime on every render, done once
    when the row is built; only "3 h ago" (it moves with the clock) is left for the render.
    """
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    exact, dated = value.strftime(EXACT_FORMAT), f"{value.day} {value:%b %Y}"
    return [(value - _EPOCH) // _MICROSECOND, value.isoformat(), exact, dated]


def _pairs(stored: str) -> list:
    return [list(pair) for pair in parse_positions(stored)]


def post_from_row(row) -> list:
    """A ``statements.POST_COLUMNS`` tuple as a page row."""
    p = sql.POST
    cashtags = row[p.cashtags]
    return [
        row[p.id],
        row[p.title],
        row[p.body],
        row[p.author_id],
        row[p.author_username],
        row[p.category_id],
        row[p.category_slug],
        row[p.category_name],
        cashtags.split() if cashtags else [],
        row[p.comment_count],
        stamp(row[p.created_at]),
        stamp(row[p.updated_at]),
        row[p.sentiment],
        _pairs(row[p.positions]),
        _pairs(row[p.sentiments]),
        bool(row[p.pinned]),
        bool(row[p.locked]),
        row[p.edit_count],
        row[p.reaction_count],
    ]


def post_of(post) -> list:
    """An ORM ``Post`` (author and category loaded) as a page row: the same list as ``post_from_row``."""
    return [
        post.id,
        post.title,
        post.body,
        post.author.id,
        post.author.username,
        post.category.id,
        post.category.slug,
        post.category.name,
        post.cashtags.split() if post.cashtags else [],
        post.comment_count,
        stamp(post.created_at),
        stamp(post.updated_at),
        post.sentiment,
        _pairs(post.positions),
        _pairs(post.sentiments),
        bool(post.pinned),
        bool(post.locked),
        post.edit_count,
        post.reaction_count,
    ]


def comment_from_row(row) -> list:
    m = sql.COMMENT
    return [
        row[m.id],
        row[m.post_id],
        row[m.parent_id],
        row[m.author_id],
        row[m.author_username],
        row[m.body],
        stamp(row[m.created_at]),
        row[m.reaction_count],
        row[m.edit_count] or 0,
    ]


def comment_of(comment) -> list:
    """An ORM ``Comment`` (author loaded) as a page row."""
    return [
        comment.id,
        comment.post_id,
        comment.parent_id,
        comment.author.id,
        comment.author.username,
        comment.body,
        stamp(comment.created_at),
        comment.reaction_count,
        comment.edit_count or 0,
    ]


def post_page(items: list, query: PostListQuery, total_row, total_kind: str, cursor: str | None) -> bytes:
    """A listing page: the envelope of ``PostPage`` (same total, pages and cursor) around page rows."""
    total, exact = listing_total(total_kind, total_row)
    return _dumps(
        {
            "page": None if query.cursor else query.page,
            "per_page": query.per_page,
            "total": total,
            "pages": Page.count_pages(total, query.per_page),
            "total_exact": exact,
            "next_cursor": cursor,
            "items": items,
        }
    )


def post_alone(item: list | None) -> bytes:
    """The post page's post; ``b""`` when there is none (cached too: a missing post is a miss once)."""
    return b"" if item is None else _dumps(item)


def comment_page(items: list, query: PageQuery, total: int) -> bytes:
    pages = Page.count_pages(total, query.per_page)
    return _dumps({"page": query.page, "per_page": query.per_page, "total": total, "pages": pages, "items": items})


# --- plans (finboard.rawsql.plans): the same statements, page rows out ------------------------

_SORT_COUNT = {"comments": sql.POST.comment_count, "hot": sql.POST.hot_score, "top": sql.POST.reaction_count}


def _sort_key(row, sort: str) -> tuple:
    """A statement row's (created_at, id, count of the sort), as ``documents`` reads it for the cursor."""
    p = sql.POST
    return row[p.created_at], row[p.id], row[_SORT_COUNT.get(sort, p.comment_count)]


def posts_plan(query: PostListQuery) -> Generator[Any, Any, bytes]:
    rows, total_row, total_kind = yield from plans.post_rows(query)
    per_page = query.per_page
    cursor = next_cursor(query.sort, rows, per_page, key=_sort_key)
    return post_page([post_from_row(r) for r in rows[:per_page]], query, total_row, total_kind, cursor)


def post_plan(post_id: int) -> Generator[Any, Any, bytes]:
    row = yield sql.POST_DETAIL, (post_id,), plans.FIRST_ROW
    return post_alone(None if row is None else post_from_row(row))


def comments_plan(post_id: int, query: PageQuery) -> Generator[Any, Any, bytes]:
    offset = (query.page - 1) * query.per_page
    rows = yield sql.COMMENT_PAGE, (post_id, query.per_page, offset), plans.ALL_ROWS
    count = yield sql.COMMENT_COUNT, (post_id,), plans.FIRST_ROW
    if count is None:
        raise ApiError(404, "post_not_found")
    return comment_page([comment_from_row(r) for r in rows], query, count[0])
