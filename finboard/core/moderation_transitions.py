"""Each moderation transition's guarded statement, and the moderation log, on a sync session.

The transitions are ``finboard.contract.transitions.TRANSITIONS``: a conditional UPDATE or
DELETE whose row count decides, so of two identical requests exactly one changes a row and
the other gets the contract's answer to a repeat. Hidden posts leave the listings and the
counters. Nothing here commits: the use case owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from finboard.contract.errors import ApiError
from finboard.contract.transitions import check_hidden_change, flag_unchanged, gone, no_change
from finboard.core.models import (
    Comment,
    ModerationAction,
    Post,
    PostCashtag,
    User,
    utcnow,
)


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
    return gone(what, deleted_by_moderator(session, what, row_id))


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
