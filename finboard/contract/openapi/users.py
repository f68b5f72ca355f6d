"""OpenAPI paths of accounts: registering, logging in, and members' profiles."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.comments import CommentPage
from finboard.contract.openapi.operations import USERNAME, operation, query_parameters
from finboard.contract.pagination import PageQuery
from finboard.contract.users import LoginRequest, ProfileUpdate, Token, UserCreate, UserProfile, UserPublic

MODELS: list[type[BaseModel]] = [UserCreate, UserPublic, LoginRequest, Token, UserProfile, ProfileUpdate]


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
