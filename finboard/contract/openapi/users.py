"""OpenAPI paths of accounts: registering, logging in, and members' profiles."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.comments import CommentPage
from finboard.contract.openapi.operations import USERNAME, operation, query_parameters
from finboard.contract.pagination import PageQuery
from finboard.contract.two_factor import (
    RecoveryCodes,
    TwoFactorDisable,
    TwoFactorEnable,
    TwoFactorSetup,
    TwoFactorStatus,
)
from finboard.contract.users import LoginRequest, ProfileUpdate, Token, UserCreate, UserProfile, UserPublic

MODELS: list[type[BaseModel]] = [
    UserCreate,
    UserPublic,
    LoginRequest,
    Token,
    UserProfile,
    ProfileUpdate,
    TwoFactorStatus,
    TwoFactorSetup,
    TwoFactorEnable,
    RecoveryCodes,
    TwoFactorDisable,
]


# Sign-up takes any address: refusing a taken one would tell whether it has an account.
REGISTERED = (
    "Created, the same for a fresh address and one another account has: the address is the "
    "account's once confirmed from the mailed link (an address another account confirmed gets "
    "no link; its owner is told instead)"
)


def auth_paths() -> dict[str, Any]:
    return {
        "/api/v1/auth/register": {
            "post": operation(
                "register",
                "Create an account",
                201,
                UserPublic,
                (400, 409, 413, 422, 429, 503),
                body=UserCreate,
                description=REGISTERED,
                error_texts={409: "The username is taken (error.fields.username); an address is never refused"},
            ),
        },
        "/api/v1/auth/login": {
            "post": operation(
                "login",
                "Exchange a username (or email) and password for a bearer token",
                200,
                Token,
                (400, 401, 413, 422, 429, 503),
                body=LoginRequest,
                description="A token",
            ),
        },
        "/api/v1/auth/two-factor": {
            "get": operation(
                "getTwoFactor", "Whether two-factor login is on", 200, TwoFactorStatus, (401, 503), auth=True
            ),
        },
        "/api/v1/auth/two-factor/setup": {
            "post": operation(
                "setUpTwoFactor",
                "Start (or resume) an enrolment: the secret to put in an authenticator app",
                200,
                TwoFactorSetup,
                (401, 409, 503),
                auth=True,
            ),
        },
        "/api/v1/auth/two-factor/enable": {
            "post": operation(
                "enableTwoFactor",
                "Confirm the enrolment with a first code: the ten recovery codes, shown once",
                200,
                RecoveryCodes,
                (400, 401, 409, 413, 422, 429, 503),
                body=TwoFactorEnable,
                auth=True,
            ),
        },
        "/api/v1/auth/two-factor/disable": {
            "post": operation(
                "disableTwoFactor",
                "Turn two-factor login off (the password and a code)",
                200,
                TwoFactorStatus,
                (400, 401, 409, 413, 422, 429, 503),
                body=TwoFactorDisable,
                auth=True,
            ),
        },
    }


def profile_paths() -> dict[str, Any]:
    return {
        "/api/v1/users/me": {
            "patch": operation(
                "updateProfile",
                "Edit your bio",
                200,
                UserProfile,
                (400, 401, 403, 413, 422, 503),
                body=ProfileUpdate,
                auth=True,
            ),
        },
        "/api/v1/users/{username}": {
            "parameters": [USERNAME],
            "get": operation("getProfile", "A member's profile", 200, UserProfile, (404, 503)),
        },
        "/api/v1/users/{username}/comments": {
            "parameters": [USERNAME],
            "get": operation(
                "listUserComments",
                "A member's comments, newest first",
                200,
                CommentPage,
                (404, 422, 503),
                query=query_parameters(PageQuery),
            ),
        },
    }
