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
from sqlalchemy.orm.attributes import set_committed_value

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


def insert_if_absent(session: Session, model, **fields) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on the primary key: True when the row is new (safe under races)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return session.execute(insert(model).values(**fields).on_conflict_do_nothing()).rowcount > 0


def watch_post(session: Session, user_id: int, post_id: int) -> None:
    insert_if_absent(session, PostWatch, user_id=user_id, post_id=post_id)


def set_watch(session: Session, model, key: tuple, watching: bool) -> None:
    """Add or remove one watch row (post, category or ticker); either is idempotent, races included."""
    fields = dict(zip((c.name for c in model.__table__.primary_key.columns), key, strict=True))
    if watching:
        insert_if_absent(session, model, **fields)
    else:
        session.execute(delete(model).filter_by(**fields))


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

TRANSITIONS = """Every state transition: its guard and its answer when repeated.

The guard is the transaction's first write and decides alone: a conditional UPDATE whose row count
is checked, a DELETE ... RETURNING, an INSERT ... ON CONFLICT DO NOTHING / WHERE NOT EXISTS, or a
row lock. On PostgreSQL a concurrent identical request waits for the row lock and re-evaluates
the condition; on SQLite writers serialize. So of two identical requests exactly one changes the
row; counters move and the moderation log gets its one entry only after the guard changed a row;
the other gets the "repeat" answer (never a 500, never a double effect). The SQLAlchemy
path (this module, community_service, api_service, queries) and the Django path
(backends/django/forum/community.py, community_services.py, services.py) implement this table.

post hide (moderator)
    guard:  UPDATE posts SET hidden_at=now WHERE id AND hidden_at IS NULL; then its cashtag rows go
    repeat: 409 no_change "The post is already hidden."
post restore (moderator)
    guard:  UPDATE posts SET hidden_at=NULL WHERE id AND hidden_at IS NOT NULL; cashtag rows back
    repeat: 409 no_change "The post is not hidden."
post lock/unlock, pin/unpin (moderator)
    guard:  UPDATE posts SET flag=v WHERE id AND flag <> v
    repeat: 409 no_change "The post is already locked." (unlocked, pinned, unpinned)
post delete (moderator)
    guard:  DELETE FROM posts WHERE id (reports: ids set NULL, snapshot kept)
    repeat: 409 no_change "The post is already deleted." when the log has a delete of it, else 404
post delete (author: API, forum form)
    guard:  DELETE FROM posts WHERE id AND author_id AND hidden_at IS NULL
    repeat: 404 post_not_found; 403 code "hidden" when a moderator hid it
comment hide (moderator)
    guard:  UPDATE comments SET hidden_at=now WHERE id AND hidden_at IS NULL; then comment_count - 1
    repeat: 409 no_change "The comment is already hidden."
comment restore (moderator)
    guard:  UPDATE comments SET hidden_at=NULL WHERE id AND hidden_at IS NOT NULL; then count + 1
    repeat: 409 no_change "The comment is not hidden."
comment delete (moderator)
    guard:  DELETE FROM comments WHERE id RETURNING hidden_at; count - 1 only if it was visible
    repeat: 409 no_change "The comment is already deleted." when logged, else 404
comment delete (author, forum form)
    guard:  DELETE FROM comments WHERE id AND author_id AND hidden_at IS NULL RETURNING ...
    repeat: 404; 403 code "hidden" (a flash on the post page) when a moderator hid it
report create (member)
    guard:  row lock on the reporter (PostgreSQL), INSERT ... SELECT WHERE NOT EXISTS (open duplicate)
    repeat: 409 already_reported
report resolve (moderator)
    guard:  UPDATE reports SET status='resolved' WHERE id AND status='open'
    repeat: 409 report_resolved
user unsuspend (moderator)
    guard:  UPDATE users SET suspended_until=NULL WHERE id AND suspended_until > now
    repeat: 409 no_change "The user is not suspended."
user suspend (moderator)
    guard:  UPDATE users SET suspended_until=now+days WHERE id AND it is NULL or differs by a minute or more
    repeat: 409 no_change "The user is already suspended until <end> UTC." (a longer or shorter one applies)
post/category watch, ticker follow
    guard:  INSERT ... ON CONFLICT DO NOTHING (Django: bulk_create ignore_conflicts)
    repeat: 200, a no-op
post/category unwatch, ticker unfollow
    guard:  DELETE WHERE key
    repeat: 200, a no-op
notifications mark-read
    guard:  UPDATE notifications SET read_at=now WHERE user_id AND read_at IS NULL
    repeat: 200, a no-op

A post or comment hidden by a moderator is evidence: its author cannot delete it (403, code
``hidden``), and a report outlives the deletion of what it reports (its ids become NULL, its
snapshot ``title``/``content``/``target_author_id`` stays; migration 0006).
"""


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


# A suspend that would move the end by less than this is the same suspension again (a repeat).
SUSPENSION_SLACK = timedelta(minutes=1)


