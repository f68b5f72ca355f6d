"""A member's own pages: notifications, their profile's bio, the watches they keep, and the header
every page shows them (the bell, the moderation link, the suspension banner).

Thin views over ``finboard.core``'s notification, profile and watch services. Every POST
carries a CSRF token (CSRFProtect).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from finboard.contract.errors import ApiError
from finboard.contract.notifications import MarkRead, NotificationQuery
from finboard.contract.pagination import PageQuery
from finboard.contract.permissions import suspended, suspension_message
from finboard.contract.request_parsing import validate
from finboard.contract.users import ProfileUpdate
from finboard.core import notification_service, profile_service, watch_service
from finboard.core.models import Post, User
from finboard.extensions import db
from finboard.members import bp
from finboard.members.blocking import member_header
from finboard.members.forms import BioForm
from finboard.moderation.forms import SuspendForm, UnsuspendForm
from finboard.pages import (
    POST_ID,
    back,
    check_page,
    may_suspend,
    me,
    page_arg,
    previewing,
    refused,
    viewer,
    viewer_is_moderator,
)

NOTIFICATIONS_PER_PAGE = 20


PROFILE_COMMENTS = 5


@bp.app_context_processor
def community_header():
    def unread_notifications() -> int:
        """One indexed count (the partial index on unread rows), read with the session
        (``member_header``); 0 if the database is down."""
        if not current_user.is_authenticated:
            return 0
        try:
            return member_header(current_user.id).unread_notifications
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


def _switch_watch(set_watch, subject, what: str, news: str, page: str):
    """Start (the form's ``watch`` is not "0") or stop watching ``subject``, then flash and go back."""
    watching = request.form.get("watch", "1") != "0"
    try:
        set_watch(db.session, me(), subject, watching)
    except ApiError as exc:
        return refused(exc)
    if watching:
        flash(f"You are watching this {what}: {news} show up in your notifications.", "success")
    else:
        flash(f"You stopped watching this {what}.", "info")
    return back(page)


@bp.post(f"/posts/{POST_ID}/watch")
@login_required
def watch_post(post_id: int):
    page = url_for("posts.detail", post_id=post_id)
    return _switch_watch(watch_service.watch_post, post_id, "post", "new comments", page)


@bp.post("/c/<slug>/watch")
@login_required
def watch_category(slug: str):
    page = url_for("posts.category", slug=slug)
    return _switch_watch(watch_service.watch_category, slug, "category", "new posts", page)


@bp.get("/notifications")
@login_required
def notifications():
    page = notification_service.notifications(
        db.session, me(), NotificationQuery(page=page_arg(), per_page=NOTIFICATIONS_PER_PAGE)
    )
    check_page(page)
    return render_template("members/notifications.html", page=page)


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
    return back(url_for("members.notifications"))


def profile_context(user: User) -> dict:
    """What the member's page (``posts.author``) shows beside their posts."""
    profile = profile_service.profile(db.session, user.username)
    recent = profile_service.user_comments(db.session, user.username, PageQuery(page=1, per_page=PROFILE_COMMENTS))
    post_ids = {c.post_id for c in recent.items}
    titles = {}
    if post_ids:
        titles = dict(db.session.execute(select(Post.id, Post.title).where(Post.id.in_(post_ids))).all())
    moderator = viewer()
    can_suspend = may_suspend(moderator, user)
    return {
        "profile": profile,
        "recent_comments": recent,
        "comment_titles": titles,
        "is_owner": moderator is not None and moderator.id == user.id,
        "can_suspend": can_suspend,
        "suspended": suspended(user),
        # Only for a moderator who may use them: building a form makes a CSRF token, whose
        # secret would set a session cookie on every visitor (and keep the page uncached).
        "suspend_form": SuspendForm(formdata=None) if can_suspend else None,
        "unsuspend_form": UnsuspendForm(formdata=None) if can_suspend else None,
    }


@bp.route("/profile/edit", methods=["GET", "POST"])
@login_required
def edit_profile():
    user = me()
    form = BioForm(data={"bio": user.bio} if request.method == "GET" else None)
    if previewing():
        return render_template("members/profile_edit.html", form=form, preview=form.bio.data or "")
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
            return render_template("members/profile_edit.html", form=form), exc.status
        flash("Profile updated.", "success")
        return redirect(url_for("posts.author", username=user.username))
    return render_template("members/profile_edit.html", form=form), 422 if form.errors else 200
