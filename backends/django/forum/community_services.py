"""The community and market endpoints' use cases on the Django ORM.

finboard.core.community_service's checks, in its order, raising the same
``ApiError``; the answers are built by the shared duck-typed serializers
(finboard.contract.serializers), so the bytes are the reference's.
None of these reads are cached, as in the reference.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

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
    excerpt,
    moderation_action,
    notification,
    report_public,
    report_user_ids,
    revision,
    user_profile,
)
from finboard.contract.transitions import SUSPENSION_SLACK, already_deleted, already_suspended, no_change
from finboard.contract.users import ProfileUpdate, UserProfile
from finboard.core.community_service import WATCHLIST_MAX

from . import community
from .models import (
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
)
from .serializers import comment_public, post_public


def _offset(query) -> slice:
    start = (query.page - 1) * query.per_page
    return slice(start, start + query.per_page)


# --- profiles -------------------------------------------------------------------------


def _counts(user_id: int) -> tuple[int, int]:
    row = AuthorCounter.objects.filter(author_id=user_id).values_list("post_count", "comment_count").first()
    return (row[0], row[1]) if row else (0, 0)


def profile(username: str) -> UserProfile:
    user = community.user_by_name(username)
    return user_profile(user, *_counts(user.id))


def update_profile(user: User, payload: ProfileUpdate) -> UserProfile:
    require_writer(user)
    with transaction.atomic():
        user.bio = payload.bio
        user.save(update_fields=["bio"])
        return user_profile(user, *_counts(user.id))


def user_comments(username: str, query: PageQuery) -> CommentPage:
    """A member's visible comments on visible posts, newest first."""
    user = community.user_by_name(username)
    visible = Comment.objects.filter(author_id=user.id, hidden_at__isnull=True, post__hidden_at__isnull=True)
    total = visible.count()
    rows = list(visible.order_by("-created_at", "-id")[_offset(query)])
    for comment in rows:
        comment.author = user
    return CommentPage(items=[comment_public(c) for c in rows], **page_fields(query, total))


# --- edit history ---------------------------------------------------------------------


def revisions(post_id: int) -> RevisionList:
    community.visible_post(post_id)
    rows = PostRevision.objects.select_related("editor").filter(post_id=post_id).order_by("-id")
    return RevisionList(items=[revision(r, r.editor) for r in rows])


# --- reports --------------------------------------------------------------------------


def _users(ids: set[int]) -> dict[int, User]:
    return {u.id: u for u in User.objects.filter(id__in=ids)} if ids else {}


def _report_public(reports: list[Report]) -> list[ReportPublic]:
    posts = Post.objects.in_bulk({r.post_id for r in reports if r.post_id})
    comments = Comment.objects.in_bulk({r.comment_id for r in reports if r.comment_id})
    user_ids = set().union(*(report_user_ids(r) for r in reports)) if reports else set()
    users = _users(user_ids)
    return [report_public(r, users, posts, comments) for r in reports]


def create_report(user: User, payload: ReportCreate) -> ReportPublic:
    """Checked in order: suspension (403), post (404), comment of that post (404), an open duplicate (409).

    As in the reference: a lock on the reporter's row, then the duplicate check, in one transaction."""
    require_writer(user)
    post = community.visible_post(payload.post_id)
    subject = post
    if payload.comment_id is not None:
        comment = Comment.objects.filter(id=payload.comment_id).first()
        if comment is None or comment.post_id != payload.post_id or comment.hidden_at is not None:
            raise ApiError(404, "comment_not_found")
        subject = comment
    with transaction.atomic():
        list(User.objects.select_for_update(no_key=True).filter(id=user.id).values_list("id", flat=True))
        duplicate = Report.objects.filter(
            reporter_id=user.id,
            post_id=payload.post_id,
            comment_id=payload.comment_id,
            target_type="post" if payload.comment_id is None else "comment",
            status="open",
        )
        if duplicate.exists():
            raise ApiError(409, "already_reported")
        report = Report.objects.create(
            reporter_id=user.id,
            post_id=payload.post_id,
            comment_id=payload.comment_id,
            target_type="post" if payload.comment_id is None else "comment",
            title=post.title,
            content=subject.body,
            target_author_id=subject.author_id,
            reason=payload.reason,
            status="open",
            resolution="",
            created_at=timezone.now(),
        )
        (result,) = _report_public([report])
    return result


