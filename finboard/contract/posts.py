"""Posts: writing and editing one, reading one, listing and searching them, their edit history.

The list query (``PostListQuery``) holds the filter rules every backend applies
the same way: empty means absent, dates are UTC, a cursor belongs to its sort,
numbered pages stop at ``NUMBERED_ROWS_MAX``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator

from finboard.contract.base import Input, Schema
from finboard.contract.categories import CategoryRef
from finboard.contract.comments import CommentPublic
from finboard.contract.fields import (
    TICKER_PATTERN,
    PositionKind,
    PostBody,
    Sentiment,
    Slug,
    Ticker,
    TickerSentiment,
    Title,
)
from finboard.contract.limits import DETAIL_COMMENTS, MAX_POSITIONS, SEARCH_MAX, USERNAME_MAX
from finboard.contract.pagination import (
    CURSOR_MAX_LENGTH,
    EXACT_TOTAL_MAX,
    NUMBERED_ROWS_MAX,
    Cursor,
    CursorError,
    Page,
    PageQuery,
    numbered_page_too_deep,
)
from finboard.contract.reactions import TopPeriod
from finboard.contract.users import AuthorRef

# PostgreSQL's websearch_to_tsquery keeps its operators on a 32-deep stack: a
# run of more "-" (NOT) than that — spaces and ( ) ! & | < between them change
# nothing — is "tsquery stack too small", a 500. No real search negates twice.
SEARCH_NEGATIONS_MAX = 8
_NEGATION_RUN = re.compile(rf"-(?:[\s()!&|<]*-){{{SEARCH_NEGATIONS_MAX},}}")

SENTIMENTS_DESCRIPTION = (
    "The author's view per ticker (bullish, bearish or neutral); every ticker must be a cashtag of the post. "
    "A cashtag page counts only the views stated on its ticker."
)
LEGACY_SENTIMENT_DESCRIPTION = (
    "The post-level view of clients written before per-ticker views: sent without `sentiments`, it is "
    "that view on every cashtag of the post (null clears them); read, it is the common view of the "
    "per-ticker ones when they all agree, else null."
)
POSITIONS_DESCRIPTION = (
    "The author's disclosed position per ticker (long, short or none); every ticker must be a cashtag of the post."
)


class PostCreate(Input):
    title: Title
    body: PostBody
    category: Slug
    sentiment: Sentiment | None = Field(None, description=LEGACY_SENTIMENT_DESCRIPTION)
    positions: dict[Ticker, PositionKind] = Field(
        default_factory=dict, max_length=MAX_POSITIONS, description=POSITIONS_DESCRIPTION
    )
    sentiments: dict[Ticker, TickerSentiment] | None = Field(
        None, max_length=MAX_POSITIONS, description=SENTIMENTS_DESCRIPTION
    )


class PostUpdate(Input):
    """Fields left out stay as they are; ``sentiment: null`` clears the sentiment."""

    title: Title | None = None
    body: PostBody | None = None
    category: Slug | None = None
    sentiment: Sentiment | None = None
    positions: dict[Ticker, PositionKind] | None = Field(None, max_length=MAX_POSITIONS)
    sentiments: dict[Ticker, TickerSentiment] | None = Field(
        None, max_length=MAX_POSITIONS, description=SENTIMENTS_DESCRIPTION
    )

    @property
    def is_empty(self) -> bool:
        return not self.model_fields_set & {"title", "body", "category", "sentiment", "positions", "sentiments"}


class Position(Schema):
    ticker: str
    position: PositionKind


class TickerView(Schema):
    ticker: str
    sentiment: TickerSentiment


class PostPublic(Schema):
    id: int
    title: str
    body: str
    author: AuthorRef
    category: CategoryRef
    cashtags: list[str]
    comment_count: int
    created_at: datetime
    updated_at: datetime
    sentiment: Sentiment | None = Field(description=LEGACY_SENTIMENT_DESCRIPTION)
    positions: list[Position]
    sentiments: list[TickerView] = Field(description="The author's view per ticker, in the post's cashtag order.")
    pinned: bool = Field(description="Pinned by a moderator to the top of its category.")
    locked: bool = Field(description="Locked by a moderator: no new comments.")
    edit_count: int = Field(description="Times edited; the earlier versions are at /posts/{id}/revisions.")
    reaction_count: int = Field(description="Reactions of members (one per member); per kind at /posts/{id}/reactions.")


class PostDetail(PostPublic):
    comments: list[CommentPublic] = Field(description=f"The {DETAIL_COMMENTS} newest comments.")


class PostPage(Page):
    page: int | None = Field(description="The numbered page; null when the page was asked for by cursor.")
    total: int = Field(
        description=(
            "Matching posts. Exact from counter tables for all posts and for one category, author or "
            f"cashtag alone; other filters are counted up to {EXACT_TOTAL_MAX:,} rows, and beyond that "
            "total is that lower bound and total_exact is false."
        )
    )
    total_exact: bool
    next_cursor: str | None = Field(
        description="Pass as ?cursor= (with the same filters and sort) for the next page; null on the last page."
    )
    items: list[PostPublic]


SortOrder = Literal["new", "old", "comments", "hot", "top"]


class PostListQuery(PageQuery):
    """The filters of GET /api/v1/posts (and of the forum's /search page)."""

    search: Annotated[str, StringConstraints(strip_whitespace=True, max_length=SEARCH_MAX)] | None = None
    category: Slug | None = None
    author: Annotated[str, StringConstraints(max_length=USERNAME_MAX)] | None = None
    cashtag: Annotated[str, StringConstraints(pattern=TICKER_PATTERN)] | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: SortOrder = Field(
        "new",
        description=(
            "new, old, comments (most commented), hot (engagement decayed by age: finboard.contract.reactions) "
            "or top (most reactions within `period`)."
        ),
    )
    period: TopPeriod = Field(
        "all", description="sort=top only: posts created within the last day, week, month, or all of them."
    )
    cursor: Annotated[str, StringConstraints(max_length=CURSOR_MAX_LENGTH)] | None = Field(
        None,
        description=(
            "Keyset pagination: the next_cursor of the previous page. Costs the same at any depth; numbered "
            f"pages stop at row {NUMBERED_ROWS_MAX:,}."
        ),
    )

    @field_validator("cursor")
    @classmethod
    def _known_cursor(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                Cursor.decode(value)
            except CursorError as exc:
                raise ValueError("invalid cursor: use the next_cursor of a previous page") from exc
        return value

    @property
    def decoded_cursor(self) -> Cursor | None:
        return Cursor.decode(self.cursor) if self.cursor else None

    def problems(self) -> dict[str, str]:
        """Errors between fields, reported per field like pydantic's (the caller answers 422)."""
        if self.cursor:
            if self.page != 1:
                return {"cursor": "cursor and page can't be combined"}
            if self.decoded_cursor.sort != self.sort:
                return {"cursor": f"this cursor is for sort={self.decoded_cursor.sort}"}
        elif numbered_page_too_deep(self.page, self.per_page):
            return {"page": f"numbered pages stop at row {NUMBERED_ROWS_MAX:,}: follow next_cursor to go deeper"}
        return {}

    @field_validator("search", "category", "author", "cashtag", "cursor", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("search")
    @classmethod
    def _bounded_negations(cls, value: str | None) -> str | None:
        if value is not None and _NEGATION_RUN.search(value):
            raise ValueError(f"at most {SEARCH_NEGATIONS_MAX} '-' in a row")
        return value

    @field_validator("since", "until")
    @classmethod
    def _representable_in_utc(cls, value: datetime | None) -> datetime | None:
        """Naive means UTC; a moment that can't be expressed in UTC is invalid."""
        if value is None:
            return None
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("date is out of range") from exc


class Revision(Schema):
    """A post as it was before one edit, with who edited it and when."""

    id: int
    title: str
    body: str
    editor: AuthorRef
    created_at: datetime


class RevisionList(Schema):
    items: list[Revision] = Field(description="Newest edit first.")


class PinnedPosts(Schema):
    items: list[PostPublic]
