"""Account recovery and the address: password reset, e-mail verification, e-mail change.

The answers that start a mail (a reset asked for, a verification resent, a change of
address asked for) are the same whatever the address: ``202`` with :class:`MailAccepted`,
so no answer tells whether an address has an account (nor does sign-up: it takes any
address, and only a confirmation makes an address an account's). A link's token that is
tampered with, expired or already used is a ``422`` naming ``token`` (code
``invalid_token``); confirming an address another account confirmed first is a ``409``
naming ``email``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import EmailStr, StringConstraints

from finboard.contract.base import Input, Schema
from finboard.contract.errors import ApiError
from finboard.contract.fields import Password
from finboard.contract.limits import EMAIL_MAX, PASSWORD_MAX

# Longer than any token FinBoard makes (finboard.core.account_tokens), so a longer one is refused unread.
TOKEN_MAX = 512

Token = Annotated[str, StringConstraints(min_length=1, max_length=TOKEN_MAX)]
Email = Annotated[EmailStr, StringConstraints(max_length=EMAIL_MAX)]

MAIL_ACCEPTED = "If the address belongs to an account, a mail with a link is on its way."
TOKEN_MESSAGES = {
    "invalid": "This link is not valid. Ask for a new one.",
    "expired": "This link has expired. Ask for a new one.",
    "used": "This link has already been used or is no longer valid. Ask for a new one.",
}
WRONG_PASSWORD = "That is not your current password."  # noqa: S105 - a message
ADDRESS_TAKEN = "That address now belongs to another account."
# Said only to whoever followed a verification link, i.e. to the mailbox's holder.
ADDRESS_CONFIRMED_ELSEWHERE = (
    "Another account confirmed this address first. Sign in to that account (or reset its password), "
    "or give this account another address."
)


class PasswordResetRequest(Input):
    email: Email


class PasswordReset(Input):
    token: Token
    password: Password


class EmailConfirm(Input):
    token: Token


class EmailChange(Input):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX)]


class MailAccepted(Schema):
    status: Literal["accepted"] = "accepted"
    message: str = MAIL_ACCEPTED


def token_error(reason: str) -> ApiError:
    """The answer to a link that cannot be used (``reason``: invalid, expired, used)."""
    return ApiError(422, "invalid", {"token": TOKEN_MESSAGES[reason]}, code="invalid_token")


def address_taken() -> ApiError:
    """A new address confirmed by its link after another account confirmed it."""
    return ApiError(409, "conflict", {"email": ADDRESS_TAKEN})


def address_confirmed_elsewhere() -> ApiError:
    """A sign-up address confirmed by its link after another account confirmed it."""
    return ApiError(409, "conflict", {"email": ADDRESS_CONFIRMED_ELSEWHERE})


def wrong_password() -> ApiError:
    return ApiError(422, "invalid", {"password": WRONG_PASSWORD})
