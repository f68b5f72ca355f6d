""" "Delete my account": re-authenticated request, a grace period, then anonymisation by a job.

**Asking** takes the password, and a current two-factor code when 2FA is on (the caller
rate-limits the attempts). It records ``account_deletions`` (when, and the member's choice
of keeping their posts and comments under "deleted member" or removing them) and, in the
same transaction, signs out every session and revokes every API token
(``token_version`` moves on): whoever holds a stolen session loses it at once.

**Cancelling**: the member signs in again within the grace period
(``ACCOUNT_DELETION_GRACE_DAYS``, default 7) and presses "Keep my account" (the settings
page), or calls the API.

**Anonymising** (:func:`purge_due`: the worker's periodic task, or ``flask accounts purge``
for cron) runs once the period is over, one account per transaction:

- personal data erased: the address (replaced by an undeliverable one), the password (no
  login works), bio, avatar (its file too when no one else's avatar is the same image),
  two-factor secret and recovery codes, sessions, notification preferences and
  notifications, blocks (both ways) and mutes, watches and ticker follows, data exports
  (files too), digest and unsubscribe records;
- the username becomes ``deleted-member-<id>`` (a name nobody can register: ``-`` is not
  allowed in usernames), so the profile page of the old name is a 404;
- content: kept (shown under the deleted member's name), or removed — every post (with its
  comments) and every comment, through the same deletes as the forum's, counters included.

The row of ``users`` itself stays (with nothing personal in it) so that kept content and
moderation logs keep a valid author.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session

from finboard.contract.errors import ApiError
from finboard.core import content_writes, two_factor
from finboard.core.account_data_models import AccountDeletion, DataExport
from finboard.core.account_models import NotificationPreference, RecoveryCode, TwoFactor
from finboard.core.mail_models import DigestSend
from finboard.core.models import (
    CategoryWatch,
    Comment,
    Notification,
    Post,
    PostWatch,
    TickerFollow,
    User,
    UserBlock,
    UserMute,
    UserSession,
    utcnow,
)
from finboard.core.security import verify_password
from finboard.settings import Settings

log = logging.getLogger(__name__)

WRONG_PASSWORD = "That is not your current password."  # noqa: S105 - a message
CODE_NEEDED = "Enter a current code from your authenticator app (or a recovery code)."
WRONG_CODE = "That code is wrong, expired or already used."
ALREADY = "Your account is already set to be deleted."
DELETED_EMAIL_DOMAIN = "deleted.invalid"


def deleted_username(user_id: int) -> str:
    return f"deleted-member-{user_id}"


def pending(session: Session, user_id: int) -> AccountDeletion | None:
    return session.get(AccountDeletion, user_id)


def request_deletion(
    session: Session,
    settings: Settings,
    user: User,
    password: str,
    code: str | None,
    keep_content: bool,
    allow_attempt: Callable[[int], bool] | None = None,
) -> AccountDeletion:
    """Re-authenticate, record the request and revoke every session and token at once. Commits.
    429 when ``allow_attempt`` (the two-factor code limiter, per account and IP) refuses; 422
    naming ``password`` or ``code``; 409 when already asked."""
    if allow_attempt is not None and not allow_attempt(user.id):
        raise ApiError(429, "rate_limited")
    if not verify_password(user.password_hash, password or ""):
        raise ApiError(422, "invalid", {"password": WRONG_PASSWORD})
    if two_factor.is_enabled(session, user.id):
        if not code:
            raise ApiError(422, "invalid", {"code": CODE_NEEDED})
        if not two_factor.verify(session, settings.secret_key, user.id, code):
            session.rollback()
            raise ApiError(422, "invalid", {"code": WRONG_CODE})
    session.execute(select(User.id).where(User.id == user.id).with_for_update())  # two requests: one row
    if pending(session, user.id) is not None:
        session.rollback()
        raise ApiError(409, "conflict", {"account": ALREADY})
    now = utcnow()
    row = AccountDeletion(
        user_id=user.id,
        requested_at=now,
        delete_after=now + timedelta(days=settings.account_deletion_grace_days),
        keep_content=keep_content,
    )
    session.add(row)
    _revoke_everything(session, user)
    session.commit()
    return row


def _revoke_everything(session: Session, user: User) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(User).where(User.id == user.id).values(token_version=User.token_version + 1)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    session.expire(user, ["token_version"])


def cancel_deletion(session: Session, user: User) -> bool:
    """Keep the account: False when no deletion was pending (or it already ran). Commits."""
    gone = session.execute(
        delete(AccountDeletion).where(AccountDeletion.user_id == user.id).execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return gone == 1


def anonymise(session: Session, settings: Settings, user_id: int, keep_content: bool) -> None:
    """Erase the member's personal data (and content, when chosen); the caller's transaction."""
    user = session.get(User, user_id)
    if user is None:
        return
    if not keep_content:
        for comment in list(session.scalars(select(Comment).where(Comment.author_id == user_id))):
            content_writes.delete_comment(session, comment)
        for post in list(session.scalars(select(Post).where(Post.author_id == user_id))):
            content_writes.delete_post(session, post)
    avatar = user.avatar
    for model, condition in (
        (TwoFactor, TwoFactor.user_id == user_id),
        (RecoveryCode, RecoveryCode.user_id == user_id),
        (NotificationPreference, NotificationPreference.user_id == user_id),
        (Notification, Notification.user_id == user_id),
        (UserBlock, or_(UserBlock.blocker_id == user_id, UserBlock.blocked_id == user_id)),
        (UserMute, UserMute.user_id == user_id),
        (PostWatch, PostWatch.user_id == user_id),
        (CategoryWatch, CategoryWatch.user_id == user_id),
        (TickerFollow, TickerFollow.user_id == user_id),
        (DigestSend, DigestSend.user_id == user_id),
        (UserSession, UserSession.user_id == user_id),
    ):
        session.execute(delete(model).where(condition).execution_options(synchronize_session=False))
    for export in session.scalars(select(DataExport).where(DataExport.user_id == user_id)):
        (Path(settings.export_dir) / f"{export.file_name}.zip").unlink(missing_ok=True)
        session.delete(export)
    user.username = deleted_username(user_id)
    user.email = f"{deleted_username(user_id)}@{DELETED_EMAIL_DOMAIN}"
    user.password_hash = "!"  # noqa: S105 - matches no password: no login
    user.bio = ""
    user.avatar = None
    user.email_verified_at = None
    user.role = "member"
    user.token_version += 1
    session.execute(delete(AccountDeletion).where(AccountDeletion.user_id == user_id))
    session.flush()
    if avatar and not session.scalar(select(func.count()).where(User.avatar == avatar)):
        (Path(settings.avatar_dir) / f"{avatar}.png").unlink(missing_ok=True)


def purge_due(bind: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Anonymise every account whose grace period is over, one transaction each; the count.
    Each takes its deletion row ``FOR UPDATE`` first, so two purges at once do each account once,
    and a cancel racing the purge either wins (nothing happens) or waits and finds nothing."""
    now = now or utcnow()
    with Session(bind) as session:
        due = list(session.scalars(select(AccountDeletion.user_id).where(AccountDeletion.delete_after <= now)))
    done = 0
    for user_id in due:
        with Session(bind) as session, session.begin():
            row = session.scalar(
                select(AccountDeletion).where(AccountDeletion.user_id == user_id).with_for_update(skip_locked=True)
            )
            if row is None or row.delete_after > now:
                continue
            anonymise(session, settings, user_id, row.keep_content)
            done += 1
        log.info("account %s anonymised", user_id)
    return done
