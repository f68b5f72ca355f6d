"""Rows to the contract's JSON bytes with orjson — the same bytes pydantic writes.

The lean read path shared by the ``wsgi-raw`` ceiling and every adapter's
``DATA_LAYER=sql`` reads: the statements of ``finboard/rawsql/statements.py``
select the columns in the order read here, and these functions write the
response without building model objects. The conformance suite checks the
bytes against the pydantic-serialised answers of FastAPI and Django.

Keys come in the order of the ``finboard.contract`` models (``PostPage``:
page, per_page, total, pages, items; ``PostPublic``: id, title, body, author,
category, cashtags, comment_count, created_at, updated_at, sentiment, positions,
sentiments, pinned, locked, edit_count, reaction_count; and so on). Datetimes
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
from finboard.contract.ticker_views import parse_sentiments
from finboard.rawsql import statements as sql

OPTIONS = orjson.OPT_UTC_Z
_dumps = orjson.dumps
_pages = Page.count_pages


def dumps(document) -> bytes:
    return _dumps(document, option=OPTIONS)


# Column positions by name (``statements.POST`` etc.), bound once: reading ``row[_TITLE]`` costs
# what ``row[1]`` does, and a column added or moved in statements.py moves its index with it.
_P, _M, _C, _S = sql.POST, sql.COMMENT, sql.CATEGORY, sql.CATEGORY_STAT
_ID, _TITLE, _BODY, _AUTHOR_ID, _AUTHOR_NAME = _P.id, _P.title, _P.body, _P.author_id, _P.author_username
_CAT_ID, _CAT_SLUG, _CAT_NAME, _CASHTAGS = _P.category_id, _P.category_slug, _P.category_name, _P.cashtags
_COMMENTS, _CREATED, _UPDATED, _SENTIMENT = _P.comment_count, _P.created_at, _P.updated_at, _P.sentiment
_POSITIONS, _PINNED, _LOCKED, _EDITS = _P.positions, _P.pinned, _P.locked, _P.edit_count
_REACTIONS, _HOT = _P.reaction_count, _P.hot_score
_SORT_COUNT = {"comments": _COMMENTS, "hot": _HOT, "top": _REACTIONS}
_SENTIMENTS = _P.sentiments


def post(row) -> dict:
    """A ``sql.POST_COLUMNS`` row as ``PostPublic``."""
    cashtags = row[_CASHTAGS]
    return {
        "id": row[_ID],
        "title": row[_TITLE],
        "body": row[_BODY],
        "author": {"id": row[_AUTHOR_ID], "username": row[_AUTHOR_NAME]},
        "category": {"id": row[_CAT_ID], "slug": row[_CAT_SLUG], "name": row[_CAT_NAME]},
        "cashtags": cashtags.split() if cashtags else [],
        "comment_count": row[_COMMENTS],
        "created_at": row[_CREATED],
        "updated_at": row[_UPDATED],
        "sentiment": row[_SENTIMENT],
        "positions": positions(row[_POSITIONS]),
        "sentiments": ticker_views(row[_SENTIMENTS]),
        "pinned": bool(row[_PINNED]),
        "locked": bool(row[_LOCKED]),
        "edit_count": row[_EDITS],
        "reaction_count": row[_REACTIONS],
    }


def positions(stored: str) -> list[dict]:
    """``posts.positions`` ("AAPL:long BTC:none") as the contract's ``Position`` list."""
    return [{"ticker": ticker, "position": position} for ticker, position in parse_positions(stored)]


def ticker_views(stored: str) -> list[dict]:
    """``posts.sentiments`` ("NVDA:bullish AMD:neutral") as the contract's ``TickerView`` list."""
    return [{"ticker": ticker, "sentiment": view} for ticker, view in parse_sentiments(stored)]


def comment(row) -> dict:
    """A ``sql._COMMENTS`` row as ``CommentPublic``."""
    return {
        "id": row[_M.id],
        "post_id": row[_M.post_id],
        "parent_id": row[_M.parent_id],
        "author": {"id": row[_M.author_id], "username": row[_M.author_username]},
        "body": row[_M.body],
        "created_at": row[_M.created_at],
        "reaction_count": row[_M.reaction_count],
        "edit_count": row[_M.edit_count],
    }


def _page(items: list, page: int, per_page: int, total: int) -> bytes:
    """The pagination envelope, in the key order of finboard.contract.pagination.Page."""
    return _dumps(
        {"page": page, "per_page": per_page, "total": total, "pages": _pages(total, per_page), "items": items},
        option=OPTIONS,
    )


def _post_sort_key(row, sort: str) -> tuple:
    return row[_CREATED], row[_ID], row[_SORT_COUNT.get(sort, _COMMENTS)]


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
        {
            "items": [
                {"id": r[_C.id], "slug": r[_C.slug], "name": r[_C.name], "description": r[_C.description]} for r in rows
            ]
        },
        option=OPTIONS,
    )


def category_stats(rows: list) -> bytes:
    return _dumps(
        {
            "items": [
                {
                    "id": r[_S.id],
                    "slug": r[_S.slug],
                    "name": r[_S.name],
                    "post_count": r[_S.post_count],
                    "comment_count": int(r[_S.comment_count]),
                    "author_count": r[_S.author_count],
                    "newest_post_at": r[_S.newest_post_at],
                }
                for r in rows
            ]
        },
        option=OPTIONS,
    )


HEALTH = dumps({"status": "ok", "database": "ok"})
