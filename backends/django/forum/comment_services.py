"""Threaded replies and comment edits on the Django ORM, with the rules and answers of
``finboard.core.comment_service`` (the reference).

A reply's parent is read ``FOR SHARE`` on PostgreSQL (raw SQL: Django's ``select_for_update`` has no
share mode), so a hide or delete of the parent at the same moment waits for the reply's commit or
is seen and refused. An edit locks the comment's row, keeps the body it replaces as a
``comment_revisions`` row and counts the edit, in one transaction.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from finboard.contract.comments import (
    CommentPublic,
    CommentRevisionList,
    CommentUpdate,
    check_reply_parent,
)
from finboard.contract.errors import ApiError
from finboard.contract.permissions import check_author
from finboard.contract.serializers import comment_public, comment_revision

from .models import Comment, CommentRevision, Post, User


def check_parent(post_id: int, parent_id: int) -> None:
    """The parent of a reply to be written on ``post_id`` (inside the writer's transaction), or 422."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM comments WHERE id = %s FOR SHARE", [parent_id])
    check_reply_parent(Comment.objects.filter(id=parent_id).first(), post_id)


def _visible_comment(comment_id: int, lock: bool = False) -> Comment:
    comments = Comment.objects.select_for_update(no_key=True) if lock else Comment.objects.all()
    comment = comments.filter(id=comment_id, hidden_at__isnull=True).first()
    if comment is None or not Post.objects.filter(id=comment.post_id, hidden_at__isnull=True).exists():
        raise ApiError(404, "comment_not_found")
    return comment


def update_comment(user: User, comment_id: int, payload: CommentUpdate) -> CommentPublic:
    """The author's edit: comment (404), authorship (403), suspension (403); no change, no revision."""
    with transaction.atomic():
        comment = _visible_comment(comment_id, lock=True)
        check_author(user, comment)
        if payload.body != comment.body:
            CommentRevision.objects.create(
                comment_id=comment.id, editor_id=user.id, body=comment.body, created_at=timezone.now()
            )
            Comment.objects.filter(id=comment.id).update(body=payload.body, edit_count=F("edit_count") + 1)
            comment.refresh_from_db(fields=["body", "edit_count"])
        comment.author = user
        return comment_public(comment)


def revisions(comment_id: int) -> CommentRevisionList:
    """A visible comment's earlier bodies, newest first."""
    _visible_comment(comment_id)
    rows = CommentRevision.objects.select_related("editor").filter(comment_id=comment_id).order_by("-id")
    return CommentRevisionList(items=[comment_revision(r, r.editor) for r in rows])
