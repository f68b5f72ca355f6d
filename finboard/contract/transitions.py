"""Every moderation and watch state transition (the TRANSITIONS table) and the answers of a repeat.

The table is the specification both persistence paths implement (SQLAlchemy in
``finboard.core.moderation_transitions``, Django in ``backends/django/forum``); the error
answers below are what a transition that changed nothing returns, the same
everywhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from finboard.contract.errors import ApiError

TRANSITIONS = """Every state transition: its guard and its answer when repeated.

The guard is the transaction's first write and decides alone: a conditional UPDATE whose row count
is checked, a DELETE ... RETURNING, an INSERT ... ON CONFLICT DO NOTHING / WHERE NOT EXISTS, or a
row lock. On PostgreSQL a concurrent identical request waits for the row lock and re-evaluates
the condition; on SQLite writers serialize. So of two identical requests exactly one changes the
row; counters move and the moderation log gets its one entry only after the guard changed a row;
the other gets the "repeat" answer (never a 500, never a double effect). The SQLAlchemy
path (finboard.core: moderation_transitions, watches, content_writes and the services calling them)
and the Django path (backends/django/forum: the modules of the same names) implement this table.

post hide (moderator)
    guard:  UPDATE posts SET hidden_at=now WHERE id AND hidden_at IS NULL; then its cashtag rows go
    repeat: 409 no_change "The post is already hidden."
post restore (moderator)
    guard:  UPDATE posts SET hidden_at=NULL WHERE id AND hidden_at IS NOT NULL; cashtag rows back
    repeat: 409 no_change "The post is not hidden."
post lock/unlock, pin/unpin (moderator)
    guard:  UPDATE posts SET flag=v WHERE id AND flag <> v
    repeat: 409 no_change "The post is already locked." (unlocked, pinned, unpinned)
post delete (moderator)
    guard:  DELETE FROM posts WHERE id (reports: ids set NULL, snapshot kept)
    repeat: 409 no_change "The post is already deleted." when the log has a delete of it, else 404
post delete (author: API, forum form)
    guard:  DELETE FROM posts WHERE id AND author_id AND hidden_at IS NULL
    repeat: 404 post_not_found; 403 code "hidden" when a moderator hid it
comment hide (moderator)
    guard:  UPDATE comments SET hidden_at=now WHERE id AND hidden_at IS NULL; then comment_count - 1
    repeat: 409 no_change "The comment is already hidden."
comment restore (moderator)
    guard:  UPDATE comments SET hidden_at=NULL WHERE id AND hidden_at IS NOT NULL; then count + 1
    repeat: 409 no_change "The comment is not hidden."
comment delete (moderator)
    guard:  DELETE FROM comments WHERE id RETURNING hidden_at; count - 1 only if it was visible
    repeat: 409 no_change "The comment is already deleted." when logged, else 404
comment delete (author, forum form)
    guard:  DELETE FROM comments WHERE id AND author_id AND hidden_at IS NULL RETURNING ...
    repeat: 404; 403 code "hidden" (a flash on the post page) when a moderator hid it
report create (member)
    guard:  row lock on the reporter (PostgreSQL), INSERT ... SELECT WHERE NOT EXISTS (open duplicate)
    repeat: 409 already_reported
report resolve (moderator)
    guard:  UPDATE reports SET status='resolved' WHERE id AND status='open'
    repeat: 409 report_resolved
user unsuspend (moderator)
    guard:  UPDATE users SET suspended_until=NULL WHERE id AND suspended_until > now
    repeat: 409 no_change "The user is not suspended."
user suspend (moderator)
    guard:  UPDATE users SET suspended_until=now+days WHERE id AND it is NULL or differs by a minute or more
    repeat: 409 no_change "The user is already suspended until <end> UTC." (a longer or shorter one applies)
post/category watch, ticker follow
    guard:  INSERT ... ON CONFLICT DO NOTHING (Django: bulk_create ignore_conflicts)
    repeat: 200, a no-op
post/category unwatch, ticker unfollow
    guard:  DELETE WHERE key
    repeat: 200, a no-op
notifications mark-read
    guard:  UPDATE notifications SET read_at=now WHERE user_id AND read_at IS NULL
    repeat: 200, a no-op

A post or comment hidden by a moderator is evidence: its author cannot delete it (403, code
``hidden``), and a report outlives the deletion of what it reports (its ids become NULL, its
snapshot ``title``/``content``/``target_author_id`` stays; migration 0006).
"""


def check_hidden_change(what: str, hidden_at, hide: bool) -> None:
    """409 when hiding a hidden ``what`` (post or comment) or restoring a visible one."""
    if (hidden_at is not None) == hide:
        raise hidden_unchanged(what, hide)


def hidden_unchanged(what: str, hide: bool) -> ApiError:
    """The 409 of a hide of a hidden post or comment, or a restore of a visible one."""
    return no_change(f"The {what} is already hidden." if hide else f"The {what} is not hidden.")


def no_change(message: str) -> ApiError:
    return ApiError(409, message, code="no_change")


# A suspend that would move the end by less than this is the same suspension again (a repeat).
SUSPENSION_SLACK = timedelta(minutes=1)


def already_suspended(until: datetime) -> ApiError:
    """The 409 of a suspend that changes nothing: the end is already (within a minute) that."""
    return no_change(f"The user is already suspended until {until:%Y-%m-%d %H:%M} UTC.")


def flag_unchanged(flag: str, value: bool) -> ApiError:
    """The 409 of a lock/unlock/pin/unpin that changes nothing."""
    return no_change(f"The post is already {'' if value else 'un'}{flag}.")


def already_deleted(what: str) -> ApiError:
    """The 409 of a moderator's delete of a post or comment a moderator already deleted."""
    return no_change(f"The {what} is already deleted.")


def hidden_evidence(what: str) -> ApiError:
    """403 to the author deleting a post or comment a moderator hid: it is kept as evidence."""
    return ApiError(403, f"{what}_hidden", code="hidden")


# Which flag each lock/unlock/pin/unpin action sets, and to what.
POST_FLAG_ACTIONS = {
    "lock": ("locked", True),
    "unlock": ("locked", False),
    "pin": ("pinned", True),
    "unpin": ("pinned", False),
}


def gone(what: str, deleted_by_moderator: bool) -> ApiError:
    """A post or comment that is not there: 409 when a moderator's delete is logged (a repeat), else 404."""
    return already_deleted(what) if deleted_by_moderator else ApiError(404, f"{what}_not_found")


def author_delete_refused(hidden_now: bool) -> ApiError:
    """Why an author's conditional DELETE removed nothing: a moderator hid it meanwhile (403) or it is gone."""
    return hidden_evidence("post") if hidden_now else ApiError(404, "post_not_found")


def suspension_end(now: datetime, days: int) -> datetime:
    """A suspension of ``days`` ends that many days from now."""
    return now + timedelta(days=days)


def suspension_summary(username: str, until: datetime) -> str:
    """The moderation log's line for a suspension."""
    return f"{username} until {until:%Y-%m-%d %H:%M} UTC"


def not_suspended() -> ApiError:
    """The 409 of lifting a suspension that is not there (a repeat, or a concurrent lift)."""
    return no_change("The user is not suspended.")

