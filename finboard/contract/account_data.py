"""Your data through the API: asking for an export, asking to delete the account, cancelling.

``POST /users/me/export`` answers 202 (the archive is built and its link mailed by a job;
429 within an hour of the last request). ``POST /users/me/deletion`` takes the password
(and ``code`` when two-factor login is on) and the member's choice for their content; it
answers 202 with the date the account will be anonymised, and every session and token of
the account — the one that asked included — ends at once. ``DELETE /users/me/deletion``
(with a token from a new login) keeps the account: 204, or 404 when nothing is pending.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from finboard.contract.base import Input, Schema
from finboard.contract.limits import PASSWORD_MAX, TWO_FACTOR_CODE_MAX

EXPORT_ACCEPTED = "Your data is being gathered; a download link will be mailed to you."


class ExportAccepted(Schema):
    status: Literal["accepted"] = "accepted"
    message: str = EXPORT_ACCEPTED


class AccountDeletionRequest(Input):
    password: Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX)]
    code: Annotated[str, StringConstraints(min_length=1, max_length=TWO_FACTOR_CODE_MAX)] | None = Field(
        None, description="A current two-factor code or a recovery code; required when two-factor login is on."
    )
    keep_content: bool = Field(
        True, description="Keep your posts and comments, shown as by a deleted member (true), or remove them (false)."
    )


class AccountDeletionScheduled(Schema):
    delete_after: datetime = Field(description="When the account is anonymised, unless cancelled before.")
    keep_content: bool
