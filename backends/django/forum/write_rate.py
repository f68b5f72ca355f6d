"""The hourly write allowance (``finboard.contract.allowances``) counted on the Django ORM."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from finboard.contract.allowances import check_hourly_allowance, hourly_limit
from finboard.settings import Settings

from .models import Comment, Post, User


def check_write_rate(settings: Settings, user: User, kind: str) -> None:
    """429 once the account wrote its hourly allowance of posts or comments (one indexed count)."""
    now = timezone.now()
    limit = hourly_limit(user, settings, kind, now)
    model = Post if kind == "post" else Comment
    recent = model.objects.filter(author_id=user.id, created_at__gt=now - timedelta(hours=1))
    check_hourly_allowance(user, settings, kind, now, limit, recent.order_by()[: limit + 1].count())
