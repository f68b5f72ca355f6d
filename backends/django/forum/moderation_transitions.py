"""Each moderation transition's guarded statement, and the moderation log, on the Django ORM.

Statement for statement like finboard.core.moderation_transitions: every state transition is
guarded as ``finboard.contract.transitions.TRANSITIONS`` lists (a conditional UPDATE whose row
count decides), with the same answer on a repeat.
"""

from __future__ import annotations

from django.utils import timezone

from finboard.contract.errors import ApiError
from finboard.contract.transitions import check_hidden_change, flag_unchanged, gone, no_change

from . import content_writes
from .models import (
    Comment,
    ModerationAction,
    Post,
    PostCashtag,
    User,
)


def log_action(
    moderator: User, action: str, target_type: str, target_id: int, summary: str, reason: str
) -> ModerationAction:
    return ModerationAction.objects.create(
        moderator_id=moderator.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary[:200],
        reason=reason,
        created_at=timezone.now(),
    )


def _refused(model, row_id: int, conflict: ApiError) -> ApiError:
    """Why a guard changed nothing: the row is gone (404, or 409 after a moderator's delete) or already so."""
    if model.objects.filter(id=row_id).exists():
        return conflict
    what = "post" if model is Post else "comment"
    return gone(what, deleted_by_moderator(what, row_id))


def deleted_by_moderator(target_type: str, target_id: int) -> bool:
    logged = ModerationAction.objects.filter(target_type=target_type, target_id=target_id, action="delete")
    return logged.exists()


def hide_post(post: Post) -> None:
    """Out of every listing: the row is marked (the triggers uncount it) and its cashtag rows go.

    The guards are finboard.contract.transitions.TRANSITIONS': a conditional UPDATE whose row count decides."""
    check_hidden_change("post", post.hidden_at, hide=True)
    now = timezone.now()
    if not Post.objects.filter(id=post.id, hidden_at__isnull=True).update(hidden_at=now):
        raise _refused(Post, post.id, no_change("The post is already hidden."))
    post.hidden_at = now
    PostCashtag.objects.filter(post_id=post.id).delete()


def restore_post(post: Post) -> None:
    check_hidden_change("post", post.hidden_at, hide=False)
    if not Post.objects.filter(id=post.id, hidden_at__isnull=False).update(hidden_at=None):
        raise _refused(Post, post.id, no_change("The post is not hidden."))
    post.hidden_at = None
    insert_cashtag_rows(post, post.cashtag_list)


def set_post_flag(post: Post, flag: str, value: bool) -> None:
    """Lock/unlock or pin/unpin: 409 when the flag already has that value."""
    if getattr(post, flag) == value:
        raise flag_unchanged(flag, value)
    if not Post.objects.filter(id=post.id).exclude(**{flag: value}).update(**{flag: value}):
        raise _refused(Post, post.id, flag_unchanged(flag, value))
    setattr(post, flag, value)


def insert_cashtag_rows(post: Post, tickers: list[str]) -> None:
    PostCashtag.objects.bulk_create(
        PostCashtag(ticker=ticker, post_id=post.id, created_at=post.created_at) for ticker in tickers
    )


def hide_comment(comment: Comment) -> None:
    """Out of its post's comments: ``comment_count`` drops with it, as for a delete (only if the row changed)."""
    check_hidden_change("comment", comment.hidden_at, hide=True)
    now = timezone.now()
    if not Comment.objects.filter(id=comment.id, hidden_at__isnull=True).update(hidden_at=now):
        raise _refused(Comment, comment.id, no_change("The comment is already hidden."))
    comment.hidden_at = now
    content_writes.move_comment_count(comment.post_id, -1)


def restore_comment(comment: Comment) -> None:
    check_hidden_change("comment", comment.hidden_at, hide=False)
    if not Comment.objects.filter(id=comment.id, hidden_at__isnull=False).update(hidden_at=None):
        raise _refused(Comment, comment.id, no_change("The comment is not hidden."))
    comment.hidden_at = None
    content_writes.move_comment_count(comment.post_id, 1)
