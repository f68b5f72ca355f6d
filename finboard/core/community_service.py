"""The community and market endpoints' use cases on a sync SQLAlchemy ``Session``.

Called by the Flask API and the forum pages directly and by the FastAPI
adapter through ``AsyncSession.run_sync``, like ``finboard.core.api_service``.
Each write commits; each check raises the contract's ``ApiError`` in a fixed
order so every backend answers the same. None of these reads are cached: they
are per user (notifications, watchlist) or small (profiles, revisions, reports).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Date, case, cast, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from finboard.contract.cashtags import normalize_ticker
from finboard.contract.comments import CommentPage
from finboard.contract.errors import ApiError
from finboard.contract.market import CashtagStats
from finboard.contract.moderation import (
    CommentModeration,
    ModerationActionPage,
    ModerationActionPublic,
    PostModeration,
    ReportCreate,
    ReportPage,
    ReportPublic,
    ReportQuery,
    ReportResolve,
    UserModeration,
)
from finboard.contract.notifications import (
    MarkRead,
    NotificationPage,
    NotificationQuery,
    UnreadCount,
    Watchlist,
    WatchState,
)
from finboard.contract.pagination import EXACT_TOTAL_MAX, Page, PageQuery, page_fields
from finboard.contract.permissions import (
    check_outranks,
    require_acting_moderator,
    require_moderator,
    require_writer,
    suspended,
)
from finboard.contract.posts import PinnedPosts, PostPage, RevisionList
from finboard.contract.serializers import (
    cashtag_stats as cashtag_stats_schema,
)
from finboard.contract.serializers import (
    comment_public,
    excerpt,
    moderation_action,
    notification,
    post_public,
    report_public,
    report_user_ids,
    revision,
    user_profile,
)
from finboard.contract.transitions import SUSPENSION_SLACK, already_deleted, already_suspended, no_change
from finboard.contract.users import ProfileUpdate, UserProfile
from finboard.core import community, queries
from finboard.core.api_service import visible_post
from finboard.core.models import (
    AuthorCounter,
    CashtagCounter,
    CategoryWatch,
    Comment,
    ModerationAction,
    Notification,
    Post,
    PostCashtag,
    PostRevision,
    PostWatch,
    Report,
    TickerFollow,
    User,
    utcnow,
)

# --- profiles -------------------------------------------------------------------------


def _counts(session: Session, user_id: int) -> tuple[int, int]:
    row = session.execute(
        select(AuthorCounter.post_count, AuthorCounter.comment_count).where(AuthorCounter.author_id == user_id)
    ).first()
    return (row[0], row[1]) if row else (0, 0)


def profile(session: Session, username: str) -> UserProfile:
    user = community.user_by_name(session, username)
    return user_profile(user, *_counts(session, user.id))


def update_profile(session: Session, user: User, payload: ProfileUpdate) -> UserProfile:
    require_writer(user)
    user.bio = payload.bio
    result = user_profile(user, *_counts(session, user.id))
    session.commit()
    return result


def user_comments(session: Session, username: str, query: PageQuery) -> CommentPage:
    """A member's visible comments on visible posts, newest first."""
    user = community.user_by_name(session, username)
    visible = (
        select(Comment)
        .join(Post, Post.id == Comment.post_id)
        .where(Comment.author_id == user.id, Comment.hidden_at.is_(None), Post.hidden_at.is_(None))
    )
    total = session.scalar(select(func.count()).select_from(visible.subquery()))
    rows = session.scalars(
        visible.order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    ).all()
    for comment in rows:
        comment.author = user
    return CommentPage(
        items=[comment_public(c) for c in rows],
        **page_fields(query, total),
    )


# --- edit history ---------------------------------------------------------------------


def revisions(session: Session, post_id: int) -> RevisionList:
    visible_post(session, post_id)
    rows = session.execute(
        select(PostRevision, User)
        .join(User, User.id == PostRevision.editor_id)
        .where(PostRevision.post_id == post_id)
        .order_by(PostRevision.id.desc())
    ).all()
    return RevisionList(items=[revision(r, editor) for r, editor in rows])


# --- reports --------------------------------------------------------------------------


def _users(session: Session, ids: set[int]) -> dict[int, User]:
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def _report_public(session: Session, reports: list[Report]) -> list[ReportPublic]:
    post_ids = {r.post_id for r in reports if r.post_id}
    posts = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(post_ids)))} if post_ids else {}
    comment_ids = {r.comment_id for r in reports if r.comment_id}
    comments = {c.id: c for c in session.scalars(select(Comment).where(Comment.id.in_(comment_ids)))}
    user_ids = set().union(*(report_user_ids(r) for r in reports)) if reports else set()
    users = _users(session, user_ids)
    return [report_public(r, users, posts, comments) for r in reports]


