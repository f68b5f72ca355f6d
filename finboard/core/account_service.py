"""Account recovery and the address, on a SQLAlchemy session: reset, verify, change of e-mail.

The Flask forum's pages, the Flask API and FastAPI (``run_sync``) call these; Django has
the same use cases in ``forum/account_services.py``. Each function commits what it
writes. The mails go out as jobs of the same transaction (finboard.core.jobs), never in
the request.

Every link is single-use by its fingerprint (finboard.core.account_tokens), and the
write that uses it is a conditional ``UPDATE`` on the state the fingerprint was made
from, so of two requests with one link (a double click, a replay racing the first) only
one changes anything; the other gets the "already used" answer.

An address is owned once confirmed (migration 0019): a confirmation — of the sign-up
address or of a new one — that another account beat to it fails on the partial unique
index (409, said only to whoever followed the mailed link, so only to the mailbox's
holder), and of two at once exactly one commits. Asking for a mail never looks at who
else has the address: the job does, when it runs (finboard.core.mail_jobs).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from finboard.contract.accounts import address_confirmed_elsewhere, address_taken, token_error, wrong_password
from finboard.core import account_tokens, jobs, mail_jobs
from finboard.core.account_tokens import Purpose, TokenInvalid
from finboard.core.models import User, UserSession, utcnow
from finboard.core.security import hash_password, verify_password
from finboard.settings import Settings


def request_password_reset(session: Session, settings: Settings, email: str) -> None:
    """Queue the reset mail of whoever has ``email``: the same work, answer and time for nobody."""
    jobs.enqueue_mail(session, settings, mail_jobs.job_args("reset", email=email.strip().lower()))
    session.commit()


def _claimed_user(session: Session, settings: Settings, token: str, purpose: Purpose) -> tuple[User, str | None]:
    try:
        claim = account_tokens.read_token(settings.secret_key, token, purpose)
        user = account_tokens.check(claim, session.get(User, claim.user_id), purpose)
    except TokenInvalid as exc:
        raise token_error(exc.reason) from None
    return user, claim.new_email


def check_link(session: Session, settings: Settings, token: str, purpose: Purpose) -> str | None:
    """Whether a link can still be used (its page is shown before the POST that uses it); its new address."""
    return _claimed_user(session, settings, token, purpose)[1]


def token_user_id(settings: Settings, token: object, purpose: Purpose) -> int | None:
    """The user a well-signed, unexpired token names (its rate-limit bucket), else None."""
    try:
        return account_tokens.read_token(settings.secret_key, token, purpose).user_id  # type: ignore[arg-type]
    except TokenInvalid:
        return None


def reset_password(session: Session, settings: Settings, token: str, new_password: str) -> User:
    """Set the new password; every session and API token of the account ends. Once per link."""
    user, _ = _claimed_user(session, settings, token, "reset")
    changed = session.execute(
        update(User)
        .where(User.id == user.id, User.password_hash == user.password_hash, User.token_version == user.token_version)
        .values(password_hash=hash_password(new_password), token_version=User.token_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:  # a concurrent use of the same link won
        session.rollback()
        raise token_error("used")
    revoke_sessions(session, user.id)
    session.commit()
    session.refresh(user)
    return user


def revoke_sessions(session: Session, user_id: int, keep_row_id: int | None = None) -> None:
    """End every forum session of the user (but ``keep_row_id``). The caller commits."""
    statement = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep_row_id is not None:
        statement = statement.where(UserSession.id != keep_row_id)
    session.execute(statement.values(revoked_at=utcnow()).execution_options(synchronize_session=False))


def send_verification(session: Session, settings: Settings, user: User) -> None:
    """Queue (again) the verification mail; nothing when the address is already verified."""
    if user.email_verified_at is None:
        jobs.enqueue_mail(session, settings, mail_jobs.job_args("verify", user_id=user.id))
    session.commit()


def verify_email(session: Session, settings: Settings, token: str) -> User:
    """Confirm the account's address; 409 when another account confirmed it first."""
    user, _ = _claimed_user(session, settings, token, "verify")
    try:
        changed = session.execute(
            update(User)
            .where(User.id == user.id, User.email == user.email, User.email_verified_at.is_(None))
            .values(email_verified_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
    except IntegrityError:  # uq_users_email_verified: the address is another account's now
        session.rollback()
        raise address_confirmed_elsewhere() from None
    if changed != 1:
        session.rollback()
        raise token_error("used")
    session.commit()
    session.refresh(user)
    return user


def request_email_change(session: Session, settings: Settings, user: User, new_email: str, password: str) -> None:
    """Mail a confirmation link to the new address (the current one stays until it is followed).

    An address another account confirmed gets no link, and the answer is the same: the
    request enqueues the same job whatever the address, and the job finds the owner
    (finboard.core.mail_jobs), so neither the answer nor its time tells who is registered.
    """
    if not verify_password(user.password_hash, password):
        raise wrong_password()
    new_email = new_email.strip().lower()
    if new_email != user.email:
        jobs.enqueue_mail(session, settings, mail_jobs.job_args("email_change", user_id=user.id, new_email=new_email))
    session.commit()


def confirm_email_change(session: Session, settings: Settings, token: str) -> User:
    """Switch to the confirmed address (verified by the link itself) and tell the old one, if
    it was confirmed (an unconfirmed one may be someone else's: sign-up takes any address)."""
    user, new_email = _claimed_user(session, settings, token, "email")
    old_email, old_confirmed = user.email, user.email_verified_at is not None
    try:
        changed = session.execute(
            update(User)
            .where(User.id == user.id, User.email == old_email, User.token_version == user.token_version)
            .values(email=new_email, email_verified_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
    except IntegrityError:  # uq_users_email_verified: another account confirmed it since the link was mailed
        session.rollback()
        raise address_taken() from None
    if changed != 1:
        session.rollback()
        raise token_error("used")
    if old_confirmed:
        jobs.enqueue_mail(session, settings, mail_jobs.job_args("email_changed", user_id=user.id, old_email=old_email))
    session.commit()
    session.refresh(user)
    return user
