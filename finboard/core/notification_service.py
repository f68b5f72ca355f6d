"""A member's notifications: the page, the unread count, marking them read.

Not cached: they are per user. The fan-out that inserts them is ``finboard.core.community``.
"""

from __future__ import annotations

from sqlalchemy import Integer, and_, bindparam, exists, func, select, update
from sqlalchemy.orm import Session

from finboard.contract.notifications import MarkRead, NotificationPage, NotificationQuery, UnreadCount
from finboard.contract.pagination import page_fields
from finboard.contract.serializers import notification
from finboard.core import lookups
from finboard.core.models import Notification, Post, User, UserBlock, UserMute, utcnow


def _unmuted(user_id: int):
    """Not from a member the user blocks (older than the block: the fan-out skips newer ones),
    nor a ``ticker`` notification of a ticker they muted (``finboard.contract.blocks``)."""
    blocked = exists().where(UserBlock.blocker_id == user_id, UserBlock.blocked_id == Notification.actor_id)
    muted = exists().where(UserMute.user_id == user_id, UserMute.kind == "ticker", UserMute.term == Notification.ticker)
    return and_(~blocked, ~muted)


# The bell's count, built once for every page a member sees (``unread_count``, and the columns
# the session's read adds in ``finboard.core.header_reads``): one bound ``user_id``.
MEMBER_ID = bindparam("user_id", type_=Integer)
UNREAD_COUNT = select(func.count()).where(
    Notification.user_id == MEMBER_ID, Notification.read_at.is_(None), _unmuted(MEMBER_ID)
)


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(UNREAD_COUNT, {"user_id": user_id})


def notifications(session: Session, user: User, query: NotificationQuery) -> NotificationPage:
    chosen = select(Notification).where(Notification.user_id == user.id, _unmuted(user.id))
    if query.unread:
        chosen = chosen.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(chosen.subquery()))
    rows = list(
        session.scalars(
            chosen.order_by(Notification.id.desc()).limit(query.per_page).offset((query.page - 1) * query.per_page)
        )
    )
    actors = lookups.users_by_id(session, {r.actor_id for r in rows})
    shown = select(Post.id, Post.title).where(Post.id.in_({r.post_id for r in rows}), Post.hidden_at.is_(None))
    titles = dict(session.execute(shown).all())  # a hidden post's title stays hidden
    return NotificationPage(
        items=[notification(r, actors, titles) for r in rows],
        **page_fields(query, total),
        unread=unread_count(session, user.id),
    )


def mark_read(session: Session, user: User, payload: MarkRead) -> UnreadCount:
    """Mark the given notifications (only the user's own; others are ignored) or all of them read."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if payload.ids is not None:
        stmt = stmt.where(Notification.id.in_(payload.ids))
    session.execute(stmt.values(read_at=utcnow()))
    result = UnreadCount(unread=unread_count(session, user.id))
    session.commit()
    return result
