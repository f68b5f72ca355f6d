"""Rows to the contract's JSON bytes with orjson — the same bytes pydantic writes.

The lean read path shared by the ``wsgi-raw`` ceiling and every adapter's
``DATA_LAYER=sql`` reads: the statements of ``finboard/rawsql/statements.py``
select the columns in the order read here, and these functions write the
response without building model objects. The conformance suite checks the
bytes against the pydantic-serialised answers of FastAPI and Django.

Keys come in the order of the ``finboard.contract`` models (``PostPage``:
page, per_page, total, pages, items; ``PostPublic``: id, title, body, author,
category, cashtags, comment_count, created_at, updated_at, sentiment, positions,
pinned, locked, edit_count; and so on). Datetimes
arrive timezone-aware in UTC (the pool's connections run with ``TimeZone=UTC``)
and ``OPT_UTC_Z`` writes them as pydantic v2 does: ``2023-05-01T12:00:00Z``, or
``2023-05-01T12:00:00.123456Z`` when there are microseconds. Both write compact
JSON, non-ASCII text as UTF-8 and control characters as the same escapes.
"""

from __future__ import annotations

import orjson

from finboard.contract.pagination import Page, listing_total, next_cursor
from finboard.contract.positions import parse_positions
from finboard.contract.posts import PostListQuery

OPTIONS = orjson.OPT_UTC_Z
_dumps = orjson.dumps
_pages = Page.count_pages


def dumps(document) -> bytes:
    return _dumps(document, option=OPTIONS)


def post(row) -> dict:
    """A ``sql.POST_COLUMNS`` row as ``PostPublic``."""
    cashtags = row.cashtags
    return {
        "id": row.id,
        "title": row.title,
        "body": row.body,
        "author": {"id": row.author_id, "username": row.author_username},
        "category": {"id": row.category_id, "slug": row.category_slug, "name": row.category_name},
        "cashtags": cashtags.split() if cashtags else [],
        "comment_count": row.comment_count,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "sentiment": row.sentiment,
        "positions": positions(row.positions),
        "pinned": bool(row.pinned),
        "locked": bool(row.locked),
        "edit_count": row.edit_count,
    }


def positions(stored: str) -> list[dict]:
    """``posts.positions`` ("AAPL:long BTC:none") as the contract's ``Position`` list."""
    return [{"ticker": ticker, "position": position} for ticker, position in parse_positions(stored)]


def comment(row) -> dict:
    """A ``sql._COMMENTS`` row as ``CommentPublic``."""
    return {
        "id": row.id,
        "post_id": row.post_id,
        "author": {"id": row.author_id, "username": row.author_username},
        "body": row.body,
        "created_at": row.created_at,
    }


def _page(items: list, page: int, per_page: int, total: int) -> bytes:
    """The pagination envelope, in the key order of finboard.contract.pagination.Page."""
    return _dumps(
        {"page": page, "per_page": per_page, "total": total, "pages": _pages(total, per_page), "items": items},
        option=OPTIONS,
    )


def _post_sort_key(row) -> tuple:
    return row.created_at, row.id, row.comment_count


def post_page(rows: list, query: PostListQuery, total_row, total_kind: str) -> bytes:
    """``finboard.contract.serializers.post_page``: up to per_page + 1 rows and the total statement's first row."""
    per_page = query.per_page
    total, exact = listing_total(total_kind, total_row)
    return _dumps(
        {
            "page": None if query.cursor else query.page,
            "per_page": per_page,
            "total": total,
            "pages": _pages(total, per_page),
            "total_exact": exact,
            "next_cursor": next_cursor(query.sort, rows, per_page, key=_post_sort_key),
            "items": [post(r) for r in rows[:per_page]],
        },
        option=OPTIONS,
    )


def post_detail(row, comments: list) -> bytes:
    document = post(row)
    document["comments"] = [comment(c) for c in comments]
    return _dumps(document, option=OPTIONS)


def comment_page(rows: list, page: int, per_page: int, total: int) -> bytes:
    return _page([comment(r) for r in rows], page, per_page, total)


def categories(rows: list) -> bytes:
    return _dumps(
        {"items": [{"id": r.id, "slug": r.slug, "name": r.name, "description": r.description} for r in rows]},
        option=OPTIONS,
    )


def category_stats(rows: list) -> bytes:
    return _dumps(
        {
            "items": [
                {
                    "id": r.id,
                    "slug": r.slug,
                    "name": r.name,
                    "post_count": r.post_count,
                    "comment_count": int(r.comment_count),
                    "author_count": r.author_count,
                    "newest_post_at": r.newest_post_at,
                }
                for r in rows
            ]
        },
        option=OPTIONS,
    )


HEALTH = dumps({"status": "ok", "database": "ok"})
