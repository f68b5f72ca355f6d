"""The /api/v1 contract: request and response schemas shared by every backend.

Every backend validates requests with these models and serialises responses
through them (``model_dump_json``), which is what makes the three APIs answer
byte-for-byte the same JSON. The OpenAPI document is generated from them too
(``finboard.core.openapi``).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)

from finboard.core.models import (
    COMMENT_BODY_MAX,
    EMAIL_MAX,
    POST_BODY_MAX,
    SLUG_MAX,
    TITLE_MAX,
    USERNAME_MAX,
)
from finboard.core.pagination import (
    CURSOR_MAX_LENGTH,
    EXACT_TOTAL_MAX,
    NUMBERED_ROWS_MAX,
    Cursor,
    CursorError,
    numbered_page_too_deep,
)
from finboard.core.text import normalize_ticker

PER_PAGE_DEFAULT = 20
PER_PAGE_MAX = 100
PAGE_MAX = 10_000
SEARCH_MAX = 200
# PostgreSQL's websearch_to_tsquery keeps its operators on a 32-deep stack: a
# run of more "-" (NOT) than that — spaces and ( ) ! & | < between them change
# nothing — is "tsquery stack too small", a 500. No real search negates twice.
SEARCH_NEGATIONS_MAX = 8
_NEGATION_RUN = re.compile(rf"-(?:[\s()!&|<]*-){{{SEARCH_NEGATIONS_MAX},}}")
PASSWORD_MIN = 8
PASSWORD_MAX = 128
DETAIL_COMMENTS = 20

USERNAME_PATTERN = r"^[A-Za-z0-9_]{3,32}$"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN, max_length=USERNAME_MAX)]
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=TITLE_MAX)]
PostBody = Annotated[str, StringConstraints(min_length=1, max_length=POST_BODY_MAX), AfterValidator(_not_blank)]
CommentBody = Annotated[str, StringConstraints(min_length=1, max_length=COMMENT_BODY_MAX), AfterValidator(_not_blank)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", max_length=SLUG_MAX)]
TICKER_PATTERN = r"^\$?[A-Za-z][A-Za-z0-9]{0,5}(\.[A-Za-z]{1,2})?$"
MAX_POSITIONS = 20

Sentiment = Literal["bullish", "bearish"]
PositionKind = Literal["long", "short", "none"]


def _ticker(value: str) -> str:
    """"$aapl" → "AAPL" (the pattern already refused what is not a ticker)."""
    return normalize_ticker(value) or value


Ticker = Annotated[str, StringConstraints(pattern=TICKER_PATTERN), AfterValidator(_ticker)]


class Schema(BaseModel):
    """Strict about unknown fields so typos are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)


class Input(Schema):
    """What a client sends (bodies and query strings): text with NUL is refused.

    Only on input: responses, and the forum's parsing of cached responses, skip the
    per-field check (it ran on every field of every post a page showed).
    """

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL: refuse it as invalid input (422)
        # instead of letting the database raise mid-request.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


# --- errors -----------------------------------------------------------------


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, str] = Field(default_factory=dict)


class Error(Schema):
    error: ErrorBody


# --- users and auth ---------------------------------------------------------


class UserCreate(Input):
    username: Username
    email: Annotated[EmailStr, StringConstraints(max_length=EMAIL_MAX)]
    password: Password


class UserPublic(Schema):
    id: int
    username: str
    created_at: datetime


class LoginRequest(Input):
    username: Annotated[str, StringConstraints(min_length=1, max_length=EMAIL_MAX)] = Field(
        description="A username or an email address."
    )
    password: Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX)]


class Token(Schema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int


# --- categories -------------------------------------------------------------


class CategoryRef(Schema):
    id: int
    slug: str
    name: str


class CategoryPublic(CategoryRef):
    description: str


class CategoryList(Schema):
    items: list[CategoryPublic]


class CategoryStats(CategoryRef):
    post_count: int
    comment_count: int
    author_count: int
    newest_post_at: datetime | None


class CategoryStatsList(Schema):
    items: list[CategoryStats]


# --- posts and comments -----------------------------------------------------


class AuthorRef(Schema):
    id: int
    username: str


POSITIONS_DESCRIPTION = (
    "The author's disclosed position per ticker (long, short or none); every ticker must be a cashtag of the post."
)


class PostCreate(Input):
    title: Title
    body: PostBody
    category: Slug
    sentiment: Sentiment | None = Field(None, description="The author's view: bullish or bearish.")
    positions: dict[Ticker, PositionKind] = Field(
        default_factory=dict, max_length=MAX_POSITIONS, description=POSITIONS_DESCRIPTION
    )


class PostUpdate(Input):
    """Fields left out stay as they are; ``sentiment: null`` clears the sentiment."""

    title: Title | None = None
    body: PostBody | None = None
    category: Slug | None = None
    sentiment: Sentiment | None = None
    positions: dict[Ticker, PositionKind] | None = Field(None, max_length=MAX_POSITIONS)

    @property
    def is_empty(self) -> bool:
        return not self.model_fields_set & {"title", "body", "category", "sentiment", "positions"}


class Position(Schema):
    ticker: str
    position: PositionKind


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
    sentiment: Sentiment | None
    positions: list[Position]
    pinned: bool = Field(description="Pinned by a moderator to the top of its category.")
    locked: bool = Field(description="Locked by a moderator: no new comments.")
    edit_count: int = Field(description="Times edited; the earlier versions are at /posts/{id}/revisions.")


class CommentCreate(Input):
    body: CommentBody


class CommentPublic(Schema):
    id: int
    post_id: int
    author: AuthorRef
    body: str
    created_at: datetime


class PostDetail(PostPublic):
    comments: list[CommentPublic] = Field(description=f"The {DETAIL_COMMENTS} newest comments.")


class Page(Schema):
    page: int
    per_page: int
    total: int
    pages: int

    @staticmethod
    def count_pages(total: int, per_page: int) -> int:
        return max(1, math.ceil(total / per_page)) if total else 0


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


class CommentPage(Page):
    items: list[CommentPublic]


class Health(Schema):
    status: Literal["ok"]
    database: Literal["ok"]


# --- query parameters -------------------------------------------------------

SortOrder = Literal["new", "old", "comments"]


class PageQuery(Input):
    page: int = Field(1, ge=1, le=PAGE_MAX)
    per_page: int = Field(PER_PAGE_DEFAULT, ge=1, le=PER_PAGE_MAX)


class PostListQuery(PageQuery):
    """The filters of GET /api/v1/posts (and of the forum's /search page)."""

    search: Annotated[str, StringConstraints(strip_whitespace=True, max_length=SEARCH_MAX)] | None = None
    category: Slug | None = None
    author: Annotated[str, StringConstraints(max_length=USERNAME_MAX)] | None = None
    cashtag: Annotated[str, StringConstraints(pattern=TICKER_PATTERN)] | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: SortOrder = "new"
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


def first_error_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    """pydantic's error list as {field: message}, the shape of ``Error.fields``."""
    fields: dict[str, str] = {}
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query")]
        name = ".".join(loc) or "body"
        message = err.get("msg", "invalid value").removeprefix("Value error, ")
        fields.setdefault(name, message)
    return fields