def _lock_reporter(session: Session, user: User) -> None:
    """Serialize one member's reports (PostgreSQL: a row lock that does not block their other writes)."""
    session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))


def create_report(session: Session, user: User, payload: ReportCreate) -> ReportPublic:
    """Checked in order: suspension (403), post (404), comment of that post (404), an open duplicate (409).

    The duplicate check and the insert are one statement (INSERT ... SELECT ... WHERE NOT EXISTS),
    after a lock on the reporter's row on PostgreSQL: a double submit files one report, the other 409s.
    """
    require_writer(user)
    post = visible_post(session, payload.post_id)
    subject = post
    if payload.comment_id is not None:
        comment = session.get(Comment, payload.comment_id)
        if comment is None or comment.post_id != payload.post_id or comment.hidden_at is not None:
            raise ApiError(404, "comment_not_found")
        subject = comment
    _lock_reporter(session, user)
    duplicate = select(Report.id).where(
        Report.reporter_id == user.id,
        Report.post_id == payload.post_id,
        Report.comment_id.is_(None) if payload.comment_id is None else Report.comment_id == payload.comment_id,
        # A report on a deleted comment keeps its post but no comment id: it is not a report on the post.
        Report.target_type == ("post" if payload.comment_id is None else "comment"),
        Report.status == "open",
    )
    row = {
        "reporter_id": user.id,
        "post_id": payload.post_id,
        "comment_id": payload.comment_id,
        "target_type": "post" if payload.comment_id is None else "comment",
        "title": post.title,
        "content": subject.body,
        "target_author_id": subject.author_id,
        "reason": payload.reason,
        "status": "open",
        "resolution": "",
        "created_at": utcnow(),
    }
    values = select(*(literal(v, type_=Report.__table__.c[k].type).label(k) for k, v in row.items()))
    insert_once = insert(Report).from_select(list(row), values.where(~duplicate.exists()))
    inserted = session.execute(insert_once.returning(Report.id)).first()
    if inserted is None:
        session.rollback()
        raise ApiError(409, "already_reported")
    (result,) = _report_public(session, [session.get(Report, inserted.id)])
    session.commit()
    return result


def reports(session: Session, moderator: User, query: ReportQuery) -> ReportPage:
    """Open reports oldest first (a queue); resolved ones newest first (a record)."""
    require_moderator(moderator)
    chosen = select(Report).where(Report.status == query.status)
    total = session.scalar(select(func.count()).select_from(chosen.subquery()))
    order = Report.id.asc() if query.status == "open" else Report.id.desc()
    rows = list(session.scalars(chosen.order_by(order).limit(query.per_page).offset((query.page - 1) * query.per_page)))
    return ReportPage(
        items=_report_public(session, rows),
        **page_fields(query, total),
    )


def resolve_report(session: Session, moderator: User, report_id: int, payload: ReportResolve) -> ReportPublic:
    require_acting_moderator(moderator)
    report = session.get(Report, report_id)
    if report is None:
        raise ApiError(404, "report_not_found")
    if report.status == "resolved":
        raise ApiError(409, "report_resolved")
    now = utcnow()
    guard = (
        update(Report)
        .where(Report.id == report_id, Report.status == "open")
        .values(status="resolved", resolution=payload.resolution, resolved_by_id=moderator.id, resolved_at=now)
    )
    if not community.changed(session, guard):  # resolved (or deleted) by a concurrent request
        session.rollback()
        raise ApiError(409, "report_resolved") if session.get(Report, report_id) else ApiError(404, "report_not_found")
    session.refresh(report)
    community.log_action(session, moderator, "resolve", "report", report.id, report.reason, payload.resolution)
    (result,) = _report_public(session, [report])
    session.commit()
    return result


# --- moderation -----------------------------------------------------------------------


def _action_public(session: Session, record: ModerationAction) -> ModerationActionPublic:
    return moderation_action(record, _users(session, {record.moderator_id}))


def _missing(session: Session, target_type: str, target_id: int) -> ApiError:
    """404, or 409 when a moderator already deleted it (a repeated delete)."""
    if community.deleted_by_moderator(session, target_type, target_id):
        return already_deleted(target_type)
    return ApiError(404, f"{target_type}_not_found")


