"""Rows looked up by what a request names them by: a 404 in the contract's words when absent."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finboard.contract.errors import ApiError
from finboard.core.models import Category, Post, User


def category_by_slug(session: Session, slug: str) -> Category:
    category = session.scalars(select(Category).where(Category.slug == slug)).first()
    if category is None:
        raise ApiError(404, "category_not_found")
    return category


def user_by_name(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(func.lower(User.username) == username.lower())).first()
    if user is None:
        raise ApiError(404, "user_not_found")
    return user


def users_by_id(session: Session, ids: set[int]) -> dict[int, User]:
    """The members of ``ids`` by id, in one query (an answer names each of them)."""
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def visible_post(session: Session, post_id: int) -> Post:
    """A post that is not hidden, or 404 (a hidden post is gone for everyone but moderation)."""
    post = session.get(Post, post_id)
    if post is None or post.hidden_at is not None:
        raise ApiError(404, "post_not_found")
    return post
