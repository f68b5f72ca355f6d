"""Daily and weekly digests: the unread notifications and the top posts of followed tickers, by e-mail.

A member gets the ``daily`` (or ``weekly``) digest when at least one notification kind is
set to that delivery (the settings page). It lists their *unread* notifications of those
kinds from the period (the same filters as the bell: not from members they block, not of
tickers they muted, no hidden post's title), and the period's most commented posts on the
tickers they follow (not by members they block, not hidden, not on muted tickers). Nothing
to say, no mail.

Sent by ``flask digests send --period daily|weekly`` (cron) and by the worker's periodic
task (Procrastinate ``@app.periodic``, :data:`CRON`). Each member's digest of one period is
claimed by a ``digest_sends`` row (unique member + period + period start) in the
transaction that delivers it: run twice, by cron and the scheduler at once, or by two
workers, the second finds the row and sends nothing; a mail server that is down rolls the
claim back, so the next run sends it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Engine, and_, exists, select
from sqlalchemy.orm import Session

from finboard.core import lookups, unsubscribe
from finboard.core.account_models import NotificationPreference
from finboard.core.mail import MailError, deliver, render
from finboard.core.mail_models import DigestSend, claim
from finboard.core.models import Notification, Post, PostCashtag, TickerFollow, User, UserBlock, UserMute, utcnow
from finboard.settings import Settings

log = logging.getLogger("finboard.mail")

PERIODS = ("daily", "weekly")
LENGTH = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
# When the worker's scheduler sends them (UTC): every day at 07:00, and Mondays at 07:00.
CRON = {"daily": "0 7 * * *", "weekly": "0 7 * * 1"}
NOTIFICATIONS_MAX = 50
TOP_POSTS_MAX = 5


def period_start(period: str, now: datetime) -> date:
    """The period a digest sent at ``now`` belongs to: the day, or the ISO week's Monday (UTC)."""
    if period not in PERIODS:
        raise ValueError(f"no digest period {period!r} (known: {', '.join(PERIODS)})")
    today = now.date()
    return today if period == "daily" else today - timedelta(days=today.weekday())


def members_due(session: Session, period: str) -> list[int]:
    """Members with a verified address and at least one kind delivered in this digest."""
    chosen = exists().where(NotificationPreference.user_id == User.id, NotificationPreference.delivery == period)
    return list(session.scalars(select(User.id).where(User.email_verified_at.is_not(None), chosen).order_by(User.id)))


@dataclass(frozen=True)
class DigestContent:
    notifications: list[dict]
    top_posts: list[dict]


def content(session: Session, user: User, period: str, since: datetime) -> DigestContent:
    kinds = select(NotificationPreference.kind).where(
        NotificationPreference.user_id == user.id, NotificationPreference.delivery == period
    )
    blocked = exists().where(UserBlock.blocker_id == user.id, UserBlock.blocked_id == Notification.actor_id)
    muted = exists().where(UserMute.user_id == user.id, UserMute.kind == "ticker", UserMute.term == Notification.ticker)
    notes = list(
        session.scalars(
            select(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.read_at.is_(None),
                Notification.created_at >= since,
                Notification.kind.in_(kinds),
                ~blocked,
                ~muted,
            )
            .order_by(Notification.id.desc())
            .limit(NOTIFICATIONS_MAX)
        )
    )
    actors = lookups.users_by_id(session, {n.actor_id for n in notes})
    shown = select(Post.id, Post.title).where(Post.id.in_({n.post_id for n in notes}), Post.hidden_at.is_(None))
    titles = dict(session.execute(shown).all())
    notifications = [
        {
            "kind": n.kind.replace("_", " "),
            "actor": actors[n.actor_id].username if n.actor_id in actors else "a member",
            "title": titles.get(n.post_id, "(a hidden post)"),
            "post_id": n.post_id,
        }
        for n in notes
    ]
    followed = select(TickerFollow.ticker).where(TickerFollow.user_id == user.id)
    muted_tickers = select(UserMute.term).where(UserMute.user_id == user.id, UserMute.kind == "ticker")
    author_blocked = exists().where(UserBlock.blocker_id == user.id, UserBlock.blocked_id == Post.author_id)
    on_ticker = exists().where(
        and_(
            PostCashtag.post_id == Post.id,
            PostCashtag.ticker.in_(followed),
            PostCashtag.ticker.not_in(muted_tickers),
            PostCashtag.created_at >= since,
        )
    )
    posts = session.execute(
        select(Post.id, Post.title, Post.comment_count)
        .where(on_ticker, Post.hidden_at.is_(None), Post.author_id != user.id, ~author_blocked)
        .order_by(Post.comment_count.desc(), Post.id.desc())
        .limit(TOP_POSTS_MAX)
    ).all()
    top_posts = [{"post_id": p.id, "title": p.title, "comments": p.comment_count} for p in posts]
    return DigestContent(notifications, top_posts)


def compose(settings: Settings, user: User, period: str, found: DigestContent) -> EmailMessage | None:
    if not found.notifications and not found.top_posts:
        return None
    unsubscribe_url = unsubscribe.link(settings.site_url, settings.secret_key, user.id, f"digest:{period}")
    context = {
        "user": user,
        "period": period,
        "notifications": found.notifications,
        "top_posts": found.top_posts,
        "unsubscribe_url": unsubscribe_url,
    }
    return render(settings, "digest", user.email, context, unsubscribe_url=unsubscribe_url)


def send_one(session: Session, settings: Settings, user_id: int, period: str, now: datetime) -> bool:
    """Claim, compose and deliver one member's digest in one transaction. False when it was
    already sent for this period (or there is nothing to say); MailError rolls the claim back."""
    start = period_start(period, now)
    with session.begin():
        if not claim(session, DigestSend, user_id=user_id, period=period, period_start=start, sent_at=utcnow()):
            return False
        user = session.get(User, user_id)
        if user is None or user.email_verified_at is None:
            return False
        message = compose(settings, user, period, content(session, user, period, now - LENGTH[period]))
        if message is None:  # the claim commits: nothing to say this period
            return False
        deliver(settings, message)
    log.info("%s digest sent to member %s", period, user_id)
    return True


@dataclass
class DigestRun:
    sent: int = 0
    skipped: int = 0
    failed: int = 0


def send_all(bind: Engine, settings: Settings, period: str, now: datetime | None = None) -> DigestRun:
    """Every due member's digest of the period, each in its own transaction; a member whose mail
    fails is counted (and sent by the next run: their claim rolled back)."""
    now = now or utcnow()
    period_start(period, now)  # an unknown period fails before any work
    with Session(bind) as session:
        members = members_due(session, period)
    run = DigestRun()
    for user_id in members:
        with Session(bind) as session:
            try:
                if send_one(session, settings, user_id, period, now):
                    run.sent += 1
                else:
                    run.skipped += 1
            except MailError as exc:
                log.warning("%s digest of member %s not sent: %s", period, user_id, exc)
                run.failed += 1
    return run
