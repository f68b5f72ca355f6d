"""Rows looked up by what a request names them by, on the Django ORM: a 404 in the contract's words
when absent (finboard.core.lookups).
"""

from __future__ import annotations

from django.db.models.functions import Lower

from finboard.contract.errors import ApiError

from .models import Category, Post, User


def visible_post(post_id: int, *related: str) -> Post:
    """A post that is not hidden (with ``related`` joined in), or 404: a hidden post is gone for all but moderation."""
    posts = Post.objects.select_related(*related) if related else Post.objects.all()
    post = posts.filter(id=post_id, hidden_at__isnull=True).first()
    if post is None:
        raise ApiError(404, "post_not_found")
    return post


def user_by_name(username: str) -> User:
    user = User.objects.alias(username_lower=Lower("username")).filter(username_lower=username.lower()).first()
    if user is None:
        raise ApiError(404, "user_not_found")
    return user


def category_by_slug(slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise ApiError(404, "category_not_found")
    return category


def users_by_id(ids: set[int]) -> dict[int, User]:
    """The members of ``ids`` by id, in one query (an answer names each of them)."""
    return {u.id: u for u in User.objects.filter(id__in=ids)} if ids else {}
