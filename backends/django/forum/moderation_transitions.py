"""Each moderation transition's guarded statement, and the moderation log, on the Django ORM.

Statement for statement like finboard.core.moderation_transitions: every state transition is
guarded as ``finboard.contract.transitions.TRANSITIONS`` lists (a conditional UPDATE whose row
count decides), with the same answer on a repeat.
"""

from __future__ import annotations

from django.utils import timezone

from finboard.contract.errors import ApiError
from finboard.contract.moderation import log_entry
from finboard.contract.transitions import check_hidden_change, flag_unchanged, gone, hidden_unchanged

from . import content_writes
from .models import Comment, ModerationAction, Post, PostCashtag, User


def log_action(
    moderator: User, action: str, target_type: str, target_id: int, summary: str, reason: str
) -> ModerationAction:
    entry = log_entry(moderator.id, action, target_type, target_id, summary, reason, timezone.now())
    return ModerationAction.objects.create(**entry)


def _refused(model, row_id: int, conflict: ApiError) -> ApiError:
    """Why a guard changed nothing: the row is gone (404, or 409 after a moderator's delete) or already so."""
    if model.objects.filter(id=row_id).exists():
        return conflict
    what = "post" if model is Post else "comment"
    return gone(what, deleted_by_moderator(what, row_id))


def deleted_by_moderator(target_type: str, target_id: int) -> bool:
    logged = ModerationAction.objects.filter(target_type=target_type, target_id=target_id, action="delete")
    return logged.exists()


def _set_hidden(model, row, hide: bool) -> None:
    """Hide (or restore) a post or comment by its guarded UPDATE (finboard.contract.transitions.TRANSITIONS:
    a conditional UPDATE whose row count decides): 409 on a repeat, 404 when it is gone."""
    what = "post" if model is Post else "comment"
    check_hidden_change(what, row.hidden_at, hide=hide)
    now = timezone.now() if hide else None
    if not model.objects.filter(id=row.id, hidden_at__isnull=hide).update(hidden_at=now):
        raise _refused(model, row.id, hidden_unchanged(what, hide))
    row.hidden_at = now


def hide_post(post: Post) -> None:
    """Out of every listing: the row is marked (the triggers uncount it) and its cashtag rows go."""
    _set_hidden(Post, post, hide=True)
    PostCashtag.objects.filter(post_id=post.id).delete()


def restore_post(post: Post) -> None:
    _set_hidden(Post, post, hide=False)
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
    _set_hidden(Comment, comment, hide=True)
    content_writes.move_comment_count(comment.post_id, -1)


def restore_comment(comment: Comment) -> None:
    _set_hidden(Comment, comment, hide=False)
    content_writes.move_comment_count(comment.post_id, 1)
