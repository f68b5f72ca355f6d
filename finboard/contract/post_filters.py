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
from finboard.contract.errors import ApiError
from finboard.contract.posts import PostListQuery
from finboard.contract.reactions import top_since
from finboard.contract.search_synonyms import sqlite_synonym


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
    # sort=top within a period: posts created from this moment (finboard.contract.reactions.top_since).
    top_since: datetime | None = None

    @classmethod
    def from_query(cls, query: PostListQuery, now: datetime | None = None) -> PostFilters:
        window = top_since(query.period, now or datetime.now(UTC)) if query.sort == "top" else None
        return cls(
            search=query.search or None,
            category=query.category,
            author=query.author,
            cashtag=normalize_ticker(query.cashtag) if query.cashtag else None,
            since=_aware(query.since),
            until=_aware(query.until),
            sort=query.sort,
            top_since=window,
        )


# A filter that names a category or a member names something that must exist: the page of an
# unknown category or member is a 404, so the API's listing filtered by one is the same 404
# (a body field naming a missing category is a 422: the request itself is invalid). A ticker
# needs no row to exist, so an unknown one is an empty listing on both. Checked only when the
# page comes back empty, so a listing that finds posts pays nothing for it.
NAMED_TARGET_ERRORS = {"category": "category_not_found", "author": "user_not_found"}


def named_targets(filters: PostFilters) -> list[tuple[str, str]]:
    """(kind, value to look up) of each filter that names a category or a member, in that order;
    the member's name lower-cased as the listing compares it."""
    targets = [("category", filters.category)] if filters.category else []
    return targets + ([("author", filters.author.lower())] if filters.author else [])


def missing_target(kind: str) -> ApiError:
    return ApiError(404, NAMED_TARGET_ERRORS[kind])


def given_filters(filters: PostFilters) -> set[str]:
    names = ("search", "category", "author", "cashtag", "since", "until", "top_since")
    return {name for name in names if getattr(filters, name)}


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_FTS_TOKEN = re.compile(r"\w+", re.UNICODE)


def sqlite_fts_query(search: str) -> str | None:
    """User text as a safe FTS5 query: every word quoted, all required; a common name of a ticker
    also matches its cashtag (``finboard.contract.search_synonyms``)."""
    words = _FTS_TOKEN.findall(search)[:32]
    # Explicit AND: FTS5's implicit AND does not join a parenthesised group.
    return " AND ".join(sqlite_synonym(word) for word in words) or None
