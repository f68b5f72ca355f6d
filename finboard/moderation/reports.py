"""A member's report of a post or comment: the form, and filing it through
``finboard.core.report_service`` (a repeat is a flash, not an error page).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import login_required

from finboard.contract.errors import ApiError
from finboard.contract.moderation import ReportCreate
from finboard.contract.request_parsing import validate
from finboard.contract.serializers import excerpt
from finboard.core import lookups, report_service
from finboard.core.models import Comment, Post
from finboard.extensions import db
from finboard.moderation import bp
from finboard.moderation.forms import ReportForm
from finboard.pages import COMMENT_ID, POST_ID, me


def _report_page(form: ReportForm, post_id: int, comment: Comment | None, status: int = 200):
    post = db.session.get(Post, post_id)
    subject = excerpt(comment.body if comment is not None else post.body)
    return (
        render_template("moderation/report.html", form=form, post=post, comment=comment, excerpt=subject),
        status,
    )


def _report(post_id: int, comment: Comment | None):
    form = ReportForm()
    anchor = f"comment-{comment.id}" if comment is not None else None
    if form.validate_on_submit():
        try:
            payload = validate(
                ReportCreate,
                {"post_id": post_id, "comment_id": comment.id if comment else None, "reason": form.reason.data.strip()},
            )
            report_service.create_report(db.session, me(), payload)
        except ApiError as exc:
            db.session.rollback()
            if exc.status == 404:
                abort(404)
            if exc.status == 409:
                flash(exc.message, "info")
                return redirect(url_for("posts.detail", post_id=post_id, _anchor=anchor))
            if exc.status == 422 and "reason" in exc.fields:
                form.reason.errors = [*form.reason.errors, exc.fields["reason"]]
            else:
                flash(exc.message, "error")
            return _report_page(form, post_id, comment, exc.status)
        flash("Thank you: a moderator will look at your report.", "success")
        return redirect(url_for("posts.detail", post_id=post_id, _anchor=anchor))
    return _report_page(form, post_id, comment, 422 if form.errors else 200)


@bp.route(f"/posts/{POST_ID}/report", methods=["GET", "POST"])
@login_required
def report_post(post_id: int):
    try:
        lookups.visible_post(db.session, post_id)
    except ApiError:
        abort(404)
    return _report(post_id, None)


@bp.route(f"/comments/{COMMENT_ID}/report", methods=["GET", "POST"])
@login_required
def report_comment(comment_id: int):
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.hidden_at is not None:
        abort(404)
    try:
        lookups.visible_post(db.session, comment.post_id)
    except ApiError:
        abort(404)
    return _report(comment.post_id, comment)
