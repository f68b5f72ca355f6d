"""The filters of a post listing, resolved once for every data layer.

What the user asked for (``PostListQuery``), normalised the way every backend
and both data layers apply it: blank search dropped, ticker upper-cased, times
made aware in UTC. Pure, so the SQLAlchemy statements (``finboard.core.read_statements``),
the hand-written SQL (``finboard.rawsql``) and Django's querysets all start from
the same values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from finboard.contract.cashtags import normalize_ticker
from finboard.contract.posts import PostListQuery


@dataclass(frozen=True)
class PostFilters:
    """Resolved filters: what the user asked for, normalised for SQL."""

    search: str | None = None
    category: str | None = None
    author: str | None = None
    cashtag: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: str = "new"

    @classmethod
    def from_query(cls, query: PostListQuery) -> PostFilters:
        return cls(
            search=query.search or None,
            category=query.category,
            author=query.author,
            cashtag=normalize_ticker(query.cashtag) if query.cashtag else None,
            since=_aware(query.since),
            until=_aware(query.until),
            sort=query.sort,
        )


def given_filters(filters: PostFilters) -> set[str]:
    return {name for name in ("search", "category", "author", "cashtag", "since", "until") if getattr(filters, name)}


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_FTS_TOKEN = re.compile(r"\w+", re.UNICODE)


def sqlite_fts_query(search: str) -> str | None:
    """User text as a safe FTS5 query: every word quoted, all required."""
    words = _FTS_TOKEN.findall(search)[:32]
    return " ".join(f'"{word}"' for word in words) or None