def reports(moderator: User, query: ReportQuery) -> ReportPage:
    """Open reports oldest first (a queue); resolved ones newest first (a record)."""
    require_moderator(moderator)
    chosen = Report.objects.filter(status=query.status)
    total = chosen.count()
    rows = list(chosen.order_by("id" if query.status == "open" else "-id")[_offset(query)])
    return ReportPage(items=_report_public(rows), **page_fields(query, total))


def resolve_report(moderator: User, report_id: int, payload: ReportResolve) -> ReportPublic:
    require_acting_moderator(moderator)
    with transaction.atomic():
        report = Report.objects.filter(id=report_id).first()
        if report is None:
            raise ApiError(404, "report_not_found")
        if report.status == "resolved":
            raise ApiError(409, "report_resolved")
        report.status, report.resolution = "resolved", payload.resolution
        report.resolved_by_id, report.resolved_at = moderator.id, timezone.now()
        changed = Report.objects.filter(id=report_id, status="open").update(
            status="resolved",
            resolution=payload.resolution,
            resolved_by_id=moderator.id,
            resolved_at=report.resolved_at,
        )
        if not changed:  # resolved (or deleted) by a concurrent request
            exists = Report.objects.filter(id=report_id).exists()
            raise ApiError(409, "report_resolved") if exists else ApiError(404, "report_not_found")
        community.log_action(moderator, "resolve", "report", report.id, report.reason, payload.resolution)
        (result,) = _report_public([report])
    return result


# --- moderation -----------------------------------------------------------------------


def _action_public(record: ModerationAction) -> ModerationActionPublic:
    return moderation_action(record, _users({record.moderator_id}))


def _missing(target_type: str, target_id: int) -> ApiError:
    """404, or 409 when a moderator already deleted it (a repeated delete)."""
    if community.deleted_by_moderator(target_type, target_id):
        return already_deleted(target_type)
    return ApiError(404, f"{target_type}_not_found")


def moderate_post(moderator: User, post_id: int, payload: PostModeration) -> ModerationActionPublic:
    """hide / restore / lock / unlock / pin / unpin / delete any post (hidden ones included), guarded
    as finboard.contract.transitions.TRANSITIONS says: logged once per real change."""
    require_acting_moderator(moderator)
    with transaction.atomic():
        post = Post.objects.filter(id=post_id).first()
        if post is None:
            raise _missing("post", post_id)
        action = payload.action
        if action == "hide":
            community.hide_post(post)
        elif action == "restore":
            community.restore_post(post)
        elif action in ("lock", "unlock"):
            community.set_post_flag(post, "locked", action == "lock")
        elif action in ("pin", "unpin"):
            community.set_post_flag(post, "pinned", action == "pin")
        elif not community.delete_post(post):
            raise _missing("post", post_id)
        record = community.log_action(moderator, action, "post", post_id, post.title, payload.reason)
        return _action_public(record)


def moderate_comment(moderator: User, comment_id: int, payload: CommentModeration) -> ModerationActionPublic:
    require_acting_moderator(moderator)
    with transaction.atomic():
        comment = Comment.objects.filter(id=comment_id).first()
        if comment is None:
            raise _missing("comment", comment_id)
        summary = excerpt(comment.body)
        if payload.action == "hide":
            community.hide_comment(comment)
        elif payload.action == "restore":
            community.restore_comment(comment)
        elif not community.delete_comment(comment):
            raise _missing("comment", comment_id)
        record = community.log_action(moderator, payload.action, "comment", comment_id, summary, payload.reason)
        return _action_public(record)


def moderate_user(moderator: User, username: str, payload: UserModeration) -> ModerationActionPublic:
    """Suspend for ``days`` (from now) or lift a suspension; only users below the moderator's role."""
    require_acting_moderator(moderator)
    with transaction.atomic():
        target = community.user_by_name(username)
        check_outranks(moderator, target)
        if payload.action == "suspend":
            until, slack = timezone.now() + timedelta(days=payload.days), SUSPENSION_SLACK
            moved = Q(suspended_until__isnull=True) | Q(suspended_until__lt=until - slack)
            moved |= Q(suspended_until__gt=until + slack)
            if not User.objects.filter(moved, id=target.id).update(suspended_until=until):  # the same again
                current = User.objects.filter(id=target.id).values_list("suspended_until", flat=True).first()
                raise already_suspended(current)
            target.suspended_until = until
            summary = f"{target.username} until {until:%Y-%m-%d %H:%M} UTC"
        else:
            if not suspended(target):
                raise no_change("The user is not suspended.")
            lifted = User.objects.filter(id=target.id, suspended_until__gt=timezone.now()).update(suspended_until=None)
            if not lifted:  # lifted by a concurrent request
                raise no_change("The user is not suspended.")
            target.suspended_until = None
            summary = target.username
        record = community.log_action(moderator, payload.action, "user", target.id, summary, payload.reason)
        return _action_public(record)


