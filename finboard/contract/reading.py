"""Unread and saved: a member's read state of a post, and the posts they bookmarked.

**Read state.** Opening a post records the highest comment id the member has seen
(``last_read_comment_id``; comment ids only grow). The post's *new comments* for that
member are its visible comments above that id written by someone else — one's own
comments are never news. A post never opened has no read state: nothing is "new" on it
(``last_read_comment_id`` null, ``unread_comments`` 0), as on Discourse, where only the
topics you have entered are tracked.

**Why not ``unread_comments`` in the listing items.** Listings are one cached document
per query for everyone, byte-identical across backends (``finboard.reads``); a per-member
field would split every cache entry per member. The forum applies the counts over the
shared page (one query for the page's posts), and an API client asks
``GET /posts/{id}/read`` per post it shows, or ``POST /posts/{id}/read`` when it shows one.

**Bookmarks** are listed newest-bookmarked first by keyset: the cursor is the bookmark's
(created_at, post id), encoded as a post listing's ``new`` cursor. A bookmark of a post
hidden by a moderator stays (it comes back with the post) but is not listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from finboard.contract.base import Input, Schema
from finboard.contract.limits import MAX_ID, PER_PAGE_DEFAULT, PER_PAGE_MAX
from finboard.contract.pagination import CURSOR_MAX_LENGTH, Cursor, CursorError
from finboard.contract.posts import PostPublic

BOOKMARK_SORT = "new"  # the cursor format: (created_at, id) descending


class BookmarkState(Schema):
    bookmarked: bool


class BookmarkedPost(Schema):
    bookmarked_at: datetime
    post: PostPublic


class BookmarkPage(Schema):
    items: list[BookmarkedPost] = Field(description="Newest bookmark first; posts hidden by a moderator are left out.")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class BookmarkQuery(Input):
    per_page: int = Field(PER_PAGE_DEFAULT, ge=1, le=PER_PAGE_MAX)
    cursor: Annotated[str, StringConstraints(max_length=CURSOR_MAX_LENGTH)] | None = Field(
        None, description="The next_cursor of the previous page."
    )

    @field_validator("cursor", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("cursor")
    @classmethod
    def _known_cursor(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                decoded = Cursor.decode(value)
            except CursorError as exc:
                raise ValueError("invalid cursor: use the next_cursor of a previous page") from exc
            if decoded.sort != BOOKMARK_SORT:
                raise ValueError("invalid cursor: use the next_cursor of a previous page")
        return value

    @property
    def after(self) -> tuple[datetime, int] | None:
        """(bookmarked_at, post_id) of the previous page's last row, or None for the first page."""
        if not self.cursor:
            return None
        decoded = Cursor.decode(self.cursor)
        return decoded.created_at, decoded.id


def bookmark_cursor(bookmarked_at: datetime, post_id: int) -> str:
    return Cursor.after(BOOKMARK_SORT, bookmarked_at, post_id).encode()


def bookmark_page(rows: list, per_page: int) -> BookmarkPage:
    """``rows``: up to ``per_page + 1`` (bookmarked_at, PostPublic) pairs, newest first."""
    shown = rows[:per_page]
    cursor = bookmark_cursor(*_key(shown[-1])) if len(rows) > per_page else None
    return BookmarkPage(
        items=[BookmarkedPost(bookmarked_at=at, post=post) for at, post in shown],
        next_cursor=cursor,
    )


def _key(row) -> tuple[datetime, int]:
    at, post = row
    return at, post.id


class ReadState(Schema):
    post_id: int
    last_read_comment_id: int | None = Field(
        description="The highest comment id seen when the member last opened the post; null if never."
    )
    unread_comments: int = Field(description="Visible comments above last_read_comment_id, by other members.")
    first_unread_comment_id: int | None = Field(description="The oldest of those, to jump to; null when none.")


def read_state(post_id: int, last_read: int | None, unread: int, first_unread: int | None) -> ReadState:
    return ReadState(
        post_id=post_id,
        last_read_comment_id=last_read,
        unread_comments=unread if last_read is not None else 0,
        first_unread_comment_id=first_unread if last_read is not None else None,
    )


class ReadStateList(Schema):
    items: list[ReadState] = Field(description="In the order asked, once each; missing and hidden posts left out.")


class ReadStateQuery(Input):
    post_ids: Annotated[str, StringConstraints(pattern=rf"^[0-9]{{1,10}}(,[0-9]{{1,10}}){{0,{PER_PAGE_MAX - 1}}}$")] = (
        Field(description=f"Up to {PER_PAGE_MAX} post ids, comma-separated (a page of a listing).")
    )

    @field_validator("post_ids")
    @classmethod
    def _real_ids(cls, value: str) -> str:
        if not all(0 < int(part) <= MAX_ID for part in value.split(",")):
            raise ValueError("post ids are positive 32-bit integers")
        return value

    @property
    def ids(self) -> list[int]:
        """The ids asked, in order, each once."""
        return list(dict.fromkeys(int(part) for part in self.post_ids.split(",")))
