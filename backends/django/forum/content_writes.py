"""Deletes of posts and comments on the Django ORM, guarded as finboard.core.content_writes' are.

The conditional ``DELETE ... RETURNING`` is the guard: of two identical requests one deletes,
the other changes nothing.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F

from .models import Comment, Post, PostCashtag, Report


def move_comment_count(post_id: int, by: int) -> None:
    """The post's ``comment_count``, moved in SQL so concurrent writers never lose an update."""
    Post.objects.filter(id=post_id).update(comment_count=F("comment_count") + by)


def _delete_returning(table: str, condition: str, params: list, returning: str):
    """``DELETE ... RETURNING``: the guard of a delete, as finboard.core.content_writes runs it.

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
