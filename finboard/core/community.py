"""The rules of a living board, shared by every write path on a sync SQLAlchemy session.

Who may write (suspensions), how fast (per-account limits counted in the
database, stricter for new accounts), who gets told (mentions, replies,
watches, watchlists) and what moderation does to the data (hidden posts leave
the listings and the counters). The Flask API, the forum pages and the FastAPI
adapter (through ``run_sync``) call these; the Django adapter follows the same
rules in its ORM, and the conformance suite holds them equal.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from finboard.core.api_contract import ApiError
from finboard.core.models import (
    Category,
    CategoryWatch,
    Comment,
    ModerationAction,
    Notification,
    Post,
    PostCashtag,
    PostWatch,
    TickerFollow,
    User,
    format_positions,
    utcnow,
)
from finboard.core.settings import Settings

ROLE_RANK = {"member": 0, "moderator": 1, "admin": 2}
MAX_MENTIONS = 20
MENTION_RE = re.compile(r"(?<![\w@/.])@([A-Za-z0-9_]{3,32})\b")


def is_moderator(user: User | None) -> bool:
    return user is not None and ROLE_RANK.get(user.role, 0) >= 1


def suspended(user: User, now: datetime | None = None) -> bool:
    return user.suspended_until is not None and user.suspended_until > (now or utcnow())


def suspension_message(user: User) -> str:
    return f"Your account is suspended until {user.suspended_until:%Y-%m-%d %H:%M} UTC: you can read but not write."


def require_writer(user: User) -> None:
    """403 for a suspended account: it reads but does not write."""
    if suspended(user):
        raise ApiError(403, suspension_message(user), code="suspended")


def require_moderator(user: User) -> None:
    if not is_moderator(user):
        raise ApiError(403, "moderators_only")


def require_acting_moderator(user: User) -> None:
    """A moderator who may write: a suspended moderator reads the queue and the log but acts on nothing."""
    require_moderator(user)
    require_writer(user)


def is_new_account(user: User, settings: Settings, now: datetime) -> bool:
    return user.created_at > now - timedelta(hours=settings.new_account_hours)


def hourly_limit(user: User, settings: Settings, kind: str, now: datetime) -> int:
    new = is_new_account(user, settings, now)
    if kind == "post":
        return settings.new_account_posts_per_hour if new else settings.posts_per_hour
    return settings.new_account_comments_per_hour if new else settings.comments_per_hour


def rate_limit_message(kind: str, limit: int, new: bool) -> str:
    who = "New accounts" if new else "Each account"
    return f"{who} can write {limit} {kind}s an hour. Try again later."


def check_write_rate(session: Session, settings: Settings, user: User, kind: str) -> None:
    """429 once the account wrote its hourly allowance of posts or comments (one indexed count)."""
    now = utcnow()
    limit = hourly_limit(user, settings, kind, now)
    model = Post if kind == "post" else Comment
    since = now - timedelta(hours=1)
    recent = select(model.id).where(model.author_id == user.id, model.created_at > since).limit(limit + 1).subquery()
    if session.scalar(select(func.count()).select_from(recent)) >= limit:
        raise ApiError(429, rate_limit_message(kind, limit, is_new_account(user, settings, now)))


def mentioned_usernames(*texts: str) -> list[str]:
    """Lower-cased @usernames in order of appearance, at most ``MAX_MENTIONS``."""
    seen: dict[str, None] = {}
    for chunk in texts:
        for match in MENTION_RE.finditer(chunk or ""):
            seen.setdefault(match.group(1).lower(), None)
    return list(seen)[:MAX_MENTIONS]


# --- notifications -----------------------------------------------------------------


def _mentioned_ids(session: Session, *texts: str) -> list[int]:
    names = mentioned_usernames(*texts)
    if not names:
        return []
    return list(session.scalars(select(User.id).where(func.lower(User.username).in_(names)).order_by(User.id)))


Recipient = tuple[int, str, str | None]  # (user id, kind, ticker)


def _ranked(author_id: int, *groups: tuple[str, list[tuple[int, str | None]]]) -> list[Recipient]:
    """One notification per user: the first group that names them decides the kind; never the author.

    Each group is (kind, [(user id, ticker)]). In user id order, so every backend numbers the rows alike.
    """
    chosen: dict[int, tuple[str, str | None]] = {}
    for kind, entries in groups:
        for user_id, ticker in entries:
            chosen.setdefault(user_id, (kind, ticker))
    chosen.pop(author_id, None)
    return [(user_id, kind, ticker) for user_id, (kind, ticker) in sorted(chosen.items())]


def _users(ids: list[int]) -> list[tuple[int, None]]:
    return [(user_id, None) for user_id in ids]


def new_post_recipients(
    author_id: int,
    mentioned: list[int],
    category_watchers: list[int],
    ticker_follows: list[tuple[int, str]],
    tickers: list[str],
) -> list[Recipient]:
    """Mentions first, then watchers of the category, then followers of its tickers (the post's first
    ticker a user follows is the one named)."""
    order = {ticker: i for i, ticker in enumerate(tickers)}
    follows = sorted(ticker_follows, key=lambda row: (order[row[1]], row[0]))
    return _ranked(
        author_id, ("mention", _users(mentioned)), ("new_post", _users(category_watchers)), ("ticker", follows)
    )


def new_comment_recipients(
    author_id: int, mentioned: list[int], post_author_id: int, post_watchers: list[int]
) -> list[Recipient]:
    """Mentions first, then the post's author (a reply), then the post's watchers."""
    return _ranked(
        author_id,
        ("mention", _users(mentioned)),
        ("reply", _users([post_author_id])),
        ("comment", _users(post_watchers)),
    )


def _insert_notifications(session: Session, recipients: list[Recipient], **event) -> None:
    now = utcnow()
    session.add_all(
        Notification(user_id=user_id, kind=kind, ticker=ticker, created_at=now, **event)
        for user_id, kind, ticker in recipients
    )


def notify_new_post(session: Session, post: Post, author: User) -> None:
    watchers = select(CategoryWatch.user_id).where(CategoryWatch.category_id == post.category_id)
    tickers = post.cashtag_list
    follows = (
        session.execute(select(TickerFollow.user_id, TickerFollow.ticker).where(TickerFollow.ticker.in_(tickers)))
        if tickers
        else []
    )
    recipients = new_post_recipients(
        author.id,
        _mentioned_ids(session, post.title, post.body),
        list(session.scalars(watchers)),
        [tuple(row) for row in follows],
        tickers,
    )
    _insert_notifications(session, recipients, actor_id=author.id, post_id=post.id, comment_id=None)


def notify_new_comment(session: Session, post: Post, comment: Comment, author: User) -> None:
    watchers = select(PostWatch.user_id).where(PostWatch.post_id == post.id)
    recipients = new_comment_recipients(
        author.id, _mentioned_ids(session, comment.body), post.author_id, list(session.scalars(watchers))
    )
    _insert_notifications(session, recipients, actor_id=author.id, post_id=post.id, comment_id=comment.id)


# --- watches -------------------------------------------------------------------------


def watch_post(session: Session, user_id: int, post_id: int) -> None:
    if session.get(PostWatch, (user_id, post_id)) is None:
        session.add(PostWatch(user_id=user_id, post_id=post_id))
        session.flush()


def set_watch(session: Session, model, key: tuple, watching: bool) -> None:
    """Add or remove one watch row (post, category or ticker); either is idempotent."""
    row = session.get(model, key)
    if watching and row is None:
        fields = dict(zip((c.name for c in model.__table__.primary_key.columns), key, strict=True))
        session.add(model(**fields))
    elif not watching and row is not None:
        session.delete(row)
    session.flush()


# --- positions ---------------------------------------------------------------------


def positions_for(post_tickers: list[str], given: dict[str, str] | None, stored: list[tuple[str, str]]) -> str:
    """The positions to store: the given ones (each must be a cashtag of the post), else the
    stored ones that still are; in the post's cashtag order."""
    if given is not None:
        unknown = [ticker for ticker in given if ticker not in post_tickers]
        if unknown:
            raise ApiError(422, "invalid", {"positions": f"${unknown[0]} is not a cashtag of this post."})
        chosen = given
    else:
        chosen = dict(stored)
    return format_positions([(ticker, chosen[ticker]) for ticker in post_tickers if ticker in chosen])


