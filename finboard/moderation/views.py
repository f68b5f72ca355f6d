"""The moderators' pages: the queue of reports, the log, and the actions on posts, comments and
members (hide, restore, lock, pin, delete, suspend), each through ``finboard.core``'s
moderation and report services, so a page and an API call obey the same rules.

A missing reason or a no-op (409) is a flash on the page the form was on; 403 and 404 are pages.
Every POST carries a CSRF token (CSRFProtect).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func, select

from finboard.confirmation import ask_to_confirm, confirmed
from finboard.contract.errors import ApiError
from finboard.contract.moderation import CommentModeration, PostModeration, ReportQuery, ReportResolve, UserModeration
from finboard.contract.pagination import PageQuery
from finboard.contract.permissions import require_moderator
from finboard.contract.request_parsing import validate
from finboard.contract.transitions import already_deleted
from finboard.core import moderation_service, moderation_transitions, report_service
from finboard.core.models import Comment, Post, Report, User
from finboard.extensions import cache, db
from finboard.moderation import bp
from finboard.moderation.forms import ResolveForm, SuspendForm, UnsuspendForm
from finboard.pages import COMMENT_ID, POST_ID, REPORT_ID, back, check_page, me, page_arg, refused
from finboard.redirects import safe_next_url

REPORTS_PER_PAGE = 20


LOG_PER_PAGE = 30


MODERATION_TABS = ("reports", "resolved", "log")


POST_ACTION_DONE = {
    "hide": "Post hidden: it is gone from every listing until restored.",
    "restore": "Post restored: it is back in the listings.",
    "lock": "Post locked: it takes no new comments.",
    "unlock": "Post unlocked: comments are open again.",
    "pin": "Post pinned.",
    "unpin": "Post unpinned.",
    "delete": "Post deleted.",
}


COMMENT_ACTION_DONE = {
    "hide": "Comment hidden.",
    "restore": "Comment restored.",
    "delete": "Comment deleted.",
}


REASON_NEEDED = "Give a reason of 3 to 500 characters: it goes in the moderation log."


def _flash_refusal(exc: ApiError) -> None:
    if exc.status == 422 and "reason" in exc.fields:
        flash(REASON_NEEDED, "error")
    elif exc.status == 422 and "days" in exc.fields:
        flash("Suspend for 1 to 3650 days.", "error")
    else:
        flash(exc.message, "error" if exc.status != 409 else "info")


def _moderation_refused(exc: ApiError, default: str):
    """403 and 404 are pages; a missing reason or a no-op (409) is a flash on the page the form was on."""
    if exc.status in (403, 404):
        return refused(exc)
    db.session.rollback()
    _flash_refusal(exc)
    return back(default)


def _require_moderator():
    """None for a moderator, else the 403 page (checked before anything else is read)."""
    try:
        require_moderator(me())
    except ApiError as exc:
        return refused(exc)
    return None


_DELETE_DETAIL = "Hiding keeps it as evidence and can be undone; deleting cannot."


@bp.post(f"/moderation/posts/{POST_ID}")
@login_required
def moderate_post(post_id: int):
    denied = _require_moderator()
    if denied:
        return denied
    post_page = url_for("posts.detail", post_id=post_id)
    if request.form.get("action") == "delete" and not confirmed():
        return ask_to_confirm("Delete this post for good?", "Yes, delete the post", post_page, _DELETE_DETAIL)
    try:
        payload = validate(PostModeration, {"action": request.form.get("action", ""), "reason": _reason()})
        moderation_service.moderate_post(db.session, me(), post_id, payload)
    except ApiError as exc:
        if exc.status == 409 and request.form.get("action") == "delete":  # a double click: gone already
            return _moderation_refused(exc, url_for("posts.index"))
        return _moderation_refused(exc, post_page)
    cache.invalidate()
    flash(POST_ACTION_DONE[payload.action], "success")
    if payload.action == "delete":
        target = safe_next_url(request.form.get("next"))
        return redirect(target if target and not target.startswith(post_page) else url_for("posts.index"))
    return back(post_page)


@bp.post(f"/moderation/comments/{COMMENT_ID}")
@login_required
def moderate_comment(comment_id: int):
    denied = _require_moderator()
    if denied:
        return denied
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        if moderation_transitions.deleted_by_moderator(db.session, "comment", comment_id):  # a double click on delete
            return _moderation_refused(already_deleted("comment"), url_for("posts.index"))
        abort(404)
    post_page = url_for("posts.detail", post_id=comment.post_id)
    if request.form.get("action") == "delete" and not confirmed():
        return ask_to_confirm("Delete this comment for good?", "Yes, delete it", post_page, _DELETE_DETAIL)
    try:
        payload = validate(CommentModeration, {"action": request.form.get("action", ""), "reason": _reason()})
        moderation_service.moderate_comment(db.session, me(), comment_id, payload)
    except ApiError as exc:
        return _moderation_refused(exc, post_page)
    cache.invalidate()
    flash(COMMENT_ACTION_DONE[payload.action], "success")
    return back(post_page)


def _reason() -> str:
    return request.form.get("reason", "").strip()


def _moderate_user(username: str, action: str, form):
    denied = _require_moderator()
    if denied:
        return denied
    profile_page = url_for("posts.author", username=username)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(profile_page)
    fields = {"action": action, "reason": form.reason.data.strip()}
    if action == "suspend":
        fields["days"] = form.days.data
    try:
        result = moderation_service.moderate_user(db.session, me(), username, validate(UserModeration, fields))
    except ApiError as exc:
        return _moderation_refused(exc, profile_page)
    if action == "suspend":
        flash(f"Suspended {result.summary}.", "success")
    else:
        flash(f"{result.summary} can write again.", "success")
    return redirect(profile_page)


@bp.post("/u/<username>/suspend")
@login_required
def suspend(username: str):
    return _moderate_user(username, "suspend", SuspendForm())


@bp.post("/u/<username>/unsuspend")
@login_required
def unsuspend(username: str):
    return _moderate_user(username, "unsuspend", UnsuspendForm())


@bp.post(f"/moderation/reports/{REPORT_ID}")
@login_required
def handle_report(report_id: int):
    """Resolve a report with a note, or hide what it reports and resolve it in one go."""
    denied = _require_moderator()
    if denied:
        return denied
    queue = url_for("moderation.moderation")
    report = db.session.get(Report, report_id)
    if report is None:
        abort(404)
    form = ResolveForm()
    if not form.validate_on_submit():
        flash(form.errors.get("note", ["Check the note."])[0], "error")
        return back(queue)
    note = (form.note.data or "").strip()
    action = request.form.get("action", "resolve")
    subject = report.comment_id if report.target_type == "comment" else report.post_id
    if subject is None:  # deleted since it was reported: only resolving is left (the snapshot stays)
        action = "resolve"
    try:
        if action == "hide":
            reason = note if len(note) >= 3 else f"Reported: {report.reason}"[:500]
            if report.target_type == "comment":
                moderation_service.moderate_comment(
                    db.session, me(), report.comment_id, CommentModeration(action="hide", reason=reason)
                )
            else:
                moderation_service.moderate_post(
                    db.session, me(), report.post_id, PostModeration(action="hide", reason=reason)
                )
            cache.invalidate()
            note = note or "Hidden."
    except ApiError as exc:
        if exc.status != 409:  # already hidden: resolving is all that is left to do
            return _moderation_refused(exc, queue)
        db.session.rollback()
    try:
        report_service.resolve_report(db.session, me(), report_id, ReportResolve(resolution=note))
    except ApiError as exc:
        return _moderation_refused(exc, queue)
    flash("Hidden and resolved." if action == "hide" else "Report resolved.", "success")
    return back(queue)


def _log_extras(items) -> tuple[set[tuple[str, int]], dict[int, str]]:
    """Which logged posts and comments are hidden now (for Restore) and the logged users' names."""
    post_ids = {a.target_id for a in items if a.target_type == "post"}
    comment_ids = {a.target_id for a in items if a.target_type == "comment"}
    user_ids = {a.target_id for a in items if a.target_type == "user"}
    hidden: set[tuple[str, int]] = set()
    if post_ids:
        stmt = select(Post.id).where(Post.id.in_(post_ids), Post.hidden_at.is_not(None))
        hidden |= {("post", i) for i in db.session.scalars(stmt)}
    if comment_ids:
        stmt = select(Comment.id).where(Comment.id.in_(comment_ids), Comment.hidden_at.is_not(None))
        hidden |= {("comment", i) for i in db.session.scalars(stmt)}
    names = {}
    if user_ids:
        names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all())
    return hidden, names


@bp.get("/moderation")
@login_required
def moderation():
    denied = _require_moderator()
    if denied:
        return denied
    tab = request.args.get("tab", "reports")
    if tab not in MODERATION_TABS:
        abort(404)
    page_number = page_arg()
    context: dict = {"tab": tab}
    if tab == "log":
        page = moderation_service.moderation_log(db.session, me(), PageQuery(page=page_number, per_page=LOG_PER_PAGE))
        context["hidden_now"], context["user_names"] = _log_extras(page.items)
    else:
        status = "open" if tab == "reports" else "resolved"
        query = ReportQuery(status=status, page=page_number, per_page=REPORTS_PER_PAGE)
        page = report_service.reports(db.session, me(), query)
    check_page(page)
    open_reports = (
        page.total if tab == "reports" else db.session.scalar(select(func.count()).where(Report.status == "open"))
    )
    return render_template(
        "moderation/moderation.html", page=page, open_reports=open_reports, resolve_form=ResolveForm(), **context
    )
