"""The notification fan-out on a sync SQLAlchemy session: who is told of a new post or comment.

Who is told is the contract's rule (``finboard.contract.notifications``); this module reads the
watchers, followers and mentioned members and inserts their notifications in the writer's
transaction. The Django adapter's ``forum/community.py`` does the same in its ORM.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finboard.contract.mentions import mentioned_usernames
from finboard.contract.notifications import Recipient, new_comment_recipients, new_post_recipients
from finboard.core.models import (
    CategoryWatch,
    Comment,
    Notification,
    Post,
    PostWatch,
    TickerFollow,
    User,
    utcnow,
)

# --- notifications -----------------------------------------------------------------


def _mentioned_ids(session: Session, *texts: str) -> list[int]:
    names = mentioned_usernames(*texts)
    if not names:
        return []
    return list(session.scalars(select(User.id).where(func.lower(User.username).in_(names)).order_by(User.id)))


def _insert_notifications(session: Session, recipients: list[Recipient], **event) -> None:
    now = utcnow()
    session.add_all(
        Notification(user_id=user_id, kind=kind, ticker=ticker, created_at=now, **event)
        for user_id, kind, ticker in recipients
    )


def notify_new_post(session: Session, post: Post, author: User) -> None:
    watchers = select(CategoryWatch.user_id).where(CategoryWatch.category_id == post.category_id)
    tickers = post.cashtag_list
    follows = (
        session.execute(select(TickerFollow.user_id, TickerFollow.ticker).where(TickerFollow.ticker.in_(tickers)))
        if tickers
        else []
    )
    recipients = new_post_recipients(
        author.id,
        _mentioned_ids(session, post.title, post.body),
        list(session.scalars(watchers)),
        [tuple(row) for row in follows],
        tickers,
    )
    _insert_notifications(session, recipients, actor_id=author.id, post_id=post.id, comment_id=None)


def notify_new_comment(session: Session, post: Post, comment: Comment, author: User) -> None:
    watchers = select(PostWatch.user_id).where(PostWatch.post_id == post.id)
    recipients = new_comment_recipients(
        author.id, _mentioned_ids(session, comment.body), post.author_id, list(session.scalars(watchers))
    )
    _insert_notifications(session, recipients, actor_id=author.id, post_id=post.id, comment_id=comment.id)
