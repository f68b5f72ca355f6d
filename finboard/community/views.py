"""The community pages: notifications, moderation, reports, watches, profiles, edit history.

Thin views over ``finboard.core``'s profile, report, moderation, notification and watch
services (the same use cases as the JSON API), so a page and an API call obey the same rules
and write the same rows. A refused use case (``ApiError``) becomes the rule's own message: a flash
and a redirect back for a form on another page, the friendly error page with
the rule's status otherwise. Every POST carries a CSRF token (CSRFProtect).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from finboard.community.forms import BioForm, ReportForm, ResolveForm, SuspendForm, UnsuspendForm
from finboard.contract.comments import CommentPage
from finboard.contract.errors import ApiError
from finboard.contract.limits import MAX_ID, PAGE_MAX
from finboard.contract.moderation import (
    CommentModeration,
    PostModeration,
    ReportCreate,
    ReportQuery,
    ReportResolve,
    UserModeration,
)
from finboard.contract.notifications import MarkRead, NotificationQuery
from finboard.contract.pagination import PageQuery
from finboard.contract.permissions import ROLE_RANK, is_moderator, require_moderator, suspended, suspension_message
from finboard.contract.posts import PostPublic, RevisionList
from finboard.contract.request_parsing import validate
from finboard.contract.serializers import comment_page, excerpt, post_public
from finboard.contract.transitions import already_deleted
from finboard.contract.users import ProfileUpdate
from finboard.core import (
    api_service,
    lookups,
    moderation_service,
    moderation_transitions,
    notification_service,
    profile_service,
    report_service,
    watch_service,
)
from finboard.core.models import Comment, Post, Report, User
from finboard.extensions import cache, db
from finboard.redirects import safe_next_url

bp = Blueprint("community", __name__)

POST_ID = f"<int(max={MAX_ID}):post_id>"
COMMENT_ID = f"<int(max={MAX_ID}):comment_id>"
REPORT_ID = f"<int(max={MAX_ID}):report_id>"
NOTIFICATIONS_PER_PAGE = 20
REPORTS_PER_PAGE = 20
LOG_PER_PAGE = 30
PROFILE_COMMENTS = 5
COMMENTS_PER_PAGE = 50  # the post page's comment pages (finboard.posts.views)
MODERATION_TABS = ("reports", "resolved", "log")

ERROR_TITLES = {403: "Not allowed", 409: "Already done", 422: "Check the form", 429: "Slow down"}
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


# --- helpers shared with finboard.posts.views ------------------------------------------


def me() -> User:
    return current_user._get_current_object()


def viewer() -> User | None:
    """The logged-in user, or None for a visitor."""
    return me() if current_user.is_authenticated else None


def viewer_is_moderator() -> bool:
    return is_moderator(viewer())


def outranks(moderator: User | None, target: User) -> bool:
    """Whether the suspend/unsuspend form is offered (``community.check_outranks`` decides)."""
    if moderator is None or not is_moderator(moderator):
        return False
    return ROLE_RANK.get(moderator.role, 0) > ROLE_RANK.get(target.role, 0)


def refused(exc: ApiError):
    """A refused use case as the friendly error page, with the rule's status and message."""
    db.session.rollback()
    if exc.status == 404:
        abort(404)
    title = ERROR_TITLES.get(exc.status, "Not allowed")
    return render_template("error.html", status=exc.status, title=title, message=exc.message), exc.status


def back(default: str):
    """Redirect to the form's ``next`` when it stays on this site, else ``default``."""
    return redirect(safe_next_url(request.form.get("next") or request.args.get("next")) or default)


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


def hidden_post(post_id: int) -> tuple[PostPublic, datetime] | None:
    """A hidden post for a moderator, read with the ORM (the cached read path never serves it)."""
    row = db.session.scalars(
        select(Post)
        .options(joinedload(Post.author), joinedload(Post.category))
        .where(Post.id == post_id, Post.hidden_at.is_not(None))
    ).first()
    return (post_public(row), row.hidden_at) if row is not None else None


def hidden_post_comments(post_id: int, query: PageQuery) -> CommentPage:
    """A hidden post's visible comments, oldest first, for a moderator (the cached reads 404 there)."""
    total = db.session.scalar(select(Post.comment_count).where(Post.id == post_id)) or 0
    rows = db.session.scalars(
        select(Comment)
        .options(joinedload(Comment.author))
        .where(Comment.post_id == post_id, Comment.hidden_at.is_(None))
        .order_by(Comment.created_at, Comment.id)
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    ).all()
    return comment_page(rows, query, total)


def _page_arg() -> int:
    page = request.args.get("page", 1, type=int)
    return min(max(page or 1, 1), PAGE_MAX)


def _check_page(page) -> None:
    if page.page > max(page.pages, 1):
        abort(404)


# --- header: the bell, the moderation link, the suspension banner ----------------------------


@bp.app_context_processor
def community_header():
    def unread_notifications() -> int:
        """One indexed count (the partial index on unread rows); 0 if the database is down."""
        if not current_user.is_authenticated:
            return 0
        try:
            return notification_service.unread_count(db.session, current_user.id)
        except Exception:  # noqa: BLE001 - the error page for an outage renders the header too
            db.session.rollback()
            return 0

    def suspension_notice() -> str | None:
        user = viewer()
        return suspension_message(user) if user is not None and suspended(user) else None

    return {
        "unread_notifications": unread_notifications,
        "suspension_notice": suspension_notice,
        "viewer_is_moderator": viewer_is_moderator,
    }


