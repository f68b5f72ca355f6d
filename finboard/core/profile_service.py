"""Member profiles: a member's page, their bio, their comments, on a sync SQLAlchemy ``Session``.

Called like ``finboard.core.api_service`` (Flask directly, FastAPI through ``run_sync``); the
checks raise the contract's ``ApiError`` in the order every backend answers in.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finboard.contract.comments import CommentPage
from finboard.contract.pagination import PageQuery, page_fields
from finboard.contract.permissions import require_writer
from finboard.contract.serializers import comment_public, user_profile
from finboard.contract.users import ProfileUpdate, UserProfile
from finboard.core import lookups
from finboard.core.models import AuthorCounter, Comment, Post, User


def _counts(session: Session, user_id: int) -> tuple[int, int]:
    row = session.execute(
        select(AuthorCounter.post_count, AuthorCounter.comment_count).where(AuthorCounter.author_id == user_id)
    ).first()
    return (row[0], row[1]) if row else (0, 0)


def profile(session: Session, username: str) -> UserProfile:
    user = lookups.user_by_name(session, username)
    return user_profile(user, *_counts(session, user.id))


def update_profile(session: Session, user: User, payload: ProfileUpdate) -> UserProfile:
    require_writer(user)
    user.bio = payload.bio
    result = user_profile(user, *_counts(session, user.id))
    session.commit()
    return result


def user_comments(session: Session, username: str, query: PageQuery) -> CommentPage:
    """A member's visible comments on visible posts, newest first."""
    user = lookups.user_by_name(session, username)
    visible = (
        select(Comment)
        .join(Post, Post.id == Comment.post_id)
        .where(Comment.author_id == user.id, Comment.hidden_at.is_(None), Post.hidden_at.is_(None))
    )
    total = session.scalar(select(func.count()).select_from(visible.subquery()))
    rows = session.scalars(
        visible.order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    ).all()
    for comment in rows:
        comment.author = user
    return CommentPage(
        items=[comment_public(c) for c in rows],
        **page_fields(query, total),
    )
