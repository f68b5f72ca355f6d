"""OpenAPI paths of account recovery and the address: password reset, verification, change of e-mail."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.accounts import EmailChange, EmailConfirm, MailAccepted, PasswordReset, PasswordResetRequest
from finboard.contract.openapi.operations import operation

MODELS: list[type[BaseModel]] = [PasswordResetRequest, PasswordReset, EmailConfirm, EmailChange, MailAccepted]

ACCEPTED = "Accepted: the same answer whether or not the address has an account"
USED = "Done (the link is used up)"
LINK_ERRORS = (400, 413, 422, 429, 503)
CONFIRMED_FIRST = "Another account confirmed this address first (error.fields.email); nothing changed"


def paths() -> dict[str, Any]:
    def link(operation_id: str, summary: str, body: type[BaseModel], confirms: bool = False) -> dict[str, Any]:
        statuses = tuple(sorted((*LINK_ERRORS, 409))) if confirms else LINK_ERRORS
        built = operation(
            operation_id, summary, 204, None, statuses, body=body, description=USED, error_texts={409: CONFIRMED_FIRST}
        )
        return {"post": built}

    return {
        "/api/v1/auth/password-reset": {
            "post": operation(
                "requestPasswordReset",
                "Mail a password-reset link to the address's owner (else to each unconfirmed account with it), if any",
                202,
                MailAccepted,
                (400, 413, 422, 429, 503),
                body=PasswordResetRequest,
                description=ACCEPTED,
            ),
        },
        "/api/v1/auth/password-reset/confirm": link(
            "resetPassword",
            "Set a new password with a mailed link; every session and token of the account ends",
            PasswordReset,
        ),
        "/api/v1/auth/email/verify": link(
            "verifyEmail", "Confirm the account's address with a mailed link", EmailConfirm, confirms=True
        ),
        "/api/v1/auth/email/confirm": link(
            "confirmEmailChange", "Switch to a new address with the link mailed to it", EmailConfirm, confirms=True
        ),
        "/api/v1/users/me/email/verification": {
            "post": operation(
                "resendVerification",
                "Mail the verification link again (nothing when verified; when another account confirmed "
                "the address, its owner is told instead)",
                202,
                MailAccepted,
                (401, 429, 503),
                auth=True,
                description=ACCEPTED,
            ),
        },
        "/api/v1/users/me/email": {
            "post": operation(
                "changeEmail",
                "Mail a confirmation link to a new address (the current password is required; none when "
                "another account confirmed it)",
                202,
                MailAccepted,
                (400, 401, 413, 422, 429, 503),
                body=EmailChange,
                auth=True,
                description=ACCEPTED,
            ),
        },
    }
