"""Threaded replies and comment edits on a sync SQLAlchemy ``Session`` (the Flask forum, the
Flask API and FastAPI through ``run_sync``; Django has its own in ``backends/django``).

A reply's parent is checked (``finboard.contract.comments.check_reply_parent``) under a share lock
on PostgreSQL, so a moderator's hide or the author's delete of the parent landing at the same
moment waits for the reply's commit, or is seen here and refused. An edit keeps the body it
replaces as a ``comment_revisions`` row and counts the edit, in one transaction holding the
comment's row lock: two edits at once are applied one after the other, each with its revision.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from finboard.contract.comments import (
    CommentPublic,
    CommentRevisionList,
    CommentUpdate,
    check_reply_parent,
)
from finboard.contract.errors import ApiError
from finboard.contract.permissions import check_author
from finboard.contract.serializers import comment_public, comment_revision
from finboard.core.comment_models import CommentRevision
from finboard.core.models import Comment, Post, User, utcnow


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def check_parent(session: Session, post_id: int, parent_id: int) -> Comment:
    """The parent of a reply to be written on ``post_id``, or 422 ``parent_id``."""
    lock = {"read": True} if _postgres(session) else None
    parent = session.get(Comment, parent_id, with_for_update=lock, populate_existing=lock is not None)
    check_reply_parent(parent, post_id)
    return parent


def visible_comment(session: Session, comment_id: int, lock: bool = False) -> Comment:
    """A comment that is not hidden, on a post that is not hidden, or 404.

    ``lock``: held until the transaction ends, so concurrent edits run one after the other, each
    keeping the body the previous one wrote: ``FOR NO KEY UPDATE`` on PostgreSQL; on SQLite a
    no-op write to the row first, which takes the database's write lock (see ``lock_author``)."""
    options = {}
    if lock and _postgres(session):
        options = {"with_for_update": {"key_share": True}, "populate_existing": True}
    elif lock:
        table = Comment.__table__
        session.execute(update(table).where(table.c.id == comment_id).values(id=table.c.id))
        options = {"populate_existing": True}
    comment = session.get(Comment, comment_id, **options)
    if comment is None or comment.hidden_at is not None:
        raise ApiError(404, "comment_not_found")
    post = session.get(Post, comment.post_id)
    if post is None or post.hidden_at is not None:
        raise ApiError(404, "comment_not_found")
    return comment


def update_comment(session: Session, user: User, comment_id: int, payload: CommentUpdate) -> CommentPublic:
    """The author's edit, checked in order: comment (404), authorship (403), suspension (403).

    Moderators hide or delete comments (``/moderation``) but do not rewrite them, as with posts.
    An edit that changes nothing keeps no revision and counts no edit."""
    comment = visible_comment(session, comment_id, lock=True)
    check_author(user, comment)
    if payload.body != comment.body:
        session.add(CommentRevision(comment_id=comment.id, editor_id=user.id, body=comment.body, created_at=utcnow()))
        session.execute(
            update(Comment)
            .where(Comment.id == comment.id)
            .values(body=payload.body, edit_count=Comment.edit_count + 1),
            execution_options={"synchronize_session": False},
        )
        session.flush()
        session.refresh(comment, ["body", "edit_count"])
    comment.author = user
    result = comment_public(comment)
    session.commit()
    return result


def revisions(session: Session, comment_id: int) -> CommentRevisionList:
    """A visible comment's earlier bodies, newest first (404 for a hidden or deleted one)."""
    visible_comment(session, comment_id)
    return revision_list(session, comment_id)


def revision_list(session: Session, comment_id: int) -> CommentRevisionList:
    """Any comment's earlier bodies, newest first (the forum shows moderators a hidden one's too)."""
    rows = session.execute(
        select(CommentRevision, User)
        .join(User, User.id == CommentRevision.editor_id)
        .where(CommentRevision.comment_id == comment_id)
        .order_by(CommentRevision.id.desc())
    ).all()
    return CommentRevisionList(items=[comment_revision(r, editor) for r, editor in rows])
