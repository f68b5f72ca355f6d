"""Unread and saved on the forum: "N new comments" on cards, bookmarks, opening a notification.

**Cards.** ``reading_marks(items)`` (a template global) gives the logged-in member's marks of a
listing page's posts — new-comment counts and bookmarks — in one query for the page, applied
over the shared cached page like the blocks filter (``finboard.members.blocking``): the cached
documents and their keys stay everyone's, and a visitor pays nothing (no query at all).

**Opening a notification** is ``GET /notifications/<id>/open``: it marks that notification read
and redirects to its post or comment. A GET with an effect, on purpose: the link must work as a
link (open in a new tab, middle-click), and the only effect is idempotent, limited to the
viewer's own notification (another member's id is a 404) and is what reading it does anyway —
a forged cross-site request can at worst mark one of your notifications read. The target is
built on the server from the notification's own row (never from the request), so the redirect
cannot leave the site.

**Bookmarks.** ``POST /posts/<id>/bookmark`` (CSRF, ``bookmark`` = 1 or 0, idempotent: the
primary key makes a double click one row) and ``/bookmarks``, newest bookmark first, by
keyset (``?cursor=``).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import login_required
from pydantic import ValidationError

from finboard.contract.errors import ApiError
from finboard.contract.limits import MAX_ID
from finboard.contract.notifications import MarkRead
from finboard.contract.reading import BookmarkQuery
from finboard.core import notification_service, reading_service
from finboard.core.models import Notification
from finboard.core.reading_service import NO_MARKS, CardMarks
from finboard.extensions import db
from finboard.members import bp
from finboard.pages import POST_ID, back, me, refused, viewer

BOOKMARKS_PER_PAGE = 20


def reading_marks(items) -> dict[int, CardMarks]:
    """The member's marks of these posts, read once per request; empty (no query) for a visitor."""
    user = viewer()
    if user is None or not items:
        return {}
    kept = g.setdefault("reading_marks", {})
    ids = [item.id for item in items if item.id not in kept]
    if ids:
        kept.update(reading_service.card_marks(db.session, user.id, ids))
    return kept


@bp.app_context_processor
def reading_context():
    return {"reading_marks": reading_marks, "no_marks": NO_MARKS}


@bp.get(f"/notifications/<int(max={MAX_ID}):notification_id>/open")
@login_required
def open_notification(notification_id: int):
    user = me()
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        abort(404)
    if notification.read_at is None:
        notification_service.mark_read(db.session, user, MarkRead(ids=[notification_id]))
    if notification.comment_id:
        return redirect(url_for("posts.comment_link", comment_id=notification.comment_id))
    return redirect(url_for("posts.detail", post_id=notification.post_id))


@bp.post(f"/posts/{POST_ID}/bookmark")
@login_required
def bookmark_post(post_id: int):
    bookmarking = request.form.get("bookmark", "1") != "0"
    try:
        reading_service.set_bookmark(db.session, me(), post_id, bookmarking)
    except ApiError as exc:
        return refused(exc)
    flash("Bookmarked: find it on your Bookmarks page." if bookmarking else "Bookmark removed.", "success")
    return back(url_for("posts.detail", post_id=post_id))


@bp.get("/bookmarks")
@login_required
def bookmarks():
    try:
        query = BookmarkQuery.model_validate({"cursor": request.args.get("cursor"), "per_page": BOOKMARKS_PER_PAGE})
    except ValidationError:
        abort(400)  # not one of our links
    page = reading_service.bookmarks(db.session, me(), query)
    return render_template("members/bookmarks.html", page=page, first_page=query.cursor is None)


@bp.get(f"/posts/{POST_ID}/unread")
@login_required
def first_unread(post_id: int):
    """A card's "N new comments": the first of them on its page (which marks the post read), or the post."""
    try:
        state = reading_service.read_state_of(db.session, me(), post_id)
    except ApiError as exc:
        return refused(exc)
    if state.first_unread_comment_id:
        return redirect(url_for("posts.comment_link", comment_id=state.first_unread_comment_id))
    return redirect(url_for("posts.detail", post_id=post_id))