# --- edit history -----------------------------------------------------------------------------


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
    return render_template("community/history.html", post=post, revisions=revisions.items)


# --- watches ------------------------------------------------------------------------------------


def _watching_flag() -> bool:
    return request.form.get("watch", "1") != "0"


@bp.post(f"/posts/{POST_ID}/watch")
@login_required
def watch_post(post_id: int):
    watching = _watching_flag()
    try:
        watch_service.watch_post(db.session, me(), post_id, watching)
    except ApiError as exc:
        return refused(exc)
    if watching:
        flash("You are watching this post: new comments show up in your notifications.", "success")
    else:
        flash("You stopped watching this post.", "info")
    return back(url_for("posts.detail", post_id=post_id))


@bp.post("/c/<slug>/watch")
@login_required
def watch_category(slug: str):
    watching = _watching_flag()
    try:
        watch_service.watch_category(db.session, me(), slug, watching)
    except ApiError as exc:
        return refused(exc)
    if watching:
        flash("You are watching this category: new posts show up in your notifications.", "success")
    else:
        flash("You stopped watching this category.", "info")
    return back(url_for("posts.category", slug=slug))


# --- comment links ------------------------------------------------------------------------------


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


# --- reports ----------------------------------------------------------------------------------


def _report_page(form: ReportForm, post_id: int, comment: Comment | None, status: int = 200):
    post = db.session.get(Post, post_id)
    subject = excerpt(comment.body if comment is not None else post.body)
    return (
        render_template("community/report.html", form=form, post=post, comment=comment, excerpt=subject),
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


# --- moderation actions -------------------------------------------------------------------------


def _require_moderator():
    """None for a moderator, else the 403 page (checked before anything else is read)."""
    try:
        require_moderator(me())
    except ApiError as exc:
        return refused(exc)
    return None


@bp.post(f"/moderation/posts/{POST_ID}")
@login_required
def moderate_post(post_id: int):
    denied = _require_moderator()
    if denied:
        return denied
    post_page = url_for("posts.detail", post_id=post_id)
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
    queue = url_for("community.moderation")
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


# --- the moderation page ----------------------------------------------------------------------------


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
    page_number = _page_arg()
    context: dict = {"tab": tab}
    if tab == "log":
        page = moderation_service.moderation_log(db.session, me(), PageQuery(page=page_number, per_page=LOG_PER_PAGE))
        context["hidden_now"], context["user_names"] = _log_extras(page.items)
    else:
        status = "open" if tab == "reports" else "resolved"
        query = ReportQuery(status=status, page=page_number, per_page=REPORTS_PER_PAGE)
        page = report_service.reports(db.session, me(), query)
    _check_page(page)
    open_reports = (
        page.total if tab == "reports" else db.session.scalar(select(func.count()).where(Report.status == "open"))
    )
    return render_template(
        "community/moderation.html", page=page, open_reports=open_reports, resolve_form=ResolveForm(), **context
    )


# --- notifications --------------------------------------------------------------------------------


@bp.get("/notifications")
@login_required
def notifications():
    page = notification_service.notifications(
        db.session, me(), NotificationQuery(page=_page_arg(), per_page=NOTIFICATIONS_PER_PAGE)
    )
    _check_page(page)
    return render_template("community/notifications.html", page=page)


@bp.post("/notifications/read")
@login_required
def mark_read():
    raw = request.form.get("id", "").strip()
    try:
        payload = validate(MarkRead, {"ids": [raw]} if raw else {})
    except ApiError:
        abort(400)
    notification_service.mark_read(db.session, me(), payload)
    if payload.ids is None:
        flash("All notifications marked read.", "success")
    return back(url_for("community.notifications"))


# --- profiles ---------------------------------------------------------------------------------------


def profile_context(user: User) -> dict:
    """What the member's page (``posts.author``) shows beside their posts."""
    profile = profile_service.profile(db.session, user.username)
    recent = profile_service.user_comments(db.session, user.username, PageQuery(page=1, per_page=PROFILE_COMMENTS))
    post_ids = {c.post_id for c in recent.items}
    titles = {}
    if post_ids:
        titles = dict(db.session.execute(select(Post.id, Post.title).where(Post.id.in_(post_ids))).all())
    moderator = viewer()
    return {
        "profile": profile,
        "recent_comments": recent,
        "comment_titles": titles,
        "is_owner": moderator is not None and moderator.id == user.id,
        "can_suspend": outranks(moderator, user),
        "suspended": suspended(user),
        "suspend_form": SuspendForm(formdata=None),
        "unsuspend_form": UnsuspendForm(formdata=None),
    }


@bp.route("/profile/edit", methods=["GET", "POST"])
@login_required
def edit_profile():
    user = me()
    form = BioForm(data={"bio": user.bio} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            profile_service.update_profile(
                db.session, user, validate(ProfileUpdate, {"bio": (form.bio.data or "").strip()})
            )
        except ApiError as exc:
            db.session.rollback()
            if exc.status == 422 and "bio" in exc.fields:
                form.bio.errors = [*form.bio.errors, exc.fields["bio"]]
            else:
                flash(exc.message, "error")
            return render_template("community/profile_edit.html", form=form), exc.status
        flash("Profile updated.", "success")
        return redirect(url_for("posts.author", username=user.username))
    return render_template("community/profile_edit.html", form=form), 422 if form.errors else 200
