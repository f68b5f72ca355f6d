"""finboard.core.community's persistence in the Django ORM.

The pure rules (who may write, the hourly allowances and their messages,
mentions, positions, role ranks, notification recipients) are the shared
functions of ``finboard.contract`` themselves; what
touches the database is written here, statement for statement like the
reference, so every backend numbers, orders and counts the same rows. Every state
transition is guarded as ``finboard.contract.transitions.TRANSITIONS`` lists (a conditional UPDATE or
DELETE ... RETURNING whose row count decides, ON CONFLICT DO NOTHING, a row lock), with the same
answer on a repeat.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from finboard.contract.allowances import hourly_limit, is_new_account, rate_limit_message
from finboard.contract.errors import ApiError
from finboard.contract.transitions import already_deleted, check_hidden_change, flag_unchanged, no_change
from finboard.settings import Settings

from . import jobs
from .models import (
    Category,
    Comment,
    ModerationAction,
    Post,
    PostCashtag,
    PostWatch,
    Report,
    User,
)


def visible_post(post_id: int, *related: str) -> Post:
    """A post that is not hidden (with ``related`` joined in), or 404: a hidden post is gone for all but moderation."""
    posts = Post.objects.select_related(*related) if related else Post.objects.all()
    post = posts.filter(id=post_id, hidden_at__isnull=True).first()
    if post is None:
        raise ApiError(404, "post_not_found")
    return post


def check_write_rate(settings: Settings, user: User, kind: str) -> None:
    """429 once the account wrote its hourly allowance of posts or comments (one indexed count)."""
    now = timezone.now()
    limit = hourly_limit(user, settings, kind, now)
    model = Post if kind == "post" else Comment
    recent = model.objects.filter(author_id=user.id, created_at__gt=now - timedelta(hours=1))
    if recent.order_by()[: limit + 1].count() >= limit:
        raise ApiError(429, rate_limit_message(kind, limit, is_new_account(user, settings, now)))


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


# --- notifications -----------------------------------------------------------------


def notify_new_post(post: Post) -> None:
    """Tell the post's audiences: a background job of this transaction (``jobs``)."""
    jobs.enqueue_fanout("post", post.id)


def notify_new_comment(comment: Comment) -> None:
    """Tell the comment's audiences: a background job of this transaction (``jobs``)."""
    jobs.enqueue_fanout("comment", comment.id)


# --- watches -------------------------------------------------------------------------


def set_watch(model, watching: bool, **key) -> None:
    """Add or remove one watch row (post, category or ticker); either is idempotent."""
    if watching:
        model.objects.bulk_create([model(**key)], ignore_conflicts=True)
    else:
        model.objects.filter(**key).delete()


def watch_post(user_id: int, post_id: int) -> None:
    set_watch(PostWatch, True, user_id=user_id, post_id=post_id)


# --- moderation ---------------------------------------------------------------------


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
    if deleted_by_moderator(what, row_id):
        return already_deleted(what)
    return ApiError(404, f"{what}_not_found")


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


def move_comment_count(post_id: int, by: int) -> None:
    """The post's ``comment_count``, moved in SQL so concurrent writers never lose an update."""
    Post.objects.filter(id=post_id).update(comment_count=F("comment_count") + by)


def hide_comment(comment: Comment) -> None:
    """Out of its post's comments: ``comment_count`` drops with it, as for a delete (only if the row changed)."""
    check_hidden_change("comment", comment.hidden_at, hide=True)
    now = timezone.now()
    if not Comment.objects.filter(id=comment.id, hidden_at__isnull=True).update(hidden_at=now):
        raise _refused(Comment, comment.id, no_change("The comment is already hidden."))
    comment.hidden_at = now
    move_comment_count(comment.post_id, -1)


def restore_comment(comment: Comment) -> None:
    check_hidden_change("comment", comment.hidden_at, hide=False)
    if not Comment.objects.filter(id=comment.id, hidden_at__isnull=False).update(hidden_at=None):
        raise _refused(Comment, comment.id, no_change("The comment is not hidden."))
    comment.hidden_at = None
    move_comment_count(comment.post_id, 1)


def _delete_returning(table: str, condition: str, params: list, returning: str):
    """``DELETE ... RETURNING``: the guard of a delete, as finboard.core.queries runs it.

    Django's ORM has no DELETE ... RETURNING. ``table``, ``condition`` and ``returning`` are
    literals of this module's callers, never input; the values go as bound parameters."""
    sql = f"DELETE FROM {table} WHERE {condition} RETURNING {returning}"  # noqa: S608 # nosec B608 - literals only
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def delete_post(post: Post, author_id: int | None = None) -> bool:
    """Delete a post (an author's only while it is visible and theirs): False when no row went.

    Reports keep their snapshot (``post_id`` NULL); comments and cashtag rows go explicitly."""
    condition, params = "id = %s", [post.id]
    if author_id is not None:
        condition, params = "id = %s AND author_id = %s AND hidden_at IS NULL", [post.id, author_id]
    if _delete_returning("posts", condition, params, "id") is None:
        return False
    Report.objects.filter(post_id=post.id).update(post_id=None, comment_id=None)
    Comment.objects.filter(post_id=post.id).delete()
    PostCashtag.objects.filter(post_id=post.id).delete()
    return True


def delete_comment(comment: Comment, author_id: int | None = None) -> bool:
    """Delete a comment: the post's ``comment_count`` moves only when a visible comment really went."""
    condition, params = "id = %s", [comment.id]
    if author_id is not None:
        condition, params = "id = %s AND author_id = %s AND hidden_at IS NULL", [comment.id, author_id]
    gone = _delete_returning("comments", condition, params, "post_id, hidden_at")
    if gone is None:
        return False
    Report.objects.filter(comment_id=comment.id).update(comment_id=None)
    if gone[1] is None:  # a hidden comment already left the count
        move_comment_count(gone[0], -1)
    return True
