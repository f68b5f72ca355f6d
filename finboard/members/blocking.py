"""Blocks and mutes on the forum: the member's filter over the pages, and managing it.

**The filter is applied over the shared cached pages, never inside them.** Listings,
search and cashtag pages are one cached document per query for everyone
(``finboard.reads``); the logged-in member's ``MemberFilter`` (``finboard.contract.blocks``)
is read once per request, in the same statement as the member's session and the bell's
count (``finboard.core.header_reads``; never for a visitor), and applied to the page's
items as they are rendered: muted posts are left out
(the page says how many), a blocked member's posts and comments are collapsed in a
``<details>`` the reader can open. So the cache keys and entries are exactly those of
everyone else, a member without blocks or mutes reads the same entries as before, and no
one's blocks cost another member anything. A page may show fewer than its 20 posts; the
pager is the shared page's (no refill: a refill would be a per-member query and key).

Managing: ``/settings/blocks`` (a standalone page; its body is the partial
``settings/_blocks.html`` for the settings page) and the Block/Unblock button on a profile.
Every POST carries the CSRF token; the rules' refusals come back as flashed messages.
"""

from __future__ import annotations

from flask import flash, g, render_template, request, url_for
from flask_login import login_required

from finboard.confirmation import ask_to_confirm, confirmed
from finboard.contract.blocks import NO_FILTER, MemberFilter
from finboard.contract.errors import ApiError
from finboard.core import block_service, header_reads
from finboard.extensions import db
from finboard.members import bp
from finboard.pages import back, me, refused, viewer


def member_header(user_id: int) -> header_reads.MemberHeader:
    """The member's bell count and filter: as ``load_user`` read them with the session, or (a user
    logged in by this very request) read now in one round trip; once per request either way."""
    headers = g.setdefault("member_headers", {})
    header = headers.get(user_id)
    if header is None:
        header = headers[user_id] = header_reads.member_header(db.session, user_id)
    return header


def viewer_filter() -> MemberFilter:
    """The logged-in member's blocks and mutes (none for a visitor)."""
    user = viewer()
    return NO_FILTER if user is None else member_header(user.id).member_filter


def is_blocked(user_id: int) -> bool:
    return viewer_filter().blocks(user_id)


@bp.app_context_processor
def blocking_context():
    return {"viewer_filter": viewer_filter}


def _settings_page() -> str:
    return url_for("members.blocks")


def _refused_flash(exc: ApiError, page: str):
    """A 422 (yourself, a full list, a bad word) is a message on ``page``; others the error page."""
    db.session.rollback()
    if exc.status != 422:
        return refused(exc)
    flash(next(iter(exc.fields.values()), exc.message), "error")
    return back(page)


@bp.get("/settings/blocks")
@login_required
def blocks():
    user = me()
    return render_template(
        "settings/blocks.html",
        blocked=block_service.block_list(db.session, user),
        mutes=block_service.mute_list(db.session, user),
    )


def _switch_block(username: str, blocking: bool):
    try:
        listed = block_service.set_block(db.session, me(), username, blocking)
    except ApiError as exc:
        return _refused_flash(exc, url_for("posts.author", username=username))
    name = next((n for n in listed.usernames if n.lower() == username.lower()), username)
    if blocking:
        flash(
            f"You blocked {name}: their posts are collapsed and they can't notify you or comment on your posts.",
            "success",
        )
    else:
        flash(f"You unblocked {name}.", "info")
    return back(url_for("posts.author", username=username))


@bp.post("/u/<username>/block")
@login_required
def block(username: str):
    return _switch_block(username, True)


@bp.post("/u/<username>/unblock")
@login_required
def unblock(username: str):
    if not confirmed():  # unblocking lets them notify you again: a second step first
        return ask_to_confirm(
            f"Unblock {username}?",
            "Yes, unblock",
            url_for("posts.author", username=username),
            "Their posts show again, and they can mention you and comment on your posts.",
        )
    return _switch_block(username, False)


def _switch_mute(muting: bool):
    kind = request.form.get("kind", "word")
    if kind not in ("word", "ticker"):
        kind = "word"
    try:
        block_service.set_mute(db.session, me(), kind, request.form.get("term", ""), muting)
    except ApiError as exc:
        return _refused_flash(exc, _settings_page())
    flash("Muted: matching posts are hidden from your pages." if muting else "Unmuted.", "success")
    return back(_settings_page())


@bp.post("/settings/blocks/mute")
@login_required
def mute():
    return _switch_mute(True)


@bp.post("/settings/blocks/unmute")
@login_required
def unmute():
    return _switch_mute(False)
