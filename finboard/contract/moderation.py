"""Reports and moderation: filing and resolving a report, moderating a post, comment or user, the log.

What each moderation action does to the data, and its answer when repeated,
is the TRANSITIONS table (``finboard.contract.transitions``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from finboard.contract.base import Input, Schema
from finboard.contract.fields import Note, Reason
from finboard.contract.limits import SUMMARY_MAX, SUSPENSION_DAYS_MAX
from finboard.contract.pagination import Page
from finboard.contract.users import AuthorRef


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


def log_entry(
    moderator_id: int, action: str, target_type: str, target_id: int, summary: str, reason: str, now: datetime
) -> dict:
    """A moderation log row's columns; the summary is cut to the column's ``SUMMARY_MAX``."""
    return {
        "moderator_id": moderator_id,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "summary": summary[:SUMMARY_MAX],
        "reason": reason,
        "created_at": now,
    }
