"""A ticker's activity and sentiment statistics on the Django ORM, as finboard.core.market_service."""

from __future__ import annotations

from datetime import UTC

from django.db.models import Case, Count, IntegerField, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from finboard.contract.cashtags import ticker_in_path
from finboard.contract.market import CashtagStats
from finboard.contract.serializers import cashtag_stats as cashtag_stats_schema
from finboard.contract.serializers import cashtag_windows

from .models import CashtagCounter, PostCashtag, TickerFollow


def cashtag_stats(raw: str) -> CashtagStats:
    """Posts per day over 30 days and the bullish/bearish split over 7 and 30 days (visible posts)."""
    ticker = ticker_in_path(raw)
    today, start, week, month = cashtag_windows(timezone.now())
    post_count = CashtagCounter.objects.filter(ticker=ticker).values_list("post_count", flat=True).first() or 0
    followers = TickerFollow.objects.filter(ticker=ticker).count()
    per_day = dict(
        PostCashtag.objects.filter(ticker=ticker, created_at__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(posts=Count("*"))
        .values_list("day", "posts")
    )
    split = (
        PostCashtag.objects.filter(ticker=ticker, created_at__gte=month, post__sentiment__isnull=False)
        .values("post__sentiment")
        .annotate(
            week=Sum(Case(When(created_at__gte=week, then=Value(1)), default=Value(0), output_field=IntegerField())),
            month=Count("*"),
        )
        .values_list("post__sentiment", "week", "month")
    )
    return cashtag_stats_schema(ticker, post_count, followers, today, per_day, split)
