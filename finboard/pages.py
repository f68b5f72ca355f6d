"""What the forum's page blueprints share: who is viewing, and how a page answers a refused use case.

A refused use case (``ApiError``) becomes the rule's own message: the friendly error page with
the rule's status, or a redirect back to the form's page.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request
from flask_login import current_user

from finboard.contract.errors import ApiError
from finboard.contract.limits import MAX_ID, PAGE_MAX
from finboard.contract.permissions import is_moderator, outranks
from finboard.core.models import User
from finboard.extensions import db
from finboard.redirects import safe_next_url

# Ids are 32-bit columns: a larger id in a URL is simply not found (never a
# database error).
POST_ID = f"<int(max={MAX_ID}):post_id>"
COMMENT_ID = f"<int(max={MAX_ID}):comment_id>"
REPORT_ID = f"<int(max={MAX_ID}):report_id>"
ERROR_TITLES = {403: "Not allowed", 409: "Already done", 422: "Check the form", 429: "Slow down"}


def me() -> User:
    return current_user._get_current_object()


def previewing() -> bool:
    """The form's Preview button was pressed: show the rendered Markdown above the form, save nothing."""
    return request.method == "POST" and "preview" in request.form


def viewer() -> User | None:
    """The logged-in user, or None for a visitor."""
    return me() if current_user.is_authenticated else None


def viewer_is_moderator() -> bool:
    return is_moderator(viewer())


def may_suspend(moderator: User | None, target: User) -> bool:
    """Whether the suspend/unsuspend form is offered (``contract.permissions.check_outranks`` decides)."""
    return moderator is not None and is_moderator(moderator) and outranks(moderator, target)


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


def page_arg() -> int:
    page = request.args.get("page", 1, type=int)
    return min(max(page or 1, 1), PAGE_MAX)


def check_page(page) -> None:
    if page.page > max(page.pages, 1):
        abort(404)
