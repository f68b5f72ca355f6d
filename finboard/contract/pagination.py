"""Pages: the numbered-page envelope and query, keyset cursors, and the rules for totals.

Why: ``OFFSET n`` makes the database walk n rows, so page 5,000 of a million
posts costs 5,000 times page 1, and ``count(*)`` walks every matching row on
every request. FinBoard pages posts two ways, both bounded:

* numbered pages (``?page=N``) for shallow depths only — the first
  ``NUMBERED_ROWS_MAX`` rows; deeper asks get a 422 pointing at the cursor;
* a cursor (``?cursor=...``): every post page carries ``next_cursor``, the
  sort key of its last row, and the next page starts strictly after it
  (``WHERE (created_at, id) < (:t, :i)``), so any depth costs the same as the
  first page.

Totals never count a whole table either (``total_statement`` in each backend;
the search-alone SQL is ``finboard.rawsql.statements.search_total_sql``):

* ``EXACT``: counter tables kept by triggers answer the common listings — all
  posts, one category, one author, one cashtag;
* ``ESTIMATED``: a search alone, on PostgreSQL, takes the planner's estimate of
  its matches (``finboard_search_estimate``, migration 0003) and counts exactly
  only when that says there are at most ``SEARCH_EXACT_BELOW``;
* ``CAPPED``: any other combination is counted up to ``EXACT_TOTAL_MAX``.

Beyond exactness, ``total_exact`` is false: ``total`` is then an estimate or a
lower bound.

A cursor is opaque to clients: URL-safe base64 of ``<sort>.<fields>``, where
the fields are the sort key of the row (comment count, creation time in
microseconds since the epoch, id). It carries its sort so a cursor can't be
applied to a different ordering.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import Field

from finboard.contract.base import Input, Schema
from finboard.contract.limits import PAGE_MAX, PER_PAGE_DEFAULT, PER_PAGE_MAX

# Numbered pages reach this many rows deep; beyond it, the cursor.
NUMBERED_ROWS_MAX = 10_000
# Filter combinations without a counter table are counted up to this many rows.
EXACT_TOTAL_MAX = 10_000
# A search whose estimated matches are at most this many is counted exactly.
SEARCH_EXACT_BELOW = 1_000

# How a listing's total statement answers (its first row).
EXACT = "exact"  # (count,)
CAPPED = "capped"  # (count of at most EXACT_TOTAL_MAX + 1,)
ESTIMATED = "estimated"  # (estimate or exact count, whether it was counted)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CURSOR_MAX_LENGTH = 200
_SORT_CODES = {"new": "n", "old": "o", "comments": "c", "hot": "h", "top": "t"}
# Sorts led by a count before (created_at, id): the column behind the cursor's ``comment_count`` slot.
COUNTED_SORTS = {"comments": "comment_count", "hot": "hot_score", "top": "reaction_count"}
_SORTS = {code: sort for sort, code in _SORT_CODES.items()}


class CursorError(ValueError):
    """The cursor is not one this API issued (or not for this sort)."""


@dataclass(frozen=True)
class Cursor:
    """The sort key of the last row of a page: where the next page starts."""

    sort: str
    created_at: datetime
    id: int
    comment_count: int = 0

    def encode(self) -> str:
        micros = (self.created_at - EPOCH) // timedelta(microseconds=1)
        fields = [str(micros), str(self.id)]
        if self.sort in COUNTED_SORTS:
            fields.insert(0, str(self.comment_count))
        raw = f"{_SORT_CODES[self.sort]}.{'.'.join(fields)}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        if not token or len(token) > CURSOR_MAX_LENGTH or not token.isascii():
            raise CursorError("invalid cursor")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        except (binascii.Error, ValueError) as exc:
            raise CursorError("invalid cursor") from exc
        code, _, rest = raw.partition(".")
        sort = _SORTS.get(code)
        parts = rest.split(".")
        counted = sort in COUNTED_SORTS
        if sort is None or len(parts) != (3 if counted else 2):
            raise CursorError("invalid cursor")
        if not all(part.isdigit() and len(part) <= 19 for part in parts):
            raise CursorError("invalid cursor")
        numbers = [int(part) for part in parts]
        comment_count = numbers.pop(0) if counted else 0
        micros, ident = numbers
        try:
            created_at = EPOCH + timedelta(microseconds=micros)
        except OverflowError as exc:
            raise CursorError("invalid cursor") from exc
        if ident > 2**31 - 1 or comment_count > 2**31 - 1 or created_at.year > 9999:
            raise CursorError("invalid cursor")
        return cls(sort=sort, created_at=created_at, id=ident, comment_count=comment_count)

    @classmethod
    def after(cls, sort: str, created_at: datetime, ident: int, comment_count: int = 0) -> Cursor:
        """The cursor that continues after a row with these sort-key values."""
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        return cls(sort=sort, created_at=created_at.astimezone(UTC), id=ident, comment_count=comment_count)


def _sort_key(row, sort: str) -> tuple[datetime, int, int]:
    return row.created_at, row.id, getattr(row, COUNTED_SORTS.get(sort, "comment_count"))


def next_cursor(sort: str, rows: list, per_page: int, key=_sort_key) -> str | None:
    """The next page's cursor: the sort key of this page's last row, if a row follows it.

    Pages are read with ``LIMIT per_page + 1``; ``key(row, sort)`` gives a row's
    (created_at, id, count of the sort: ``COUNTED_SORTS``) — by default the attributes of an ORM row.
    """
    if len(rows) <= per_page:
        return None
    created_at, ident, comment_count = key(rows[per_page - 1], sort)
    return Cursor.after(sort, created_at, ident, comment_count).encode()


def numbered_page_too_deep(page: int, per_page: int) -> bool:
    return (page - 1) * per_page >= NUMBERED_ROWS_MAX


def capped_total(counted: int) -> tuple[int, bool]:
    """(total, exact) from a count of at most ``EXACT_TOTAL_MAX + 1`` rows."""
    if counted > EXACT_TOTAL_MAX:
        return EXACT_TOTAL_MAX, False
    return counted, True


def listing_total(kind: str, row) -> tuple[int, bool]:
    """(total, exact) from the first row of a total statement of this kind (None: no row)."""
    if row is None:
        return 0, True
    if kind == EXACT:
        return int(row[0] or 0), True
    if kind == CAPPED or row[1]:
        return capped_total(int(row[0]))
    return int(row[0]), False


class Page(Schema):
    """The envelope of every numbered page."""

    page: int
    per_page: int
    total: int
    pages: int

    @staticmethod
    def count_pages(total: int, per_page: int) -> int:
        return max(1, math.ceil(total / per_page)) if total else 0


class PageQuery(Input):
    page: int = Field(1, ge=1, le=PAGE_MAX)
    per_page: int = Field(PER_PAGE_DEFAULT, ge=1, le=PER_PAGE_MAX)


def page_fields(query, total: int) -> dict:
    """The numbered-page envelope (page, per_page, total, pages) of a query with ``page`` and ``per_page``."""
    return {
        "page": query.page,
        "per_page": query.per_page,
        "total": total,
        "pages": Page.count_pages(total, query.per_page),
    }


def page_slice(query) -> slice:
    """The rows of numbered page ``query.page`` within the whole ordered result (OFFSET to OFFSET + LIMIT).

    Django slices its querysets with it; SQLAlchemy takes ``.start`` as the OFFSET and
    ``query.per_page`` as the LIMIT.
    """
    start = (query.page - 1) * query.per_page
    return slice(start, start + query.per_page)
