"""What the settings page reads and writes besides two-factor login: a member's
sessions and notification preferences, and the avatar column.

Every write is scoped to the member (``user_id`` in its WHERE clause), so a session id
or a form from someone else changes nothing. The callers commit.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from finboard.contract.notifications import (
    DEFAULT_DELIVERY,
    NotificationPreferences,
    NotificationPreferencesUpdate,
    preferences_public,
)
from finboard.core.account_models import DELIVERIES, NotificationPreference
from finboard.core.models import User, UserSession, utcnow


def active_sessions(session: Session, user_id: int) -> list[UserSession]:
    """The member's sessions not revoked, most recently seen first."""
    statement = (
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return list(session.scalars(statement))


def revoke_session(session: Session, user_id: int, session_id: int) -> bool:
    """End one of the member's own sessions; False when it is not theirs or already ended."""
    statement = (
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1


def notification_preferences(session: Session, user_id: int) -> dict[str, str]:
    """Kind → delivery for the kinds the member changed (the others are ``in_app``)."""
    statement = select(NotificationPreference.kind, NotificationPreference.delivery).where(
        NotificationPreference.user_id == user_id
    )
    return {kind: delivery for kind, delivery in session.execute(statement)}


def _lock(session: Session, user: User) -> None:
    session.execute(select(User.id).where(User.id == user.id).with_for_update())


def set_notification_preferences(session: Session, user: User, choices: dict[str, str]) -> None:
    """Replace the member's preferences; only those other than the default are stored.
    The member's row is locked first, so two saves at once apply one after the other."""
    if any(delivery not in DELIVERIES for delivery in choices.values()):
        raise ValueError("unknown delivery")
    _lock(session, user)
    session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user.id))
    session.add_all(
        NotificationPreference(user_id=user.id, kind=kind, delivery=delivery)
        for kind, delivery in sorted(choices.items())
        if delivery != DEFAULT_DELIVERY
    )


def preferences(session: Session, user: User) -> NotificationPreferences:
    return preferences_public(notification_preferences(session, user.id))


def update_preferences(session: Session, user: User, payload: NotificationPreferencesUpdate) -> NotificationPreferences:
    """The API's PATCH: the kinds sent change, the others keep their delivery. Commits. The
    member's row is locked before the current choices are read, so two PATCHes at once both apply."""
    _lock(session, user)
    set_notification_preferences(session, user, {**notification_preferences(session, user.id), **payload.preferences})
    session.commit()
    return preferences(session, user)
