"""A ticker's activity and sentiment statistics on the Django ORM, as finboard.core.market_service."""

from __future__ import annotations

from datetime import UTC

from django.db.models import Case, CharField, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Concat, TruncDate
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
    return cashtag_stats_schema(ticker, post_count, followers, today, per_day, _split(ticker, week, month))


def _one(condition: Q) -> Sum:
    return Sum(Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField()))


def _split(ticker: str, week, month) -> list[tuple[str, int, int]]:
    """(view, posts over 7 days, over 30 days) of the views stated on this ticker, as
    finboard.core.market_service._split: ``posts.sentiments`` padded with spaces, so
    ``" NVDA:bullish "`` never matches ``$XNVDA``."""
    sums = {}
    for view in ("bullish", "bearish"):
        stated = Q(padded__contains=f" {ticker}:{view} ")
        sums[f"{view}_week"] = _one(stated & Q(created_at__gte=week))
        sums[f"{view}_month"] = _one(stated)
    row = (
        PostCashtag.objects.filter(ticker=ticker, created_at__gte=month)
        .exclude(post__sentiments="")
        .annotate(padded=Concat(Value(" "), F("post__sentiments"), Value(" "), output_field=CharField()))
        .aggregate(**sums)
    )
    return [(view, row[f"{view}_week"] or 0, row[f"{view}_month"] or 0) for view in ("bullish", "bearish")]