def moderate_post(session: Session, moderator: User, post_id: int, payload: PostModeration) -> ModerationActionPublic:
    """hide / restore / lock / unlock / pin / unpin / delete any post (hidden ones included).

    Each action is guarded by a conditional statement (finboard.contract.transitions.TRANSITIONS):
    logged once per real change.
    """
    require_acting_moderator(moderator)
    post = session.get(Post, post_id)
    if post is None:
        raise _missing(session, "post", post_id)
    action, title = payload.action, post.title
    try:
        if action == "hide":
            community.hide_post(session, post)
        elif action == "restore":
            community.restore_post(session, post)
        elif action in ("lock", "unlock"):
            community.set_post_flag(session, post, "locked", action == "lock")
        elif action in ("pin", "unpin"):
            community.set_post_flag(session, post, "pinned", action == "pin")
        elif not queries.delete_post(session, post):
            raise _missing(session, "post", post_id)
    except ApiError:
        session.rollback()
        raise
    record = community.log_action(session, moderator, action, "post", post_id, title, payload.reason)
    result = _action_public(session, record)
    session.commit()
    return result


def moderate_comment(
    session: Session, moderator: User, comment_id: int, payload: CommentModeration
) -> ModerationActionPublic:
    require_acting_moderator(moderator)
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise _missing(session, "comment", comment_id)
    summary = excerpt(comment.body)
    try:
        if payload.action == "hide":
            community.hide_comment(session, comment)
        elif payload.action == "restore":
            community.restore_comment(session, comment)
        elif not queries.delete_comment(session, comment):
            raise _missing(session, "comment", comment_id)
    except ApiError:
        session.rollback()
        raise
    record = community.log_action(session, moderator, payload.action, "comment", comment_id, summary, payload.reason)
    result = _action_public(session, record)
    session.commit()
    return result


def moderate_user(session: Session, moderator: User, username: str, payload: UserModeration) -> ModerationActionPublic:
    """Suspend for ``days`` (from now) or lift a suspension; only users below the moderator's role."""
    require_acting_moderator(moderator)
    target = community.user_by_name(session, username)
    check_outranks(moderator, target)
    if payload.action == "suspend":
        until, slack = utcnow() + timedelta(days=payload.days), SUSPENSION_SLACK
        end = User.suspended_until
        moved = or_(end.is_(None), end < until - slack, end > until + slack)
        guard = update(User).where(User.id == target.id, moved).values(suspended_until=until)
        if not community.changed(session, guard):  # the same suspension again (a repeat, a concurrent request)
            session.rollback()
            raise already_suspended(session.get(User, target.id).suspended_until)
        set_committed_value(target, "suspended_until", until)
        summary = f"{target.username} until {until:%Y-%m-%d %H:%M} UTC"
    else:
        if not suspended(target):
            raise no_change("The user is not suspended.")
        guard = update(User).where(User.id == target.id, User.suspended_until > utcnow()).values(suspended_until=None)
        if not community.changed(session, guard):  # lifted by a concurrent request
            session.rollback()
            raise no_change("The user is not suspended.")
        set_committed_value(target, "suspended_until", None)
        summary = target.username
    record = community.log_action(session, moderator, payload.action, "user", target.id, summary, payload.reason)
    result = _action_public(session, record)
    session.commit()
    return result


def moderation_log(session: Session, moderator: User, query: PageQuery) -> ModerationActionPage:
    require_moderator(moderator)
    total = session.scalar(select(func.count(ModerationAction.id)))
    rows = list(
        session.scalars(
            select(ModerationAction)
            .order_by(ModerationAction.id.desc())
            .limit(query.per_page)
            .offset((query.page - 1) * query.per_page)
        )
    )
    users = _users(session, {r.moderator_id for r in rows if r.moderator_id})
    return ModerationActionPage(
        items=[moderation_action(r, users) for r in rows],
        **page_fields(query, total),
    )


# --- notifications --------------------------------------------------------------------


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None)))


def notifications(session: Session, user: User, query: NotificationQuery) -> NotificationPage:
    chosen = select(Notification).where(Notification.user_id == user.id)
    if query.unread:
        chosen = chosen.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(chosen.subquery()))
    rows = list(
        session.scalars(
            chosen.order_by(Notification.id.desc()).limit(query.per_page).offset((query.page - 1) * query.per_page)
        )
    )
    actors = _users(session, {r.actor_id for r in rows})
    shown = select(Post.id, Post.title).where(Post.id.in_({r.post_id for r in rows}), Post.hidden_at.is_(None))
    titles = dict(session.execute(shown).all())  # a hidden post's title stays hidden
    return NotificationPage(
        items=[notification(r, actors, titles) for r in rows],
        **page_fields(query, total),
        unread=unread_count(session, user.id),
    )


