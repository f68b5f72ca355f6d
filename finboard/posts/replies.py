"""Threaded replies on the forum: reply to a comment (optionally quoting it), edit your comment,
read a comment's history. Registered on the posts blueprint.

Everything works without JavaScript: "Reply" and "Quote" are links to a page with the comment
and a form (``?quote=1`` prefills a Markdown blockquote with attribution). With JavaScript, a
passage the reader selected in the comment rides along (``&passage=…``, static/markdown_tools.js)
and only it is quoted, if the comment holds it; otherwise the whole comment is. The writes go through
the same use cases as the API (``api_service.create_comment`` with ``parent_id``,
``comment_service.update_comment``), so the rules and messages are the API's.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from finboard.contract.comments import CommentCreate, CommentUpdate
from finboard.contract.errors import ApiError
from finboard.contract.request_parsing import validate
from finboard.contract.threads import PASSAGE_NOT_FOUND, quote_markdown, quoted_passage
from finboard.core import api_service, comment_service
from finboard.core.models import Comment, Post, User
from finboard.extensions import cache, db
from finboard.pages import COMMENT_ID, refused, viewer_is_moderator
from finboard.posts.forms import CommentForm
from finboard.posts.views import bp
from finboard.templating import plaintext_filter


def _visible(comment_id: int) -> tuple[Comment, str]:
    """A visible comment on a visible post, and its author's username; 404 otherwise."""
    comment = db.session.get(Comment, comment_id)
    post = db.session.get(Post, comment.post_id) if comment is not None else None
    if comment is None or comment.hidden_at is not None or post is None or post.hidden_at is not None:
        abort(404)
    return comment, db.session.get(User, comment.author_id).username


def _me() -> User:
    return current_user._get_current_object()


def _refused(exc: ApiError, form: CommentForm, template: str, **context):
    """The form again with the rule's message (a 422's fields next to the body, else flashed)."""
    db.session.rollback()
    if exc.status == 404:
        abort(404)
    if exc.status == 422 and "body" in exc.fields:
        form.body.errors = [*form.body.errors, exc.fields["body"]]
    else:
        flash(" ".join(exc.fields.values()) or exc.message, "error")
    return render_template(template, form=form, **context), exc.status


@bp.route(f"/comments/{COMMENT_ID}/reply", methods=["GET", "POST"])
@login_required
def reply(comment_id: int):
    """Reply to a comment; ``?quote=1`` starts the reply with the comment quoted, or with just
    ``passage`` (the words the reader selected) when the comment, as shown, holds it."""
    parent, parent_author = _visible(comment_id)
    form = CommentForm()
    if request.method == "GET" and request.args.get("quote"):
        asked = request.args.get("passage", "")
        passage = quoted_passage(plaintext_filter(parent.body), asked) if asked.strip() else None
        if asked.strip() and passage is None:
            flash(PASSAGE_NOT_FOUND, "info")
        form.body.data = quote_markdown(parent_author, passage or parent.body)
    context = {"parent": parent, "parent_author": parent_author}
    if form.validate_on_submit():
        settings = current_app.config["FINBOARD_SETTINGS"]
        try:
            payload = validate(CommentCreate, {"body": form.body.data, "parent_id": parent.id})
            created = api_service.create_comment(db.session, settings, _me(), parent.post_id, payload)
        except ApiError as exc:  # suspended, locked, blocked, hourly allowance, parent gone meanwhile
            return _refused(exc, form, "posts/reply.html", **context)
        cache.invalidate()
        flash("Reply added.", "success")
        return redirect(url_for("posts.comment_link", comment_id=created.id))
    return render_template("posts/reply.html", form=form, **context), 422 if form.errors else 200


@bp.route(f"/comments/{COMMENT_ID}/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id: int):
    """The author edits their comment; the body it replaces goes to the comment's history."""
    comment, _ = _visible(comment_id)
    if comment.author_id != current_user.id:
        abort(403)
    form = CommentForm(data={"body": comment.body} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            payload = validate(CommentUpdate, {"body": form.body.data})
            comment_service.update_comment(db.session, _me(), comment_id, payload)
        except ApiError as exc:  # suspended, or hidden by a moderator meanwhile
            return _refused(exc, form, "posts/comment_edit.html", comment=comment)
        cache.invalidate()
        flash("Comment updated.", "success")
        return redirect(url_for("posts.comment_link", comment_id=comment_id))
    return render_template("posts/comment_edit.html", form=form, comment=comment), 422 if form.errors else 200


@bp.get(f"/comments/{COMMENT_ID}/history")
def comment_history(comment_id: int):
    """A comment's versions, newest first; moderators also see a hidden comment's."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    try:
        revisions = comment_service.revisions(db.session, comment_id)
    except ApiError as exc:
        if not viewer_is_moderator():
            return refused(exc)
        revisions = comment_service.revision_list(db.session, comment_id)
    author = db.session.get(User, comment.author_id)
    return render_template("posts/comment_history.html", comment=comment, author=author, revisions=revisions.items)
