"""A member's notifications on the Django ORM, as finboard.core.notification_service."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from finboard.contract.notifications import MarkRead, NotificationPage, NotificationQuery, UnreadCount
from finboard.contract.pagination import page_fields, page_slice
from finboard.contract.serializers import notification

from . import lookups
from .models import Notification, Post, User, UserBlock, UserMute


def _listed(user_id: int):
    """The user's notifications, less those from a member they block and ``ticker`` ones of a
    ticker they muted (as finboard.core.notification_service)."""
    blocked = UserBlock.objects.filter(blocker_id=user_id, blocked_id=OuterRef("actor_id"))
    muted = UserMute.objects.filter(user_id=user_id, kind="ticker", term=OuterRef("ticker"))
    return Notification.objects.filter(user_id=user_id).exclude(Exists(blocked)).exclude(Exists(muted))


def unread_count(user_id: int) -> int:
    return _listed(user_id).filter(read_at__isnull=True).count()


def notifications(user: User, query: NotificationQuery) -> NotificationPage:
    chosen = _listed(user.id)
    if query.unread:
        chosen = chosen.filter(read_at__isnull=True)
    total = chosen.count()
    rows = list(chosen.order_by("-id")[page_slice(query)])
    actors = lookups.users_by_id({r.actor_id for r in rows})
    shown = Post.objects.filter(id__in={r.post_id for r in rows}, hidden_at__isnull=True)
    titles = dict(shown.values_list("id", "title"))  # a hidden post's title stays hidden
    return NotificationPage(
        items=[notification(r, actors, titles) for r in rows],
        **page_fields(query, total),
        unread=unread_count(user.id),
    )


def mark_read(user: User, payload: MarkRead) -> UnreadCount:
    """Mark the given notifications (only the user's own; others are ignored) or all of them read."""
    with transaction.atomic():
        unread = Notification.objects.filter(user_id=user.id, read_at__isnull=True)
        if payload.ids is not None:
            unread = unread.filter(id__in=payload.ids)
        unread.update(read_at=timezone.now())
        return UnreadCount(unread=unread_count(user.id))
