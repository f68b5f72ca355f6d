"""Notifications and watches: the schemas, and who is told of a new post or comment.

The recipient rules are pure (ids in, recipients out), so every backend
numbers and kinds the notification rows alike; reading the ids (mentioned
users, watchers, followers) is each backend's persistence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from finboard.contract.base import Input, Schema
from finboard.contract.errors import ApiError
from finboard.contract.limits import WATCHLIST_MAX
from finboard.contract.pagination import Page
from finboard.contract.users import AuthorRef

NotificationKind = Literal["mention", "reply", "comment", "new_post", "ticker"]


class NotificationPublic(Schema):
    """``mention``: you were @mentioned; ``reply``: a comment on your post; ``comment``: on a post you watch;
    ``new_post``: in a category you watch; ``ticker``: on a ticker of your watchlist."""

    id: int
    kind: NotificationKind
    actor: AuthorRef
    post_id: int
    post_title: str | None = Field(description="Null while a moderator has the post hidden.")
    comment_id: int | None
    ticker: str | None
    created_at: datetime
    read: bool


class NotificationPage(Page):
    unread: int
    items: list[NotificationPublic]


class NotificationQuery(Input):
    unread: bool = False
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


class MarkRead(Input):
    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None = Field(
        None, max_length=100, description="Mark these notifications read; leave out to mark all."
    )


class UnreadCount(Schema):
    unread: int


class Watchlist(Schema):
    tickers: list[str] = Field(description="Followed tickers, alphabetical.")


def check_watchlist_room(count: int) -> None:
    """422 for following a new ticker on a watchlist of ``count`` tickers that is full."""
    if count >= WATCHLIST_MAX:
        raise ApiError(422, "invalid", {"ticker": f"A watchlist holds at most {WATCHLIST_MAX} tickers."})


class WatchState(Schema):
    watching: bool


# --- who is told ----------------------------------------------------------------------

Recipient = tuple[int, str, str | None]  # (user id, kind, ticker)


def _ranked(author_id: int, *groups: tuple[str, list[tuple[int, str | None]]]) -> list[Recipient]:
    """One notification per user: the first group that names them decides the kind; never the author.

    Each group is (kind, [(user id, ticker)]). In user id order, so every backend numbers the rows alike.
    """
    chosen: dict[int, tuple[str, str | None]] = {}
    for kind, entries in groups:
        for user_id, ticker in entries:
            chosen.setdefault(user_id, (kind, ticker))
    chosen.pop(author_id, None)
    return [(user_id, kind, ticker) for user_id, (kind, ticker) in sorted(chosen.items())]


def _users(ids: list[int]) -> list[tuple[int, None]]:
    return [(user_id, None) for user_id in ids]


def new_post_recipients(
    author_id: int,
    mentioned: list[int],
    category_watchers: list[int],
    ticker_follows: list[tuple[int, str]],
    tickers: list[str],
) -> list[Recipient]:
    """Mentions first, then watchers of the category, then followers of its tickers (the post's first
    ticker a user follows is the one named)."""
    order = {ticker: i for i, ticker in enumerate(tickers)}
    follows = sorted(ticker_follows, key=lambda row: (order[row[1]], row[0]))
    return _ranked(
        author_id, ("mention", _users(mentioned)), ("new_post", _users(category_watchers)), ("ticker", follows)
    )


def new_comment_recipients(
    author_id: int, mentioned: list[int], post_author_id: int, post_watchers: list[int]
) -> list[Recipient]:
    """Mentions first, then the post's author (a reply), then the post's watchers."""
    return _ranked(
        author_id,
        ("mention", _users(mentioned)),
        ("reply", _users([post_author_id])),
        ("comment", _users(post_watchers)),
    )
