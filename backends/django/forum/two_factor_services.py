"""Two-factor login for the Django adapter's API login, in its own ORM.

The same rules as ``finboard.core.two_factor`` (the codes, the secret's encryption
and the recovery-code hashes come from ``finboard.core.totp``): each code is taken
by one conditional ``UPDATE`` (``last_used_step < step`` for a TOTP code, ``used_at
IS NULL`` for a recovery code), so it works once, even under concurrent logins.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from backends.django.forum.models import RecoveryCode, TwoFactor, User
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
from finboard.core.security import verify_password


def _enabled(user_id: int) -> TwoFactor | None:
    return TwoFactor.objects.filter(user_id=user_id, enabled_at__isnull=False).first()


def check_staff(require_for_staff: bool, user: User) -> None:
    """``REQUIRE_2FA_FOR_STAFF``: 403 ``two_factor_enrolment_required`` for a moderator or admin without it."""
    if require_for_staff and is_moderator(user) and _enabled(user.id) is None:
        raise ApiError(403, "two_factor_enrolment_required", code="two_factor_enrolment_required")


def verify(secret_key: str, row: TwoFactor, code: str) -> bool:
    if totp.is_totp_code(code):
        secret = totp.decrypt_secret(secret_key, row.secret_encrypted)
        step = totp.matching_step(secret, code) if secret else None
        if step is None:
            return False
        taken = TwoFactor.objects.filter(id=row.id, last_used_step__lt=step).update(last_used_step=step)
    else:
        taken = RecoveryCode.objects.filter(
            user_id=row.user_id, code_hash=totp.recovery_code_hash(code), used_at__isnull=True
        ).update(used_at=timezone.now())
    return taken == 1


def check_login_code(secret_key: str, user: User, code: str | None, allow_code: Callable[[int], bool]) -> None:
    """After the password matched: 401 ``two_factor_required`` without a code, 429 over the
    code limits, 401 ``invalid_two_factor_code`` for a wrong, expired or replayed code."""
    row = _enabled(user.id)
    if row is None:
        return
    if code is None:
        raise ApiError(401, "two_factor_required", code="two_factor_required")
    if not allow_code(user.id):
        raise ApiError(429, "rate_limited")
    with transaction.atomic():
        if not verify(secret_key, row, code):
            raise ApiError(401, "invalid_two_factor_code", code="invalid_two_factor_code")


# --- the API's enrolment (POST /api/v1/auth/two-factor/…), as finboard.core.two_factor's api_* ---


def _unused_codes(user_id: int) -> int:
    return RecoveryCode.objects.filter(user_id=user_id, used_at__isnull=True).count()


def status(user: User) -> TwoFactorStatus:
    return TwoFactorStatus(enabled=_enabled(user.id) is not None, recovery_codes_left=_unused_codes(user.id))


def setup(secret_key: str, user: User) -> TwoFactorSetup:
    """The pending secret, created on first call (a concurrent first call's row is reused)."""
    row = TwoFactor.objects.filter(user_id=user.id).first()
    if row is not None and row.enabled_at is not None:
        raise ApiError(409, "two_factor_enabled")
    secret = totp.decrypt_secret(secret_key, row.secret_encrypted) if row is not None else None
    if secret is None:
        secret = totp.new_secret()
        encrypted = totp.encrypt_secret(secret_key, secret)
        try:
            with transaction.atomic():
                TwoFactor.objects.update_or_create(
                    user_id=user.id, enabled_at=None, defaults={"secret_encrypted": encrypted}
                )
        except IntegrityError:
            return setup(secret_key, user)
    return TwoFactorSetup(secret=secret, otpauth_uri=totp.provisioning_uri(secret, user.username))


def _new_recovery_codes(user_id: int) -> list[str]:
    list(TwoFactor.objects.select_for_update().filter(user_id=user_id).values_list("id"))
    codes = totp.new_recovery_codes()
    RecoveryCode.objects.filter(user_id=user_id).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user_id=user_id, code_hash=totp.recovery_code_hash(c), created_at=timezone.now()) for c in codes
    )
    return codes


def enable(secret_key: str, user: User, payload: TwoFactorEnable, allow_code: Callable[[int], bool]) -> RecoveryCodes:
    row = TwoFactor.objects.filter(user_id=user.id).first()
    check_enable(
        started=row is not None,
        enabled=row is not None and row.enabled_at is not None,
        allow_code=lambda: allow_code(user.id),
    )
    secret = totp.decrypt_secret(secret_key, row.secret_encrypted)
    step = totp.matching_step(secret, payload.code) if secret else None
    with transaction.atomic():
        taken = step is not None and TwoFactor.objects.filter(id=row.id, enabled_at__isnull=True).update(
            enabled_at=timezone.now(), last_used_step=step
        )
        if not taken:
            raise ApiError(422, "invalid", {"code": MESSAGES["wrong_code"]})
        codes = _new_recovery_codes(user.id)
    return RecoveryCodes(recovery_codes=codes)


def disable(
    secret_key: str, user: User, payload: TwoFactorDisable, allow_code: Callable[[int], bool]
) -> TwoFactorStatus:
    row = _enabled(user.id)
    if row is None:
        raise ApiError(409, "two_factor_not_enabled")
    if not verify_password(user.password_hash, payload.password):
        raise ApiError(422, "invalid", {"password": MESSAGES["wrong_password"]})
    if not allow_code(user.id):
        raise ApiError(429, "rate_limited")
    with transaction.atomic():
        if not verify(secret_key, row, payload.code):
            raise ApiError(422, "invalid", {"code": MESSAGES["wrong_code"]})
        RecoveryCode.objects.filter(user_id=user.id).delete()
        TwoFactor.objects.filter(user_id=user.id).delete()
    return TwoFactorStatus(enabled=False, recovery_codes_left=0)
