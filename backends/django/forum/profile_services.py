"""Member profiles on the Django ORM: finboard.core.profile_service's checks, in its order."""

from __future__ import annotations

from django.db import transaction

from finboard.contract.comments import CommentPage
from finboard.contract.pagination import PageQuery, page_fields, page_slice
from finboard.contract.permissions import require_writer
from finboard.contract.serializers import user_profile
from finboard.contract.users import ProfileUpdate, UserProfile

from . import lookups
from .models import AuthorCounter, Comment, User
from .serializers import comment_public


def _counts(user_id: int) -> tuple[int, int]:
    row = AuthorCounter.objects.filter(author_id=user_id).values_list("post_count", "comment_count").first()
    return (row[0], row[1]) if row else (0, 0)


def profile(username: str) -> UserProfile:
    user = lookups.user_by_name(username)
    return user_profile(user, *_counts(user.id))


def update_profile(user: User, payload: ProfileUpdate) -> UserProfile:
    require_writer(user)
    with transaction.atomic():
        user.bio = payload.bio
        user.save(update_fields=["bio"])
        return user_profile(user, *_counts(user.id))


def user_comments(username: str, query: PageQuery) -> CommentPage:
    """A member's visible comments on visible posts, newest first."""
    user = lookups.user_by_name(username)
    visible = Comment.objects.filter(author_id=user.id, hidden_at__isnull=True, post__hidden_at__isnull=True)
    total = visible.count()
    rows = list(visible.order_by("-created_at", "-id")[page_slice(query)])
    for comment in rows:
        comment.author = user
    return CommentPage(items=[comment_public(c) for c in rows], **page_fields(query, total))
