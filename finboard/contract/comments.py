"""Comments: writing one (or a reply to one), editing it, its history, and a page of a post's comments."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from finboard.contract.base import Input, Schema
from finboard.contract.errors import ApiError
from finboard.contract.fields import CommentBody
from finboard.contract.pagination import Page
from finboard.contract.users import AuthorRef

REPLY_PARENT_GONE = "The comment you are replying to was deleted or hidden."
REPLY_OTHER_POST = "You can only reply to a comment on the same post."


class CommentCreate(Input):
    body: CommentBody
    parent_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="Reply to this comment (a visible comment of the same post)."
    )


class CommentUpdate(Input):
    body: CommentBody


class CommentPublic(Schema):
    id: int
    post_id: int
    parent_id: int | None = Field(description="The comment this one replies to; null for a top-level comment.")
    author: AuthorRef
    body: str
    created_at: datetime
    reaction_count: int
    edit_count: int = Field(description="How many times the author edited it (history: /comments/{id}/history).")


class CommentPage(Page):
    items: list[CommentPublic]


class CommentRevision(Schema):
    """A comment's body as it was before one edit, with who edited it and when."""

    id: int
    body: str
    editor: AuthorRef
    created_at: datetime


class CommentRevisionList(Schema):
    items: list[CommentRevision] = Field(description="Newest edit first.")


def check_reply_parent(parent, post_id: int) -> None:
    """A reply's parent: a visible comment (``parent`` is None when deleted) of the same post, else 422
    naming ``parent_id``. Every writer checks it in its transaction, before anything is written."""
    if parent is None or parent.hidden_at is not None:
        raise ApiError(422, "invalid", {"parent_id": REPLY_PARENT_GONE})
    if parent.post_id != post_id:
        raise ApiError(422, "invalid", {"parent_id": REPLY_OTHER_POST})
