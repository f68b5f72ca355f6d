"""Rows to contract schemas: the serialisers every backend with an ORM shares.

Duck-typed on purpose: the SQLAlchemy models and the Django adapter's models
have the same attribute names, so both go through these functions. Related rows
(authors, posts, comments of reports and notifications) are passed in as dicts
by id: the callers fetch them in bulk.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from finboard.contract.categories import CategoryPublic, CategoryRef, CategoryStats
from finboard.contract.comments import CommentPage, CommentPublic, CommentRevision
from finboard.contract.market import CashtagStats, DayCount, SentimentSplit
from finboard.contract.moderation import ModerationActionPublic, ReportPublic, TargetRef
from finboard.contract.notifications import NotificationPublic
from finboard.contract.pagination import Page, PageQuery, capped_total, listing_total, next_cursor, page_fields
from finboard.contract.positions import parse_positions
from finboard.contract.posts import Position, PostDetail, PostListQuery, PostPage, PostPublic, Revision, TickerView
from finboard.contract.ticker_views import parse_sentiments
from finboard.contract.users import AuthorRef, UserProfile, UserPublic

EXCERPT_MAX = 200
CASHTAG_DAYS = 30


def author_ref(user) -> AuthorRef:
    return AuthorRef(id=user.id, username=user.username)


def category_ref(category) -> CategoryRef:
    return CategoryRef(id=category.id, slug=category.slug, name=category.name)


def category_public(category) -> CategoryPublic:
    return CategoryPublic(id=category.id, slug=category.slug, name=category.name, description=category.description)


def user_public(user) -> UserPublic:
    return UserPublic(id=user.id, username=user.username, created_at=user.created_at)


def post_public(post) -> PostPublic:
    return PostPublic(
        id=post.id,
        title=post.title,
        body=post.body,
        author=author_ref(post.author),
        category=category_ref(post.category),
        cashtags=post.cashtag_list,
        comment_count=post.comment_count,
        created_at=post.created_at,
        updated_at=post.updated_at,
        sentiment=post.sentiment,
        positions=[Position(ticker=ticker, position=position) for ticker, position in parse_positions(post.positions)],
        sentiments=[TickerView(ticker=ticker, sentiment=view) for ticker, view in parse_sentiments(post.sentiments)],
        pinned=bool(post.pinned),
        locked=bool(post.locked),
        edit_count=post.edit_count,
        reaction_count=post.reaction_count,
    )


def comment_public(comment) -> CommentPublic:
    return CommentPublic(
        id=comment.id,
        post_id=comment.post_id,
        parent_id=comment.parent_id,
        author=author_ref(comment.author),
        body=comment.body,
        created_at=comment.created_at,
        reaction_count=comment.reaction_count,
        edit_count=comment.edit_count or 0,
    )


def post_detail(post, comments: Iterable) -> PostDetail:
    return PostDetail(
        **post_public(post).model_dump(),
        comments=[comment_public(c) for c in comments],
    )


def category_stats(row) -> CategoryStats:
    return CategoryStats(
        id=row.id,
        slug=row.slug,
        name=row.name,
        post_count=row.post_count,
        comment_count=int(row.comment_count),
        author_count=row.author_count,
        newest_post_at=row.newest_post_at,
    )


def post_page(posts: list, query: PostListQuery, total_row, total_kind: str) -> PostPage:
    """A page of posts with the pagination fields every backend computes the same way.

    ``posts`` holds up to ``per_page + 1`` rows (the extra one only says a next
    page exists); the total statement's first row and kind give the total.
    """
    total, exact = listing_total(total_kind, total_row)
    return PostPage(
        items=[post_public(p) for p in posts[: query.per_page]],
        page=None if query.cursor else query.page,
        per_page=query.per_page,
        total=total,
        pages=Page.count_pages(total, query.per_page),
        total_exact=exact,
        next_cursor=next_cursor(query.sort, posts, query.per_page),
    )


def capped_post_page(posts: Iterable, query: PageQuery, counted: int) -> PostPage:
    """A numbered page of posts whose total was counted up to ``EXACT_TOTAL_MAX + 1`` rows (the feed)."""
    total, exact = capped_total(counted)
    return PostPage(
        items=[post_public(p) for p in posts], **page_fields(query, total), total_exact=exact, next_cursor=None
    )


def comment_page(comments: Iterable, query: PageQuery, total: int) -> CommentPage:
    return CommentPage(items=[comment_public(c) for c in comments], **page_fields(query, total))


def user_profile(user, post_count: int, comment_count: int) -> UserProfile:
    return UserProfile(
        id=user.id,
        username=user.username,
        role=user.role,
        bio=user.bio,
        created_at=user.created_at,
        post_count=post_count,
        comment_count=comment_count,
        suspended_until=user.suspended_until,
    )


def revision(row, editor) -> Revision:
    return Revision(id=row.id, title=row.title, body=row.body, editor=author_ref(editor), created_at=row.created_at)


def comment_revision(row, editor) -> CommentRevision:
    return CommentRevision(id=row.id, body=row.body, editor=author_ref(editor), created_at=row.created_at)


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_MAX else text[: EXCERPT_MAX - 1] + "…"


def report_public(report, users: dict, posts: dict, comments: dict) -> ReportPublic:
    """A report with the snapshot of what it reports; ``posts``/``comments`` are the subjects still there."""
    post = posts.get(report.post_id)
    comment = comments.get(report.comment_id) if report.comment_id else None
    subject = comment if report.target_type == "comment" else post
    return ReportPublic(
        id=report.id,
        reporter=author_ref(users[report.reporter_id]),
        target=TargetRef(
            type=report.target_type,
            post_id=report.post_id,
            comment_id=report.comment_id,
            title=report.title,
            excerpt=excerpt(report.content),
            author=author_ref(users[report.target_author_id]) if report.target_author_id in users else None,
            hidden=subject is not None and subject.hidden_at is not None,
            deleted=subject is None,
        ),
        reason=report.reason,
        status=report.status,
        resolution=report.resolution,
        resolved_by=author_ref(users[report.resolved_by_id]) if report.resolved_by_id in users else None,
        resolved_at=report.resolved_at,
        created_at=report.created_at,
    )


def report_user_ids(report) -> set[int]:
    ids = {report.reporter_id, report.resolved_by_id, report.target_author_id}
    return ids - {None}


def moderation_action(record, users: dict) -> ModerationActionPublic:
    moderator = users.get(record.moderator_id)
    return ModerationActionPublic(
        id=record.id,
        moderator=author_ref(moderator) if moderator else None,
        action=record.action,
        target_type=record.target_type,
        target_id=record.target_id,
        summary=record.summary,
        reason=record.reason,
        created_at=record.created_at,
    )


def notification(row, actors: dict, titles: dict) -> NotificationPublic:
    """``titles`` holds the titles of the visible posts only: a hidden post's title is not shown (null)."""
    return NotificationPublic(
        id=row.id,
        kind=row.kind,
        actor=author_ref(actors[row.actor_id]),
        post_id=row.post_id,
        post_title=titles.get(row.post_id),
        comment_id=row.comment_id,
        ticker=row.ticker,
        created_at=row.created_at,
        read=row.read_at is not None,
    )


