"""Who may do what: roles and their rank, suspensions, the moderator checks.

Pure: each takes a user row (any object with ``role`` and ``suspended_until``,
SQLAlchemy's or Django's) and answers or raises the shared ``ApiError``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from finboard.contract.errors import ApiError
from finboard.contract.transitions import hidden_evidence

ROLE_RANK = {"member": 0, "moderator": 1, "admin": 2}


def is_moderator(user) -> bool:
    return user is not None and ROLE_RANK.get(user.role, 0) >= 1


def suspended(user, now: datetime | None = None) -> bool:
    return user.suspended_until is not None and user.suspended_until > (now or datetime.now(UTC))


def suspension_message(user) -> str:
    return f"Your account is suspended until {user.suspended_until:%Y-%m-%d %H:%M} UTC: you can read but not write."


def require_writer(user) -> None:
    """403 for a suspended account: it reads but does not write."""
    if suspended(user):
        raise ApiError(403, suspension_message(user), code="suspended")


def require_moderator(user) -> None:
    if not is_moderator(user):
        raise ApiError(403, "moderators_only")


def require_acting_moderator(user) -> None:
    """A moderator who may write: a suspended moderator reads the queue and the log but acts on nothing."""
    require_moderator(user)
    require_writer(user)


def outranks(moderator, target) -> bool:
    """Whether ``moderator``'s role ranks above ``target``'s: only then may they suspend them."""
    return ROLE_RANK.get(moderator.role, 0) > ROLE_RANK.get(target.role, 0)


def check_outranks(moderator, target) -> None:
    if not outranks(moderator, target):
        raise ApiError(403, "outranked")


def check_author(user, post) -> None:
    """Who may change a post: its author (else 403), and only while not suspended."""
    if post.author_id != user.id:
        raise ApiError(403, "forbidden")
    require_writer(user)


def check_author_delete(user, post) -> None:
    """The author's delete, checked in order: the post (404; another's hidden post is gone too),
    authorship (403), a moderator's hide (403 ``hidden``: the post is kept as evidence), suspension."""
    if post is None or (post.hidden_at is not None and post.author_id != user.id):
        raise ApiError(404, "post_not_found")
    if post.author_id != user.id:
        raise ApiError(403, "forbidden")
    if post.hidden_at is not None:
        raise hidden_evidence("post")
    require_writer(user)


def check_may_comment(user, post) -> None:
    """Suspension (403), then a locked post (403 ``locked``), which moderators may still comment on."""
    require_writer(user)
    if post.locked and not is_moderator(user):
        raise ApiError(403, "locked", code="locked")