def mark_read(session: Session, user: User, payload: MarkRead) -> UnreadCount:
    """Mark the given notifications (only the user's own; others are ignored) or all of them read."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if payload.ids is not None:
        stmt = stmt.where(Notification.id.in_(payload.ids))
    session.execute(stmt.values(read_at=utcnow()))
    result = UnreadCount(unread=unread_count(session, user.id))
    session.commit()
    return result


# --- watches and the watchlist -----------------------------------------------------------


def watch_post(session: Session, user: User, post_id: int, watching: bool) -> WatchState:
    visible_post(session, post_id)
    try:
        community.set_watch(session, PostWatch, (user.id, post_id), watching)
        session.commit()
    except IntegrityError:  # the post was deleted between the check and the insert
        session.rollback()
        raise ApiError(404, "post_not_found") from None
    return WatchState(watching=watching)


def watch_category(session: Session, user: User, slug: str, watching: bool) -> WatchState:
    category = community.category_by_slug(session, slug)
    community.set_watch(session, CategoryWatch, (user.id, category.id), watching)
    session.commit()
    return WatchState(watching=watching)


def _ticker(raw: str) -> str:
    ticker = normalize_ticker(raw)
    if ticker is None:
        raise ApiError(404, "not_found")
    return ticker


def watchlist(session: Session, user: User) -> Watchlist:
    stmt = select(TickerFollow.ticker).where(TickerFollow.user_id == user.id).order_by(TickerFollow.ticker)
    return Watchlist(tickers=list(session.scalars(stmt)))


WATCHLIST_MAX = 100


def follow_ticker(session: Session, user: User, raw: str, following: bool) -> Watchlist:
    ticker = _ticker(raw)
    if following:
        queries.lock_author(session, user.id)  # the count and the insert see no other follow in between
    if following and session.get(TickerFollow, (user.id, ticker)) is None:
        if len(watchlist(session, user).tickers) >= WATCHLIST_MAX:
            raise ApiError(422, "invalid", {"ticker": f"A watchlist holds at most {WATCHLIST_MAX} tickers."})
    community.set_watch(session, TickerFollow, (user.id, ticker), following)  # insert-if-absent: races too
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
    shown = min(total, EXACT_TOTAL_MAX)
    return PostPage(
        items=[post_public(p) for p in rows],
        page=query.page,
        per_page=query.per_page,
        total=shown,
        pages=Page.count_pages(shown, query.per_page),
        total_exact=total <= EXACT_TOTAL_MAX,
        next_cursor=None,
    )


# --- market features --------------------------------------------------------------------


def _utc_day(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def cashtag_stats(session: Session, raw: str) -> CashtagStats:
    """Posts per day over 30 days and the bullish/bearish split over 7 and 30 days (visible posts)."""
    ticker = _ticker(raw)
    now = utcnow()
    today = now.date()
    start = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=29)
    week = now - timedelta(days=7)
    month = now - timedelta(days=30)
    post_count = session.scalar(select(CashtagCounter.post_count).where(CashtagCounter.ticker == ticker)) or 0
    followers = session.scalar(select(func.count()).where(TickerFollow.ticker == ticker))
    day = _utc_day(session, PostCashtag.created_at)
    per_day = {
        (d if not isinstance(d, str) else datetime.fromisoformat(d).date()): n
        for d, n in session.execute(
            select(day, func.count()).where(PostCashtag.ticker == ticker, PostCashtag.created_at >= start).group_by(day)
        )
    }
    split = session.execute(
        select(
            Post.sentiment,
            func.sum(case((PostCashtag.created_at >= week, 1), else_=0)),
            func.count(),
        )
        .join(Post, Post.id == PostCashtag.post_id)
        .where(PostCashtag.ticker == ticker, PostCashtag.created_at >= month, Post.sentiment.is_not(None))
        .group_by(Post.sentiment)
    ).all()
    return cashtag_stats_schema(
        ticker,
        post_count,
        followers,
        today,
        per_day,
        {s: int(w) for s, w, _ in split},
        {s: int(m) for s, _, m in split},
    )


def pinned_posts(session: Session, slug: str) -> PinnedPosts:
    category = community.category_by_slug(session, slug)
    rows = session.scalars(
        select(Post)
        .join(Post.author)
        .join(Post.category)
        .options(contains_eager(Post.author), contains_eager(Post.category))
        .where(Post.category_id == category.id, Post.pinned.is_(True), Post.hidden_at.is_(None))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(10)
    ).all()
    return PinnedPosts(items=[post_public(p) for p in rows])