def cashtag_days(today: date) -> list[date]:
    """The chart's days: the last ``CASHTAG_DAYS`` UTC days, oldest first, today last."""
    return [today - timedelta(days=n) for n in range(CASHTAG_DAYS - 1, -1, -1)]


def cashtag_windows(now: datetime) -> tuple[date, datetime, datetime, datetime]:
    """(today, the chart's first midnight, a week ago, 30 days ago): the windows of a ticker's statistics (UTC)."""
    today = now.astimezone(UTC).date()
    start = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=CASHTAG_DAYS - 1)
    return today, start, now - timedelta(days=7), now - timedelta(days=30)


def cashtag_stats(
    ticker: str,
    post_count: int,
    followers: int,
    today: date,
    per_day: dict[date, int],
    sentiment_split: Iterable[tuple[str, int, int]],
) -> CashtagStats:
    """``sentiment_split``: (sentiment, posts over 7 days, posts over 30 days) rows."""
    rows = list(sentiment_split)
    sentiment_7d = {s: int(week) for s, week, _ in rows}
    sentiment_30d = {s: int(month) for s, _, month in rows}
    return CashtagStats(
        ticker=ticker,
        post_count=post_count,
        followers=followers,
        daily=[DayCount(day=day, posts=per_day.get(day, 0)) for day in cashtag_days(today)],
        sentiment_7d=SentimentSplit(bullish=sentiment_7d.get("bullish", 0), bearish=sentiment_7d.get("bearish", 0)),
        sentiment_30d=SentimentSplit(bullish=sentiment_30d.get("bullish", 0), bearish=sentiment_30d.get("bearish", 0)),
    )
