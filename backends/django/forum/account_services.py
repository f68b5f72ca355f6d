"""finboard.core.account_service in the Django ORM: password reset, verification, change of e-mail.

The same links (finboard.core.account_tokens, read from Django's ``User`` as they are from
SQLAlchemy's), the same answers and the same guards: each use of a link is a conditional
``UPDATE`` on the state its fingerprint was made from, so of two requests with one link
only one changes anything. Mails are jobs of the same transaction (``forum/jobs.py``);
who gets what is decided when the job runs (finboard.core.mail_jobs). A confirmation that
another account beat to the address fails on the partial unique index (migration 0019).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from finboard.contract.accounts import address_confirmed_elsewhere, address_taken, token_error, wrong_password
from finboard.core import account_tokens, mail_jobs
from finboard.core.account_tokens import Purpose, TokenInvalid
from finboard.core.security import hash_password, verify_password
from finboard.settings import Settings

from . import jobs
from .models import User, UserSession


def request_password_reset(settings: Settings, email: str) -> None:
    with transaction.atomic():
        jobs.enqueue_mail(mail_jobs.job_args("reset", email=email.strip().lower()))


def _claimed_user(settings: Settings, token: str, purpose: Purpose) -> tuple[User, str | None]:
    try:
        claim = account_tokens.read_token(settings.secret_key, token, purpose)
        user = account_tokens.check(claim, User.objects.filter(id=claim.user_id).first(), purpose)
    except TokenInvalid as exc:
        raise token_error(exc.reason) from None
    return user, claim.new_email  # type: ignore[return-value]


def reset_password(settings: Settings, token: str, new_password: str) -> None:
    user, _ = _claimed_user(settings, token, "reset")
    new_hash = hash_password(new_password)
    with transaction.atomic():
        changed = User.objects.filter(
            id=user.id, password_hash=user.password_hash, token_version=user.token_version
        ).update(password_hash=new_hash, token_version=F("token_version") + 1)
        if changed != 1:
            raise token_error("used")
        UserSession.objects.filter(user_id=user.id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def send_verification(settings: Settings, user: User) -> None:
    if user.email_verified_at is None:
        with transaction.atomic():
            jobs.enqueue_mail(mail_jobs.job_args("verify", user_id=user.id))


def verify_email(settings: Settings, token: str) -> None:
    user, _ = _claimed_user(settings, token, "verify")
    try:
        with transaction.atomic():
            changed = User.objects.filter(id=user.id, email=user.email, email_verified_at__isnull=True).update(
                email_verified_at=timezone.now()
            )
    except IntegrityError:  # uq_users_email_verified: the address is another account's now
        raise address_confirmed_elsewhere() from None
    if changed != 1:
        raise token_error("used")


def request_email_change(settings: Settings, user: User, new_email: str, password: str) -> None:
    if not verify_password(user.password_hash, password):
        raise wrong_password()
    new_email = new_email.strip().lower()
    if new_email != user.email:  # the job finds whether another account owns it (the same work either way)
        with transaction.atomic():
            jobs.enqueue_mail(mail_jobs.job_args("email_change", user_id=user.id, new_email=new_email))


def confirm_email_change(settings: Settings, token: str) -> None:
    user, new_email = _claimed_user(settings, token, "email")
    old_email, old_confirmed = user.email, user.email_verified_at is not None
    try:
        with transaction.atomic():
            changed = User.objects.filter(id=user.id, email=old_email, token_version=user.token_version).update(
                email=new_email, email_verified_at=timezone.now()
            )
            if changed != 1:
                raise token_error("used")
            if old_confirmed:  # an unconfirmed old address may be someone else's
                jobs.enqueue_mail(mail_jobs.job_args("email_changed", user_id=user.id, old_email=old_email))
    except IntegrityError:  # uq_users_email_verified: another account confirmed it since the link was mailed
        raise address_taken() from None
