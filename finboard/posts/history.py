"""A post's edit history and a comment's permanent link, on the posts blueprint.

Moderators also see a hidden post's history and are sent to a hidden comment's post page.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from sqlalchemy import func, or_, select

from finboard.contract.errors import ApiError
from finboard.contract.posts import RevisionList
from finboard.core import api_service
from finboard.core.models import Comment, Post
from finboard.extensions import db
from finboard.pages import COMMENT_ID, POST_ID, refused, viewer_is_moderator
from finboard.posts.hidden import hidden_post
from finboard.posts.views import COMMENTS_PER_PAGE, bp


def _revisions(post_id: int) -> RevisionList:
    """The post's earlier versions; a moderator also sees those of a hidden post."""
    try:
        return api_service.revisions(db.session, post_id)
    except ApiError:
        if not viewer_is_moderator() or db.session.get(Post, post_id) is None:
            raise
    return api_service.revision_list(db.session, post_id)


@bp.get(f"/posts/{POST_ID}/history")
def history(post_id: int):
    from finboard.reads import get_post

    try:
        revisions = _revisions(post_id)
    except ApiError as exc:
        return refused(exc)
    post = get_post(post_id)
    if post is None:
        hidden = hidden_post(post_id) if viewer_is_moderator() else None
        if hidden is None:
            abort(404)
        post = hidden[0]
    return render_template("posts/history.html", post=post, revisions=revisions.items)


@bp.get(f"/comments/{COMMENT_ID}")
def comment_link(comment_id: int):
    """A comment's permanent link: its post's page that shows it, at its anchor."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or (comment.hidden_at is not None and not viewer_is_moderator()):
        abort(404)
    before = db.session.scalar(
        select(func.count()).where(
            Comment.post_id == comment.post_id,
            Comment.hidden_at.is_(None),
            or_(
                Comment.created_at < comment.created_at,
                (Comment.created_at == comment.created_at) & (Comment.id < comment.id),
            ),
        )
    )
    page = before // COMMENTS_PER_PAGE + 1
    anchor = f"comment-{comment_id}"
    return redirect(url_for("posts.detail", post_id=comment.post_id, page=page if page > 1 else None, _anchor=anchor))
