"""What a member follows: watched posts and categories, the ticker watchlist, and its feed.

On a sync SQLAlchemy ``Session``; each write is idempotent (races included) and commits.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from finboard.contract.cashtags import ticker_in_path
from finboard.contract.errors import ApiError
from finboard.contract.notifications import Watchlist, WatchState, check_watchlist_room
from finboard.contract.pagination import EXACT_TOTAL_MAX, PageQuery
from finboard.contract.posts import PostPage
from finboard.contract.serializers import capped_post_page
from finboard.core import content_writes, lookups, watches
from finboard.core.models import CategoryWatch, Post, PostCashtag, PostWatch, TickerFollow, User


def watch_post(session: Session, user: User, post_id: int, watching: bool) -> WatchState:
    lookups.visible_post(session, post_id)
    try:
        watches.set_watch(session, PostWatch, (user.id, post_id), watching)
        session.commit()
    except IntegrityError:  # the post was deleted between the check and the insert
        session.rollback()
        raise ApiError(404, "post_not_found") from None
    return WatchState(watching=watching)


def watch_category(session: Session, user: User, slug: str, watching: bool) -> WatchState:
    category = lookups.category_by_slug(session, slug)
    watches.set_watch(session, CategoryWatch, (user.id, category.id), watching)
    session.commit()
    return WatchState(watching=watching)


def watchlist(session: Session, user: User) -> Watchlist:
    stmt = select(TickerFollow.ticker).where(TickerFollow.user_id == user.id).order_by(TickerFollow.ticker)
    return Watchlist(tickers=list(session.scalars(stmt)))


def follow_ticker(session: Session, user: User, raw: str, following: bool) -> Watchlist:
    ticker = ticker_in_path(raw)
    if following:
        content_writes.lock_author(session, user.id)  # the count and the insert see no other follow in between
    if following and session.get(TickerFollow, (user.id, ticker)) is None:
        check_watchlist_room(len(watchlist(session, user).tickers))
    watches.set_watch(session, TickerFollow, (user.id, ticker), following)  # insert-if-absent: races too
    session.commit()
    return watchlist(session, user)


def watching(session: Session, user: User | None, post_id: int) -> bool:
    return user is not None and session.get(PostWatch, (user.id, post_id)) is not None


def watching_category(session: Session, user: User | None, category_id: int) -> bool:
    return user is not None and session.get(CategoryWatch, (user.id, category_id)) is not None


def feed(session: Session, user: User, query: PageQuery) -> PostPage:
    """Visible posts on the user's followed tickers, newest first (numbered pages, capped total)."""
    followed = select(TickerFollow.ticker).where(TickerFollow.user_id == user.id)
    on_followed = select(PostCashtag.post_id).where(PostCashtag.ticker.in_(followed))
    chosen = (
        select(Post).join(Post.author).join(Post.category).where(Post.id.in_(on_followed), Post.hidden_at.is_(None))
    )
    capped = select(Post.id).where(Post.id.in_(on_followed), Post.hidden_at.is_(None)).limit(EXACT_TOTAL_MAX + 1)
    total = session.scalar(select(func.count()).select_from(capped.subquery()))
    rows = session.scalars(
        chosen.options(contains_eager(Post.author), contains_eager(Post.category))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    ).all()
    return capped_post_page(rows, query, total)
