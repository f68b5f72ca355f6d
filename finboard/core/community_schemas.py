"""The /api/v1 contract of the community and market features.

Profiles, edit history, reports, moderation, notifications, watches, the
watchlist and cashtag statistics: request and response models shared by every
backend, like ``finboard.core.schemas`` (whose ``Schema`` base, pages and refs
they reuse), and listed in the same OpenAPI document.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from finboard.core.models import BIO_MAX, REASON_MAX, ROLES
from finboard.core.schemas import AuthorRef, Input, Page, PostPublic, Schema

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=REASON_MAX)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=REASON_MAX)]
Bio = Annotated[str, StringConstraints(max_length=BIO_MAX)]
Role = Literal["member", "moderator", "admin"]
SUSPENSION_DAYS_MAX = 3650

assert set(ROLES) == {"member", "moderator", "admin"}  # noqa: S101 - the Literal must follow the model

# --- profiles -----------------------------------------------------------------


class UserProfile(Schema):
    id: int
    username: str
    role: Role
    bio: str
    created_at: datetime
    post_count: int
    comment_count: int
    suspended_until: datetime | None = Field(description="Set while the user may read but not write.")


class ProfileUpdate(Input):
    bio: Bio


# --- edit history -----------------------------------------------------------------


class Revision(Schema):
    """A post as it was before one edit, with who edited it and when."""

    id: int
    title: str
    body: str
    editor: AuthorRef
    created_at: datetime


class RevisionList(Schema):
    items: list[Revision] = Field(description="Newest edit first.")


# --- reports and moderation ---------------------------------------------------------


class ReportCreate(Input):
    post_id: int = Field(ge=1, le=2**31 - 1)
    comment_id: int | None = Field(None, ge=1, le=2**31 - 1, description="Report this comment of the post instead.")
    reason: Reason


class TargetRef(Schema):
    """What a report is about: a post, or one of its comments, as it was when reported.

    ``title``, ``excerpt`` and ``author`` come from the report's snapshot, so they outlive an
    edit or a delete; a deleted subject has ``deleted: true`` and null ids."""

    type: Literal["post", "comment"]
    post_id: int | None
    comment_id: int | None
    title: str
    excerpt: str
    author: AuthorRef | None
    hidden: bool
    deleted: bool


class ReportPublic(Schema):
    id: int
    reporter: AuthorRef
    target: TargetRef
    reason: str
    status: Literal["open", "resolved"]
    resolution: str
    resolved_by: AuthorRef | None
    resolved_at: datetime | None
    created_at: datetime


class ReportPage(Page):
    items: list[ReportPublic]


class ReportQuery(Input):
    status: Literal["open", "resolved"] = "open"
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


class ReportResolve(Input):
    resolution: Note = ""


PostAction = Literal["hide", "restore", "lock", "unlock", "pin", "unpin", "delete"]
CommentAction = Literal["hide", "restore", "delete"]
UserAction = Literal["suspend", "unsuspend"]


class PostModeration(Input):
    action: PostAction
    reason: Reason


class CommentModeration(Input):
    action: CommentAction
    reason: Reason


class UserModeration(Input):
    action: UserAction
    reason: Reason
    days: int | None = Field(None, ge=1, le=SUSPENSION_DAYS_MAX, description="Required to suspend.")

    @model_validator(mode="after")
    def _days_with_suspend(self):
        if self.action == "suspend" and self.days is None:
            raise ValueError("days is required to suspend")
        if self.action == "unsuspend" and self.days is not None:
            raise ValueError("days is only for suspend")
        return self


class ModerationActionPublic(Schema):
    id: int
    moderator: AuthorRef | None
    action: str
    target_type: Literal["post", "comment", "user", "report"]
    target_id: int
    summary: str
    reason: str
    created_at: datetime


class ModerationActionPage(Page):
    items: list[ModerationActionPublic]


# --- notifications, watches, watchlist -----------------------------------------------

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


class WatchState(Schema):
    watching: bool


# --- market features ---------------------------------------------------------------


class DayCount(Schema):
    day: date
    posts: int


class SentimentSplit(Schema):
    bullish: int
    bearish: int


class CashtagStats(Schema):
    ticker: str
    post_count: int
    followers: int
    daily: list[DayCount] = Field(description="Posts per UTC day, the last 30 days, oldest first, today last.")
    sentiment_7d: SentimentSplit
    sentiment_30d: SentimentSplit


class PinnedPosts(Schema):
    items: list[PostPublic]
