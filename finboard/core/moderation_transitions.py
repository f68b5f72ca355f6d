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
from finboard.contract.moderation import log_entry
from finboard.contract.transitions import check_hidden_change, flag_unchanged, gone, hidden_unchanged
from finboard.core import content_writes
from finboard.core.models import Comment, ModerationAction, Post, PostCashtag, User, utcnow


def log_action(
    session: Session, moderator: User, action: str, target_type: str, target_id: int, summary: str, reason: str
) -> ModerationAction:
    record = ModerationAction(**log_entry(moderator.id, action, target_type, target_id, summary, reason, utcnow()))
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


def _set_hidden(session: Session, model, row, hide: bool) -> None:
    """Hide (or restore) a post or comment by its guarded UPDATE: 409 on a repeat, 404 when it is gone."""
    what = "post" if model is Post else "comment"
    check_hidden_change(what, row.hidden_at, hide=hide)
    now = utcnow() if hide else None
    unchanged = model.hidden_at.is_(None) if hide else model.hidden_at.is_not(None)
    guard = update(model).where(model.id == row.id, unchanged).values(hidden_at=now)
    if not changed(session, guard):
        raise _refused(session, model, row.id, hidden_unchanged(what, hide))
    set_committed_value(row, "hidden_at", now)


def hide_post(session: Session, post: Post) -> None:
    """Out of every listing: the row is marked (the triggers uncount it) and its cashtag rows go."""
    _set_hidden(session, Post, post, hide=True)
    session.execute(delete(PostCashtag).where(PostCashtag.post_id == post.id))


def restore_post(session: Session, post: Post) -> None:
    _set_hidden(session, Post, post, hide=False)
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


def hide_comment(session: Session, comment: Comment) -> None:
    """Out of its post's comments: ``comment_count`` drops with it, as for a delete (only if the row changed)."""
    _set_hidden(session, Comment, comment, hide=True)
    content_writes.move_comment_count(session, comment.post_id, -1)


def restore_comment(session: Session, comment: Comment) -> None:
    _set_hidden(session, Comment, comment, hide=False)
    content_writes.move_comment_count(session, comment.post_id, 1)