def already_suspended(until: datetime) -> ApiError:
    """The 409 of a suspend that changes nothing: the end is already (within a minute) that."""
    return no_change(f"The user is already suspended until {until:%Y-%m-%d %H:%M} UTC.")


def flag_unchanged(flag: str, value: bool) -> ApiError:
    """The 409 of a lock/unlock/pin/unpin that changes nothing."""
    return no_change(f"The post is already {'' if value else 'un'}{flag}.")


def already_deleted(what: str) -> ApiError:
    """The 409 of a moderator's delete of a post or comment a moderator already deleted."""
    return no_change(f"The {what} is already deleted.")


def hidden_evidence(what: str) -> ApiError:
    """403 to the author deleting a post or comment a moderator hid: it is kept as evidence."""
    return ApiError(403, f"{what}_hidden", code="hidden")


def changed(session: Session, stmt) -> bool:
    """Run a transition's guard (a conditional UPDATE or DELETE); True when it changed a row.

    The guard is the transaction's first write, so on PostgreSQL a concurrent identical request
    waits for the row lock and then re-checks the condition, and on SQLite writers serialize:
    either way exactly one of two identical requests sees a row change.
    """
    return session.execute(stmt, execution_options={"synchronize_session": False}).rowcount > 0


def deleted_by_moderator(session: Session, target_type: str, target_id: int) -> bool:
    """Whether the log records a moderator's delete of this post or comment (a repeat is a 409, not a 404)."""
    logged = select(ModerationAction.id).where(
        ModerationAction.target_type == target_type,
        ModerationAction.target_id == target_id,
        ModerationAction.action == "delete",
    )
    return session.execute(logged.limit(1)).first() is not None


def _exists(session: Session, model, row_id: int) -> bool:
    return session.execute(select(model.id).where(model.id == row_id)).first() is not None


def _refused(session: Session, model, row_id: int, conflict: ApiError) -> ApiError:
    """Why a guard changed nothing: the row is gone (404, or 409 after a moderator's delete) or already so."""
    if _exists(session, model, row_id):
        return conflict
    what = "post" if model is Post else "comment"
    if deleted_by_moderator(session, what, row_id):
        return already_deleted(what)
    return ApiError(404, f"{what}_not_found")


def hide_post(session: Session, post: Post) -> None:
    """Out of every listing: the row is marked (the triggers uncount it) and its cashtag rows go."""
    check_hidden_change("post", post.hidden_at, hide=True)
    now = utcnow()
    guard = update(Post).where(Post.id == post.id, Post.hidden_at.is_(None)).values(hidden_at=now)
    if not changed(session, guard):
        raise _refused(session, Post, post.id, no_change("The post is already hidden."))
    set_committed_value(post, "hidden_at", now)
    session.execute(delete(PostCashtag).where(PostCashtag.post_id == post.id))


def restore_post(session: Session, post: Post) -> None:
    check_hidden_change("post", post.hidden_at, hide=False)
    guard = update(Post).where(Post.id == post.id, Post.hidden_at.is_not(None)).values(hidden_at=None)
    if not changed(session, guard):
        raise _refused(session, Post, post.id, no_change("The post is not hidden."))
    set_committed_value(post, "hidden_at", None)
    session.add_all(PostCashtag(ticker=t, post_id=post.id, created_at=post.created_at) for t in post.cashtag_list)
    session.flush()


def set_post_flag(session: Session, post: Post, flag: str, value: bool) -> None:
    """Lock/unlock or pin/unpin: 409 when the flag already has that value."""
    if getattr(post, flag) == value:
        raise flag_unchanged(flag, value)
    column = getattr(Post, flag)
    guard = update(Post).where(Post.id == post.id, column != value).values({flag: value})
    if not changed(session, guard):
        raise _refused(session, Post, post.id, flag_unchanged(flag, value))
    set_committed_value(post, flag, value)


def move_comment_count(session: Session, post_id: int, by: int) -> None:
    """The post's ``comment_count``, moved in SQL so concurrent writers never lose an update."""
    session.execute(update(Post).where(Post.id == post_id).values(comment_count=Post.comment_count + by))


def hide_comment(session: Session, comment: Comment) -> None:
    """Out of its post's comments: ``comment_count`` drops with it, as for a delete (only if the row changed)."""
    check_hidden_change("comment", comment.hidden_at, hide=True)
    now = utcnow()
    guard = update(Comment).where(Comment.id == comment.id, Comment.hidden_at.is_(None)).values(hidden_at=now)
    if not changed(session, guard):
        raise _refused(session, Comment, comment.id, no_change("The comment is already hidden."))
    set_committed_value(comment, "hidden_at", now)
    move_comment_count(session, comment.post_id, -1)


def restore_comment(session: Session, comment: Comment) -> None:
    check_hidden_change("comment", comment.hidden_at, hide=False)
    guard = update(Comment).where(Comment.id == comment.id, Comment.hidden_at.is_not(None)).values(hidden_at=None)
    if not changed(session, guard):
        raise _refused(session, Comment, comment.id, no_change("The comment is not hidden."))
    set_committed_value(comment, "hidden_at", None)
    move_comment_count(session, comment.post_id, 1)


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
