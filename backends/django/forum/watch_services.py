"""Watched posts and categories, the ticker watchlist and its feed on the Django ORM, as
finboard.core.watch_service.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from finboard.contract.cashtags import ticker_in_path
from finboard.contract.errors import ApiError
from finboard.contract.notifications import Watchlist, WatchState, check_watchlist_room
from finboard.contract.pagination import EXACT_TOTAL_MAX, PageQuery, page_slice
from finboard.contract.posts import PostPage
from finboard.contract.serializers import capped_post_page

from . import lookups, watches
from .models import CategoryWatch, Post, PostCashtag, PostWatch, TickerFollow, User


def watch_post(user: User, post_id: int, watching: bool) -> WatchState:
    lookups.visible_post(post_id)
    try:
        with transaction.atomic():
            watches.set_watch(PostWatch, watching, user_id=user.id, post_id=post_id)
    except IntegrityError:  # the post was deleted between the check and the insert
        raise ApiError(404, "post_not_found") from None
    return WatchState(watching=watching)


def watch_category(user: User, slug: str, watching: bool) -> WatchState:
    category = lookups.category_by_slug(slug)
    watches.set_watch(CategoryWatch, watching, user_id=user.id, category_id=category.id)
    return WatchState(watching=watching)


def watchlist(user: User) -> Watchlist:
    tickers = TickerFollow.objects.filter(user_id=user.id).order_by("ticker").values_list("ticker", flat=True)
    return Watchlist(tickers=list(tickers))


def follow_ticker(user: User, raw: str, following: bool) -> Watchlist:
    ticker = ticker_in_path(raw)
    follows = TickerFollow.objects.filter(user_id=user.id)
    with transaction.atomic():
        if following:  # the count and the insert see no other follow in between (as in the reference)
            list(User.objects.select_for_update(no_key=True).filter(id=user.id).values_list("id", flat=True))
        if following and not follows.filter(ticker=ticker).exists():
            check_watchlist_room(follows.count())
        watches.set_watch(TickerFollow, following, user_id=user.id, ticker=ticker)  # idempotent under races too
    return watchlist(user)


def feed(user: User, query: PageQuery) -> PostPage:
    """Visible posts on the user's followed tickers, newest first (numbered pages, capped total)."""
    followed = TickerFollow.objects.filter(user_id=user.id).values("ticker")
    on_followed = PostCashtag.objects.filter(ticker__in=followed).values("post_id")
    chosen = Post.objects.filter(id__in=on_followed, hidden_at__isnull=True)
    total = chosen.order_by()[: EXACT_TOTAL_MAX + 1].count()
    rows = chosen.select_related("author", "category").order_by("-created_at", "-id")[page_slice(query)]
    return capped_post_page(rows, query, total)
