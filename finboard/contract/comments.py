"""Comments: writing one, reading one, and a numbered page of a post's comments."""

from __future__ import annotations

from datetime import datetime

from finboard.contract.base import Input, Schema
from finboard.contract.fields import CommentBody
from finboard.contract.pagination import Page
from finboard.contract.users import AuthorRef


class CommentCreate(Input):
    body: CommentBody


class CommentPublic(Schema):
    id: int
    post_id: int
    author: AuthorRef
    body: str
    created_at: datetime
    reaction_count: int


class CommentPage(Page):
    items: list[CommentPublic]
