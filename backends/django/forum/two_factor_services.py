"""Two-factor login for the Django adapter's API login, in its own ORM.

The same rules as ``finboard.core.two_factor`` (the codes, the secret's encryption
and the recovery-code hashes come from ``finboard.core.totp``): each code is taken
by one conditional ``UPDATE`` (``last_used_step < step`` for a TOTP code, ``used_at
IS NULL`` for a recovery code), so it works once, even under concurrent logins.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from backends.django.forum.models import RecoveryCode, TwoFactor, User
from finboard.contract.errors import ApiError
from finboard.contract.permissions import is_moderator
from finboard.core import totp


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