def moderation_log(moderator: User, query: PageQuery) -> ModerationActionPage:
    require_moderator(moderator)
    total = ModerationAction.objects.count()
    rows = list(ModerationAction.objects.order_by("-id")[_offset(query)])
    users = _users({r.moderator_id for r in rows if r.moderator_id})
    return ModerationActionPage(items=[moderation_action(r, users) for r in rows], **page_fields(query, total))


# --- notifications --------------------------------------------------------------------


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def notifications(user: User, query: NotificationQuery) -> NotificationPage:
    chosen = Notification.objects.filter(user_id=user.id)
    if query.unread:
        chosen = chosen.filter(read_at__isnull=True)
    total = chosen.count()
    rows = list(chosen.order_by("-id")[_offset(query)])
    actors = _users({r.actor_id for r in rows})
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


# --- watches and the watchlist -----------------------------------------------------------


def watch_post(user: User, post_id: int, watching: bool) -> WatchState:
    community.visible_post(post_id)
    try:
        with transaction.atomic():
            community.set_watch(PostWatch, watching, user_id=user.id, post_id=post_id)
    except IntegrityError:  # the post was deleted between the check and the insert
        raise ApiError(404, "post_not_found") from None
    return WatchState(watching=watching)


def watch_category(user: User, slug: str, watching: bool) -> WatchState:
    category = community.category_by_slug(slug)
    community.set_watch(CategoryWatch, watching, user_id=user.id, category_id=category.id)
    return WatchState(watching=watching)


def _ticker(raw: str) -> str:
    ticker = normalize_ticker(raw)
    if ticker is None:
        raise ApiError(404, "not_found")
    return ticker


def watchlist(user: User) -> Watchlist:
    tickers = TickerFollow.objects.filter(user_id=user.id).order_by("ticker").values_list("ticker", flat=True)
    return Watchlist(tickers=list(tickers))


def follow_ticker(user: User, raw: str, following: bool) -> Watchlist:
    ticker = _ticker(raw)
    follows = TickerFollow.objects.filter(user_id=user.id)
    with transaction.atomic():
        if following:  # the count and the insert see no other follow in between (as in the reference)
            list(User.objects.select_for_update(no_key=True).filter(id=user.id).values_list("id", flat=True))
        if following and not follows.filter(ticker=ticker).exists() and follows.count() >= WATCHLIST_MAX:
            raise ApiError(422, "invalid", {"ticker": f"A watchlist holds at most {WATCHLIST_MAX} tickers."})
        community.set_watch(TickerFollow, following, user_id=user.id, ticker=ticker)  # idempotent under races too
    return watchlist(user)


def feed(user: User, query: PageQuery) -> PostPage:
    """Visible posts on the user's followed tickers, newest first (numbered pages, capped total)."""
    followed = TickerFollow.objects.filter(user_id=user.id).values("ticker")
    on_followed = PostCashtag.objects.filter(ticker__in=followed).values("post_id")
    chosen = Post.objects.filter(id__in=on_followed, hidden_at__isnull=True)
    total = chosen.order_by()[: EXACT_TOTAL_MAX + 1].count()
    rows = chosen.select_related("author", "category").order_by("-created_at", "-id")[_offset(query)]
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


def cashtag_stats(raw: str) -> CashtagStats:
    """Posts per day over 30 days and the bullish/bearish split over 7 and 30 days (visible posts)."""
    ticker = _ticker(raw)
    now = timezone.now()
    today = now.astimezone(UTC).date()
    start = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=29)
    week = now - timedelta(days=7)
    month = now - timedelta(days=30)
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
    split = list(split)
    return cashtag_stats_schema(
        ticker,
        post_count,
        followers,
        today,
        per_day,
        {s: int(w) for s, w, _ in split},
        {s: int(m) for s, _, m in split},
    )


def pinned_posts(slug: str) -> PinnedPosts:
    category = community.category_by_slug(slug)
    rows = (
        Post.objects.select_related("author", "category")
        .filter(category_id=category.id, pinned=True, hidden_at__isnull=True)
        .order_by("-created_at", "-id")[:10]
    )
    return PinnedPosts(items=[post_public(p) for p in rows])
