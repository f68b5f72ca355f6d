"""Notifications and watches: the schemas, and who is told of a new post or comment.

Who is told is data: each event's audiences in precedence order
(``NEW_POST_AUDIENCES``, ``NEW_COMMENT_AUDIENCES``), which every persistence
path reads, and a pure reference (ids in, recipients out) the tests hold the
set-based fan-out to.
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

NotificationKind = Literal["mention", "reply", "comment", "new_post", "ticker", "comment_reply"]
NOTIFICATION_KINDS: tuple[str, ...] = ("mention", "reply", "comment", "new_post", "ticker", "comment_reply")
# How a member wants a kind delivered: in the app only, also by e-mail at once, in a daily or
# weekly digest, or not at all ("off" stops the in-app notification too).
Delivery = Literal["in_app", "email", "daily", "weekly", "off"]
DEFAULT_DELIVERY = "in_app"


class NotificationPublic(Schema):
    """``mention``: you were @mentioned; ``reply``: a comment on your post; ``comment``: on a post you watch;
    ``new_post``: in a category you watch; ``ticker``: on a ticker of your watchlist;
    ``comment_reply``: a reply to your comment."""

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
#
# Each event has audiences in precedence order: a member in several audiences is told once, with the
# kind of the first audience that names them, and the author is never told. The persistence paths
# (finboard.rawsql.fanout's set-based INSERT ... SELECT, one per audience, in this order, each skipping
# whoever already has the event's notification) and the pure reference below read the same tuples.

NEW_POST_AUDIENCES: tuple[NotificationKind, ...] = ("mention", "new_post", "ticker")
"""Mentions first, then watchers of the category, then followers of its tickers (the post's first
ticker a member follows is the one named)."""

NEW_COMMENT_AUDIENCES: tuple[NotificationKind, ...] = ("mention", "comment_reply", "reply", "comment")
"""Mentions first, then the author of the comment it replies to (``comment_reply``, the more specific
news for a post's author replied to in their own thread), then the post's author (a reply), then
the post's watchers."""

Recipient = tuple[int, str, str | None]  # (user id, kind, ticker)


def _ranked(author_id: int, audiences: tuple[str, ...], members: dict[str, list[tuple[int, str | None]]]):
    """One notification per user: the first audience that names them decides the kind; never the author.

    ``members`` maps each audience to its [(user id, ticker)] in its own precedence. In user id order.
    """
    chosen: dict[int, tuple[str, str | None]] = {}
    for kind in audiences:
        for user_id, ticker in members[kind]:
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
    """Who a new post tells, and how (the pure reference of the set-based fan-out; tests compare them)."""
    order = {ticker: i for i, ticker in enumerate(tickers)}
    follows = sorted(ticker_follows, key=lambda row: (order[row[1]], row[0]))
    members = {"mention": _users(mentioned), "new_post": _users(category_watchers), "ticker": follows}
    return _ranked(author_id, NEW_POST_AUDIENCES, members)


def new_comment_recipients(
    author_id: int,
    mentioned: list[int],
    post_author_id: int,
    post_watchers: list[int],
    parent_author_id: int | None = None,
) -> list[Recipient]:
    """Who a new comment (a reply to ``parent_author_id``'s comment) tells, and how (the pure reference
    of the set-based fan-out)."""
    members = {
        "mention": _users(mentioned),
        "comment_reply": _users([parent_author_id] if parent_author_id is not None else []),
        "reply": _users([post_author_id]),
        "comment": _users(post_watchers),
    }
    return _ranked(author_id, NEW_COMMENT_AUDIENCES, members)


class NotificationPreferences(Schema):
    """Every kind with its delivery, in ``NOTIFICATION_KINDS`` order (unset kinds: ``in_app``)."""

    preferences: dict[NotificationKind, Delivery]


class NotificationPreferencesUpdate(Input):
    preferences: dict[NotificationKind, Delivery] = Field(
        description="The kinds to change; kinds left out keep their delivery."
    )


def preferences_public(stored: dict[str, str]) -> NotificationPreferences:
    """The stored rows (kind → delivery, defaults absent) as the full, ordered answer."""
    return NotificationPreferences(preferences={k: stored.get(k, DEFAULT_DELIVERY) for k in NOTIFICATION_KINDS})