# --- moderation ---------------------------------------------------------------------


def log_action(
    session: Session, moderator: User, action: str, target_type: str, target_id: int, summary: str, reason: str
) -> ModerationAction:
    record = ModerationAction(
        moderator_id=moderator.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary[:200],
        reason=reason,
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    return record


def check_hidden_change(what: str, hidden_at, hide: bool) -> None:
    """409 when hiding a hidden ``what`` (post or comment) or restoring a visible one."""
    if hide and hidden_at is not None:
        raise no_change(f"The {what} is already hidden.")
    if not hide and hidden_at is None:
        raise no_change(f"The {what} is not hidden.")


def no_change(message: str) -> ApiError:
    return ApiError(409, message, code="no_change")


def hide_post(session: Session, post: Post) -> None:
    """Out of every listing: the row is marked (the triggers uncount it) and its cashtag rows go."""
    check_hidden_change("post", post.hidden_at, hide=True)
    post.hidden_at = utcnow()
    session.execute(delete(PostCashtag).where(PostCashtag.post_id == post.id))
    session.flush()


def restore_post(session: Session, post: Post) -> None:
    check_hidden_change("post", post.hidden_at, hide=False)
    post.hidden_at = None
    session.flush()
    session.add_all(PostCashtag(ticker=t, post_id=post.id, created_at=post.created_at) for t in post.cashtag_list)
    session.flush()


def set_post_flag(post: Post, flag: str, value: bool) -> None:
    if getattr(post, flag) == value:
        raise no_change(f"The post is already {'' if value else 'un'}{flag}.")
    setattr(post, flag, value)


def hide_comment(session: Session, comment: Comment) -> None:
    """Out of its post's comments: ``comment_count`` drops with it, as for a delete."""
    check_hidden_change("comment", comment.hidden_at, hide=True)
    comment.hidden_at = utcnow()
    session.execute(update(Post).where(Post.id == comment.post_id).values(comment_count=Post.comment_count - 1))
    session.flush()


def restore_comment(session: Session, comment: Comment) -> None:
    check_hidden_change("comment", comment.hidden_at, hide=False)
    comment.hidden_at = None
    session.execute(update(Post).where(Post.id == comment.post_id).values(comment_count=Post.comment_count + 1))
    session.flush()


def check_outranks(moderator: User, target: User) -> None:
    if ROLE_RANK.get(moderator.role, 0) <= ROLE_RANK.get(target.role, 0):
        raise ApiError(403, "outranked")


def category_by_slug(session: Session, slug: str) -> Category:
    category = session.scalars(select(Category).where(Category.slug == slug)).first()
    if category is None:
        raise ApiError(404, "category_not_found")
    return category


def user_by_name(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(func.lower(User.username) == username.lower())).first()
    if user is None:
        raise ApiError(404, "user_not_found")
    return user
