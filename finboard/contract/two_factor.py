"""Two-factor login through the API: its state, enrolment and turning it off.

The forum's settings page does the same (finboard/members/settings_pages.py). A secret
is returned only by ``setup`` while the enrolment is unconfirmed; recovery codes only by
``enable`` (once). Every code is counted by the shared code limiter (429).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import Field, StringConstraints

from finboard.contract.base import Input, Schema
from finboard.contract.errors import ApiError
from finboard.contract.limits import PASSWORD_MAX, TWO_FACTOR_CODE_MAX

Code = Annotated[str, StringConstraints(min_length=1, max_length=TWO_FACTOR_CODE_MAX)]


class TwoFactorStatus(Schema):
    enabled: bool
    recovery_codes_left: int


class TwoFactorSetup(Schema):
    secret: str = Field(description="The base32 TOTP key (30-second steps, 6 digits, SHA-1).")
    otpauth_uri: str = Field(description="The same key as an otpauth:// URI, what the QR code holds.")


class TwoFactorEnable(Input):
    code: Code = Field(description="A current code from the authenticator holding the setup's secret.")


class RecoveryCodes(Schema):
    recovery_codes: list[str] = Field(description="Ten single-use codes, shown only this once.")


class TwoFactorDisable(Input):
    password: Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX)]
    code: Code


def check_enable(*, started: bool, enabled: bool, allow_code: Callable[[], bool]) -> None:
    """Refuse confirming an enrolment in the order every backend answers: nothing started (409),
    already on (409), then over the code limit (429) — the limit is spent only by a real attempt."""
    if not started:
        raise ApiError(409, "two_factor_not_started")
    if enabled:
        raise ApiError(409, "two_factor_enabled")
    if not allow_code():
        raise ApiError(429, "rate_limited")
