"""The rules of a living board applied to the database, on a sync SQLAlchemy session.

The rules themselves are pure and live in ``finboard.contract`` (permissions,
allowances, notification recipients, the TRANSITIONS table); this module is
their persistence: counting an account's recent writes, enqueueing the
notification fan-out (finboard.core.jobs), watch rows, and each moderation
transition's guarded UPDATE or DELETE (hidden posts leave the listings and the counters). The Flask API, the
forum pages and the FastAPI adapter (through ``run_sync``) call these; the
Django adapter follows the same rules in its ORM, and the conformance suite
holds them equal.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from finboard.contract.allowances import hourly_limit, is_new_account, rate_limit_message
from finboard.contract.errors import ApiError
from finboard.contract.transitions import already_deleted, check_hidden_change, flag_unchanged, no_change
from finboard.core import jobs
from finboard.core.models import (
    Category,
    Comment,
    ModerationAction,
    Post,
    PostCashtag,
    PostWatch,
    User,
    utcnow,
)
from finboard.settings import Settings


def check_write_rate(session: Session, settings: Settings, user: User, kind: str) -> None:
    """429 once the account wrote its hourly allowance of posts or comments (one indexed count)."""
    now = utcnow()
    limit = hourly_limit(user, settings, kind, now)
    model = Post if kind == "post" else Comment
    since = now - timedelta(hours=1)
    recent = select(model.id).where(model.author_id == user.id, model.created_at > since).limit(limit + 1).subquery()
    if session.scalar(select(func.count()).select_from(recent)) >= limit:
        raise ApiError(429, rate_limit_message(kind, limit, is_new_account(user, settings, now)))


# --- notifications -----------------------------------------------------------------


def notify_new_post(session: Session, settings: Settings, post: Post) -> None:
    """Tell the post's audiences: a background job of this transaction (finboard.core.jobs)."""
    jobs.enqueue_fanout(session, settings, "post", post.id)


def notify_new_comment(session: Session, settings: Settings, comment: Comment) -> None:
    """Tell the comment's audiences: a background job of this transaction (finboard.core.jobs)."""
    jobs.enqueue_fanout(session, settings, "comment", comment.id)


# --- watches -------------------------------------------------------------------------


def insert_if_absent(session: Session, model, **fields) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on the primary key: True when the row is new (safe under races)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return session.execute(insert(model).values(**fields).on_conflict_do_nothing()).rowcount > 0


def watch_post(session: Session, user_id: int, post_id: int) -> None:
    insert_if_absent(session, PostWatch, user_id=user_id, post_id=post_id)


def set_watch(session: Session, model, key: tuple, watching: bool) -> None:
    """Add or remove one watch row (post, category or ticker); either is idempotent, races included."""
    fields = dict(zip((c.name for c in model.__table__.primary_key.columns), key, strict=True))
    if watching:
        insert_if_absent(session, model, **fields)
    else:
        session.execute(delete(model).filter_by(**fields))


# --- moderation ---------------------------------------------------------------------

def log_action(
    session: Session, moderator: User, action: str, target_type: str, target_id: int, summary: str, reason: str
) -> ModerationAction:
    record = ModerationAction(
        moderator_id=moderator.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary[:200],
        reason=reason,
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    return record


def changed(session: Session, stmt) -> bool:
    """Run a transition's guard (a conditional UPDATE or DELETE); True when it changed a row.

    The guard is the transaction's first write, so on PostgreSQL a concurrent identical request
    waits for the row lock and then re-checks the condition, and on SQLite writers serialize:
    either way exactly one of two identical requests sees a row change.
    """
    return session.execute(stmt, execution_options={"synchronize_session": False}).rowcount > 0


def deleted_by_moderator(session: Session, target_type: str, target_id: int) -> bool:
    """Whether the log records a moderator's delete of this post or comment (a repeat is a 409, not a 404)."""
    logged = select(ModerationAction.id).where(
        ModerationAction.target_type == target_type,
        ModerationAction.target_id == target_id,
        ModerationAction.action == "delete",
    )
    return session.execute(logged.limit(1)).first() is not None


def _exists(session: Session, model, row_id: int) -> bool:
    return session.execute(select(model.id).where(model.id == row_id)).first() is not None


def _refused(session: Session, model, row_id: int, conflict: ApiError) -> ApiError:
    """Why a guard changed nothing: the row is gone (404, or 409 after a moderator's delete) or already so."""
    if _exists(session, model, row_id):
        return conflict
    what = "post" if model is Post else "comment"
    if deleted_by_moderator(session, what, row_id):
        return already_deleted(what)
    return ApiError(404, f"{what}_not_found")


def hide_post(session: Session, post: Post) -> None:
    """Out of every listing: the row is marked (the triggers uncount it) and its cashtag rows go."""
    check_hidden_change("post", post.hidden_at, hide=True)
    now = utcnow()
    guard = update(Post).where(Post.id == post.id, Post.hidden_at.is_(None)).values(hidden_at=now)
    if not changed(session, guard):
        raise _refused(session, Post, post.id, no_change("The post is already hidden."))
    set_committed_value(post, "hidden_at", now)
    session.execute(delete(PostCashtag).where(PostCashtag.post_id == post.id))


def restore_post(session: Session, post: Post) -> None:
    check_hidden_change("post", post.hidden_at, hide=False)
    guard = update(Post).where(Post.id == post.id, Post.hidden_at.is_not(None)).values(hidden_at=None)
    if not changed(session, guard):
        raise _refused(session, Post, post.id, no_change("The post is not hidden."))
    set_committed_value(post, "hidden_at", None)
    session.add_all(PostCashtag(ticker=t, post_id=post.id, created_at=post.created_at) for t in post.cashtag_list)
    session.flush()


def set_post_flag(session: Session, post: Post, flag: str, value: bool) -> None:
    """Lock/unlock or pin/unpin: 409 when the flag already has that value."""
    if getattr(post, flag) == value:
        raise flag_unchanged(flag, value)
    column = getattr(Post, flag)
    guard = update(Post).where(Post.id == post.id, column != value).values({flag: value})
    if not changed(session, guard):
        raise _refused(session, Post, post.id, flag_unchanged(flag, value))
    set_committed_value(post, flag, value)


def move_comment_count(session: Session, post_id: int, by: int) -> None:
    """The post's ``comment_count``, moved in SQL so concurrent writers never lose an update."""
    session.execute(update(Post).where(Post.id == post_id).values(comment_count=Post.comment_count + by))


def hide_comment(session: Session, comment: Comment) -> None:
    """Out of its post's comments: ``comment_count`` drops with it, as for a delete (only if the row changed)."""
    check_hidden_change("comment", comment.hidden_at, hide=True)
    now = utcnow()
    guard = update(Comment).where(Comment.id == comment.id, Comment.hidden_at.is_(None)).values(hidden_at=now)
    if not changed(session, guard):
        raise _refused(session, Comment, comment.id, no_change("The comment is already hidden."))
    set_committed_value(comment, "hidden_at", now)
    move_comment_count(session, comment.post_id, -1)


def restore_comment(session: Session, comment: Comment) -> None:
    check_hidden_change("comment", comment.hidden_at, hide=False)
    guard = update(Comment).where(Comment.id == comment.id, Comment.hidden_at.is_not(None)).values(hidden_at=None)
    if not changed(session, guard):
        raise _refused(session, Comment, comment.id, no_change("The comment is not hidden."))
    set_committed_value(comment, "hidden_at", None)
    move_comment_count(session, comment.post_id, 1)


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
