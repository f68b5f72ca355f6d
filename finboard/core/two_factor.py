"""Two-factor login on SQLAlchemy (the Flask app and FastAPI): enrolment, checking a
code, recovery codes, turning it off.

Each code is taken by one conditional write, so it works once even under two
concurrent requests: a TOTP code by ``UPDATE … SET last_used_step = step WHERE
last_used_step < step`` (a replay inside its 30-second window, or an older code after
a newer one, changes no row), a recovery code by ``UPDATE … SET used_at = now WHERE
used_at IS NULL``. The callers commit.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from finboard.contract.errors import MESSAGES, ApiError
from finboard.contract.permissions import is_moderator
from finboard.contract.two_factor import (
    RecoveryCodes,
    TwoFactorDisable,
    TwoFactorEnable,
    TwoFactorSetup,
    TwoFactorStatus,
    check_enable,
)
from finboard.core import totp
from finboard.core.account_models import RecoveryCode, TwoFactor
from finboard.core.models import User, utcnow
from finboard.core.security import verify_password


def enrolment(session: Session, user_id: int) -> TwoFactor | None:
    return session.scalar(select(TwoFactor).where(TwoFactor.user_id == user_id))


def is_enabled(session: Session, user_id: int) -> bool:
    row = session.scalar(
        select(TwoFactor.id).where(TwoFactor.user_id == user_id, TwoFactor.enabled_at.is_not(None))
    )
    return row is not None


def staff_must_enrol(session: Session, require_for_staff: bool, user: User) -> bool:
    """Whether ``REQUIRE_2FA_FOR_STAFF`` keeps this moderator or admin out of moderation."""
    return require_for_staff and is_moderator(user) and not is_enabled(session, user.id)


def check_staff(session: Session, require_for_staff: bool, user: User) -> None:
    """The API's form of the staff gate: 403 ``two_factor_enrolment_required`` (after the body's checks)."""
    if staff_must_enrol(session, require_for_staff, user):
        raise ApiError(403, "two_factor_enrolment_required", code="two_factor_enrolment_required")


def pending_secret(session: Session, secret_key: str, user_id: int) -> str:
    """The secret of an enrolment not yet confirmed, created on first call. Once enabled the
    secret is never shown again: this raises instead."""
    row = enrolment(session, user_id)
    if row is not None and row.enabled_at is not None:
        raise ValueError("two-factor login is already on")
    if row is not None:
        secret = totp.decrypt_secret(secret_key, row.secret_encrypted)
        if secret is not None:
            return secret
        session.delete(row)  # unreadable (SECRET_KEY changed): start over
        session.flush()
    secret = totp.new_secret()
    try:
        with session.begin_nested():  # a concurrent first visit may insert the row first
            session.add(TwoFactor(user_id=user_id, secret_encrypted=totp.encrypt_secret(secret_key, secret)))
    except IntegrityError:
        return pending_secret(session, secret_key, user_id)
    return secret


def confirm(session: Session, secret_key: str, user_id: int, code: str) -> list[str] | None:
    """Turn two-factor login on if ``code`` matches the pending secret; the new recovery
    codes (shown once), or None for a wrong code."""
    row = enrolment(session, user_id)
    if row is None or row.enabled_at is not None:
        return None
    secret = totp.decrypt_secret(secret_key, row.secret_encrypted)
    step = totp.matching_step(secret, code) if secret else None
    if step is None:
        return None
    taken = session.execute(
        update(TwoFactor)
        .where(TwoFactor.id == row.id, TwoFactor.enabled_at.is_(None))
        .values(enabled_at=utcnow(), last_used_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:  # a concurrent confirmation won
        return None
    return replace_recovery_codes(session, user_id)


def replace_recovery_codes(session: Session, user_id: int) -> list[str]:
    """Ten fresh recovery codes; every older one stops working. The enrolment row is locked
    first, so of two requests at once the second replaces the first one's codes (never
    twenty valid codes, ten of them never shown)."""
    session.execute(select(TwoFactor.id).where(TwoFactor.user_id == user_id).with_for_update())
    codes = totp.new_recovery_codes()
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.add_all(RecoveryCode(user_id=user_id, code_hash=totp.recovery_code_hash(c)) for c in codes)
    session.flush()
    return codes


def unused_recovery_codes(session: Session, user_id: int) -> int:
    statement = select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    return session.scalar(statement.select_from(RecoveryCode)) or 0


def verify(session: Session, secret_key: str, user_id: int, code: str) -> bool:
    """Take ``code`` (a TOTP code or an unused recovery code) for an enabled enrolment, once."""
    if totp.is_totp_code(code):
        row = enrolment(session, user_id)
        if row is None or row.enabled_at is None:
            return False
        secret = totp.decrypt_secret(secret_key, row.secret_encrypted)
        step = totp.matching_step(secret, code) if secret else None
        if step is None:
            return False
        statement = (
            update(TwoFactor)
            .where(TwoFactor.id == row.id, TwoFactor.last_used_step < step)
            .values(last_used_step=step)
        )
    else:
        if not is_enabled(session, user_id):
            return False
        statement = update(RecoveryCode).where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == totp.recovery_code_hash(code),
            RecoveryCode.used_at.is_(None),
        ).values(used_at=utcnow())
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount == 1


def disable(session: Session, user_id: int) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id))


def check_login_code(
    session: Session, secret_key: str, user: User, code: str | None, allow_code: Callable[[int], bool]
) -> None:
    """The API login's second step, after the password matched: nothing for an account
    without two-factor login; else 401 ``two_factor_required`` without a code, 429 over
    the code limits (``allow_code(user_id)`` counts one attempt), 401
    ``invalid_two_factor_code`` for a wrong, expired or replayed code. Commits a taken code."""
    if not is_enabled(session, user.id):
        return
    if code is None:
        raise ApiError(401, "two_factor_required", code="two_factor_required")
    if not allow_code(user.id):
        raise ApiError(429, "rate_limited")
    if not verify(session, secret_key, user.id, code):
        session.rollback()
        raise ApiError(401, "invalid_two_factor_code", code="invalid_two_factor_code")
    session.commit()


# --- the API's use cases (POST /api/v1/auth/two-factor/…): the same steps as the settings page --


def status(session: Session, user: User) -> TwoFactorStatus:
    return TwoFactorStatus(
        enabled=is_enabled(session, user.id), recovery_codes_left=unused_recovery_codes(session, user.id)
    )


def api_setup(session: Session, secret_key: str, user: User) -> TwoFactorSetup:
    """The pending secret (409 once enabled). Commits the pending row."""
    if is_enabled(session, user.id):
        raise ApiError(409, "two_factor_enabled")
    secret = pending_secret(session, secret_key, user.id)
    session.commit()
    return TwoFactorSetup(secret=secret, otpauth_uri=totp.provisioning_uri(secret, user.username))


def api_enable(
    session: Session, secret_key: str, user: User, payload: TwoFactorEnable, allow_code: Callable[[int], bool]
) -> RecoveryCodes:
    row = enrolment(session, user.id)
    check_enable(
        started=row is not None,
        enabled=row is not None and row.enabled_at is not None,
        allow_code=lambda: allow_code(user.id),
    )
    codes = confirm(session, secret_key, user.id, payload.code)
    if codes is None:
        session.rollback()
        raise ApiError(422, "invalid", {"code": MESSAGES["wrong_code"]})
    session.commit()
    return RecoveryCodes(recovery_codes=codes)


def api_disable(
    session: Session, secret_key: str, user: User, payload: TwoFactorDisable, allow_code: Callable[[int], bool]
) -> TwoFactorStatus:
    if not is_enabled(session, user.id):
        raise ApiError(409, "two_factor_not_enabled")
    if not verify_password(user.password_hash, payload.password):
        raise ApiError(422, "invalid", {"password": MESSAGES["wrong_password"]})
    if not allow_code(user.id):
        raise ApiError(429, "rate_limited")
    if not verify(session, secret_key, user.id, payload.code):
        session.rollback()
        raise ApiError(422, "invalid", {"code": MESSAGES["wrong_code"]})
    disable(session, user.id)
    session.commit()
    return TwoFactorStatus(enabled=False, recovery_codes_left=0)
