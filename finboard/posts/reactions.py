"""Reaction buttons on the post page: one POST form per button (CSRF, no JavaScript needed).

Each button says what it will do when rendered — ``set`` a kind or ``remove`` the member's
own — so a double click repeats the same idempotent write instead of toggling twice. The
page then redirects back to the post (at the comment reacted to).
The post page's bars read their counts through ``finboard.posts.reaction_bars``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import login_required

from finboard.contract.errors import ApiError
from finboard.contract.reactions import REACTION_KINDS, REACTIONS
from finboard.core import reaction_service
from finboard.extensions import cache, db
from finboard.pages import COMMENT_ID, POST_ID, me, refused
from finboard.posts.views import bp
from finboard.ratelimits import limiter


def _requested_kind() -> str | None:
    """The form's kind for ``action=set`` (400 for another), None for ``action=remove``."""
    action = request.form.get("action", "set")
    if action == "remove":
        return None
    kind = request.form.get("kind", "")
    if action != "set" or kind not in REACTION_KINDS:
        abort(400)
    return kind


def _react(write, item_id: int, target: str):
    kind = _requested_kind()
    try:
        write(db.session, me(), item_id, kind, limiter().allow_reaction)
    except ApiError as exc:  # 404 hidden or gone, 403 suspended, 429 too many
        return refused(exc)
    cache.invalidate()
    flash("Reaction saved." if kind else "Reaction removed.", "success")
    return redirect(target, 303)


@bp.post(f"/posts/{POST_ID}/react")
@login_required
def react_to_post(post_id: int):
    return _react(reaction_service.set_post_reaction, post_id, url_for("posts.detail", post_id=post_id))


@bp.post(f"/comments/{COMMENT_ID}/react")
@login_required
def react_to_comment(comment_id: int):
    post_id = request.form.get("post_id", type=int)
    target = url_for("posts.detail", post_id=post_id, _anchor=f"comment-{comment_id}") if post_id else "/"
    return _react(reaction_service.set_comment_reaction, comment_id, target)


@bp.app_context_processor
def reaction_helpers() -> dict:
    return {"REACTIONS": REACTIONS}
