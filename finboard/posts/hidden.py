"""What a moderator reads of a hidden post, with the ORM: the cached read path never serves it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from finboard.contract.comments import CommentPage
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostPublic
from finboard.contract.serializers import comment_page, post_public
from finboard.core.models import Comment, Post
from finboard.extensions import db


def hidden_post(post_id: int) -> tuple[PostPublic, datetime] | None:
    """A hidden post for a moderator, read with the ORM (the cached read path never serves it)."""
    row = db.session.scalars(
        select(Post)
        .options(joinedload(Post.author), joinedload(Post.category))
        .where(Post.id == post_id, Post.hidden_at.is_not(None))
    ).first()
    return (post_public(row), row.hidden_at) if row is not None else None


def hidden_post_comments(post_id: int, query: PageQuery) -> CommentPage:
    """A hidden post's visible comments, oldest first, for a moderator (the cached reads 404 there)."""
    total = db.session.scalar(select(Post.comment_count).where(Post.id == post_id)) or 0
    rows = db.session.scalars(
        select(Comment)
        .options(joinedload(Comment.author))
        .where(Comment.post_id == post_id, Comment.hidden_at.is_(None))
        .order_by(Comment.created_at, Comment.id)
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    ).all()
    return comment_page(rows, query, total)
