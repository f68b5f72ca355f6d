"""The notification fan-out on the Django ORM: who is told of a new post or comment.

Who is told is the contract's rule (``finboard.contract.notifications``); this module reads the
watchers, followers and mentioned members and inserts their notifications, statement for
statement like ``finboard.core.community``.
"""

from __future__ import annotations

from django.db.models.functions import Lower
from django.utils import timezone

from finboard.contract.mentions import mentioned_usernames
from finboard.contract.notifications import Recipient, new_comment_recipients, new_post_recipients

from .models import (
    CategoryWatch,
    Comment,
    Notification,
    Post,
    PostWatch,
    TickerFollow,
    User,
)

# --- notifications -----------------------------------------------------------------


def _mentioned_ids(*texts: str) -> list[int]:
    names = mentioned_usernames(*texts)
    if not names:
        return []
    users = User.objects.alias(username_lower=Lower("username")).filter(username_lower__in=names)
    return list(users.order_by("id").values_list("id", flat=True))


def _insert_notifications(recipients: list[Recipient], **event) -> None:
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(user_id=user_id, kind=kind, ticker=ticker, created_at=now, **event)
        for user_id, kind, ticker in recipients
    )


def notify_new_post(post: Post, author: User) -> None:
    tickers = post.cashtag_list
    follows = TickerFollow.objects.filter(ticker__in=tickers).values_list("user_id", "ticker") if tickers else []
    recipients = new_post_recipients(
        author.id,
        _mentioned_ids(post.title, post.body),
        list(CategoryWatch.objects.filter(category_id=post.category_id).values_list("user_id", flat=True)),
        list(follows),
        tickers,
    )
    _insert_notifications(recipients, actor_id=author.id, post_id=post.id, comment_id=None)


def notify_new_comment(post: Post, comment: Comment, author: User) -> None:
    watchers = list(PostWatch.objects.filter(post_id=post.id).values_list("user_id", flat=True))
    recipients = new_comment_recipients(author.id, _mentioned_ids(comment.body), post.author_id, watchers)
    _insert_notifications(recipients, actor_id=author.id, post_id=post.id, comment_id=comment.id)
