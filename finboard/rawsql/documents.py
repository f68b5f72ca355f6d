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

from collections.abc import Sequence

import orjson

from finboard.contract.pagination import Page, listing_total, next_cursor
from finboard.contract.positions import parse_positions
from finboard.contract.posts import PostListQuery

OPTIONS = orjson.OPT_UTC_Z
_dumps = orjson.dumps
_pages = Page.count_pages


def dumps(document) -> bytes:
    return _dumps(document, option=OPTIONS)


def post(row: Sequence) -> dict:
    """A ``sql.POST_COLUMNS`` row as ``PostPublic``."""
    cashtags = row[8]
    return {
        "id": row[0],
        "title": row[1],
        "body": row[2],
        "author": {"id": row[3], "username": row[4]},
        "category": {"id": row[5], "slug": row[6], "name": row[7]},
        "cashtags": cashtags.split() if cashtags else [],
        "comment_count": row[9],
        "created_at": row[10],
        "updated_at": row[11],
        "sentiment": row[12],
        "positions": positions(row[13]),
        "pinned": bool(row[14]),
        "locked": bool(row[15]),
        "edit_count": row[16],
    }


def positions(stored: str) -> list[dict]:
    """``posts.positions`` ("AAPL:long BTC:none") as the contract's ``Position`` list."""
    return [{"ticker": ticker, "position": position} for ticker, position in parse_positions(stored)]


def comment(row: Sequence) -> dict:
    """A comment row (id, post_id, author id, author username, body, created_at) as ``CommentPublic``."""
    return {
        "id": row[0],
        "post_id": row[1],
        "author": {"id": row[2], "username": row[3]},
        "body": row[4],
        "created_at": row[5],
    }


def _page(items: list, page: int, per_page: int, total: int) -> bytes:
    """The pagination envelope, in the key order of finboard.contract.pagination.Page."""
    return _dumps(
        {"page": page, "per_page": per_page, "total": total, "pages": _pages(total, per_page), "items": items},
        option=OPTIONS,
    )


def _post_sort_key(row: Sequence) -> tuple:
    return row[10], row[0], row[9]


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


def post_detail(row: Sequence, comments: list) -> bytes:
    document = post(row)
    document["comments"] = [comment(c) for c in comments]
    return _dumps(document, option=OPTIONS)


def comment_page(rows: list, page: int, per_page: int, total: int) -> bytes:
    return _page([comment(r) for r in rows], page, per_page, total)


def categories(rows: list) -> bytes:
    return _dumps(
        {"items": [{"id": r[0], "slug": r[1], "name": r[2], "description": r[3]} for r in rows]},
        option=OPTIONS,
    )


def category_stats(rows: list) -> bytes:
    return _dumps(
        {
            "items": [
                {
                    "id": r[0],
                    "slug": r[1],
                    "name": r[2],
                    "post_count": r[3],
                    "comment_count": int(r[4]),
                    "author_count": r[5],
                    "newest_post_at": r[6],
                }
                for r in rows
            ]
        },
        option=OPTIONS,
    )


HEALTH = dumps({"status": "ok", "database": "ok"})
