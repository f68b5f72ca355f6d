"""Who may do what: roles and their rank, suspensions, the moderator checks.

Pure: each takes a user row (any object with ``role`` and ``suspended_until``,
SQLAlchemy's or Django's) and answers or raises the shared ``ApiError``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from finboard.contract.errors import ApiError

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


def check_outranks(moderator, target) -> None:
    if ROLE_RANK.get(moderator.role, 0) <= ROLE_RANK.get(target.role, 0):
        raise ApiError(403, "outranked")
