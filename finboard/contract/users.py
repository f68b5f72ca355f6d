"""Users and authentication: registering, logging in, the bearer token, public profiles.

``AuthorRef`` lives here too: every post, comment, report and notification
names its user by this reference.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints

from finboard.contract.base import Input, Schema
from finboard.contract.fields import Bio, Password, Role, Username
from finboard.contract.limits import EMAIL_MAX, PASSWORD_MAX, TWO_FACTOR_CODE_MAX


class AuthorRef(Schema):
    id: int
    username: str


class UserCreate(Input):
    username: Username
    email: Annotated[EmailStr, StringConstraints(max_length=EMAIL_MAX)]
    password: Password


class UserPublic(Schema):
    id: int
    username: str
    created_at: datetime


class LoginRequest(Input):
    username: Annotated[str, StringConstraints(min_length=1, max_length=EMAIL_MAX)] = Field(
        description="A username or an email address."
    )
    password: Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX)]
    code: Annotated[str, StringConstraints(min_length=1, max_length=TWO_FACTOR_CODE_MAX)] | None = Field(
        default=None,
        description="For an account with two-factor login: the 6-digit authenticator code or an unused "
        "recovery code. Without it such an account is refused with 401 `two_factor_required`; "
        "a wrong, expired or replayed code is 401 `invalid_two_factor_code`.",
    )


class Token(Schema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int


class UserProfile(Schema):
    id: int
    username: str
    role: Role
    bio: str
    created_at: datetime
    post_count: int
    comment_count: int
    suspended_until: datetime | None = Field(description="Set while the user may read but not write.")


class ProfileUpdate(Input):
    bio: Bio
