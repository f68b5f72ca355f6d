"""Cashtag pages (/t/AAPL), following tickers, the watchlist and its feed.

A cashtag page lists the posts mentioning the ticker with the forum's own
listing (the same cached read and keyset "Older" paging as /search?cashtag=),
and draws its statistics (``market_service.cashtag_stats``) as inline SVG.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from finboard.contract.cashtags import normalize_ticker
from finboard.contract.errors import ApiError
from finboard.contract.limits import PAGE_MAX, WATCHLIST_MAX
from finboard.contract.market import CashtagStats
from finboard.contract.pagination import PageQuery
from finboard.core import market_service, watch_service
from finboard.core.models import CashtagCounter, TickerFollow, utcnow
from finboard.extensions import cache, db
from finboard.market import charts
from finboard.market.forms import FollowForm, WatchlistAddForm
from finboard.posts.views import PER_PAGE, _listing
from finboard.redirects import safe_next_url

bp = Blueprint("market", __name__)


def canonical_ticker(raw: str, endpoint: str, **values):
    """(ticker, None) for a canonical ticker; (None, redirect) for "aapl" or "$AAPL"; 404 if not a ticker."""
    ticker = normalize_ticker(raw)
    if ticker is None:
        abort(404)
    if ticker != raw:
        return None, redirect(url_for(endpoint, **{**request.args.to_dict(), **values, "ticker": ticker}), 301)
    return ticker, None


def cashtag_stats(ticker: str) -> CashtagStats:
    """Per-day counts and the sentiment split, cached until the next write (or the next UTC day);
    the follower count is read live, since following is not a content write."""

    def build() -> bytes:
        return market_service.cashtag_stats(db.session, ticker).model_dump_json().encode()

    stats = CashtagStats.model_validate_json(cache.get_or_build("cashtag-stats", f"{ticker}:{utcnow().date()}", build))
    followers = db.session.scalar(select(func.count()).where(TickerFollow.ticker == ticker))
    return stats.model_copy(update={"followers": followers})


def _following(ticker: str) -> bool:
    return current_user.is_authenticated and db.session.get(TickerFollow, (current_user.id, ticker)) is not None


@bp.route("/t/<ticker>")
def cashtag(ticker: str):
    ticker, moved = canonical_ticker(ticker, "market.cashtag")
    if moved:
        return moved
    stats = cashtag_stats(ticker)
    return _listing(
        "market/cashtag.html",
        {"cashtag": ticker},
        ticker=ticker,
        stats=stats,
        chart=charts.daily_chart(stats.daily),
        splits=[charts.split(7, stats.sentiment_7d), charts.split(30, stats.sentiment_30d)],
        following=_following(ticker),
        follow_form=FollowForm() if current_user.is_authenticated else None,  # no CSRF cookie for visitors
    )


def _follow(ticker: str, following: bool):
    canonical = normalize_ticker(ticker)
    if canonical is None:
        abort(404)
    form = FollowForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        watch_service.follow_ticker(db.session, current_user._get_current_object(), canonical, following)
    except ApiError as exc:
        db.session.rollback()
        flash(exc.fields.get("ticker") or exc.message, "error")
    else:
        if following:
            flash(f"You follow ${canonical}: its new posts reach your notifications and your feed.", "success")
        else:
            flash(f"You no longer follow ${canonical}.", "info")
    return redirect(safe_next_url(form.next.data) or url_for("market.cashtag", ticker=canonical))


@bp.post("/t/<ticker>/follow")
@login_required
def follow(ticker: str):
    return _follow(ticker, True)


@bp.post("/t/<ticker>/unfollow")
@login_required
def unfollow(ticker: str):
    return _follow(ticker, False)


@bp.route("/watchlist", methods=["GET", "POST"])
@login_required
def watchlist():
    """The tickers the member follows (with their post counts), an add form and Unfollow buttons."""
    form = WatchlistAddForm()
    if form.validate_on_submit():
        ticker = form.normalized
        try:
            watch_service.follow_ticker(db.session, current_user._get_current_object(), ticker, True)
        except ApiError as exc:
            db.session.rollback()
            form.ticker.errors = [*form.ticker.errors, exc.fields.get("ticker") or exc.message]
        else:
            flash(f"You follow ${ticker}.", "success")
            return redirect(url_for("market.watchlist"))
    tickers = watch_service.watchlist(db.session, current_user._get_current_object()).tickers
    counts = dict(
        db.session.execute(
            select(CashtagCounter.ticker, CashtagCounter.post_count).where(CashtagCounter.ticker.in_(tickers))
        ).all()
    )
    return (
        render_template(
            "market/watchlist.html",
            form=form,
            tickers=tickers,
            counts=counts,
            follow_form=FollowForm(),
            limit=WATCHLIST_MAX,
        ),
        422 if form.errors else 200,
    )


@bp.route("/feed")
@login_required
def feed():
    """The home page's "Followed tickers only" view: newest posts on the member's tickers."""
    page_number = min(max(request.args.get("page", 1, type=int) or 1, 1), PAGE_MAX)
    user = current_user._get_current_object()
    page = watch_service.feed(db.session, user, PageQuery(page=page_number, per_page=PER_PAGE))
    if page_number > max(page.pages, 1):
        abort(404)
    tickers = watch_service.watchlist(db.session, user).tickers
    return render_template("market/feed.html", page=page, numbered_pages=page.pages, tickers=tickers)
