"""OpenAPI paths of reactions on posts and comments (finboard.contract.reactions)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.openapi.operations import POST_ID, id_parameter, operation
from finboard.contract.reactions import (
    REACTION_EMOJI,
    REACTION_KINDS,
    ReactionSet,
    ReactionState,
    TrendingList,
)

MODELS: list[type[BaseModel]] = [ReactionSet, ReactionState, TrendingList]
TRENDING = (
    "Tickers ranked by activity (mentions + reactions on posts mentioning them) in the last 24 hours "
    "divided by (their daily average over the 7 days before + 1); at least 2 to appear; 10 at most. "
    "Recomputed at most once a minute (cached until then or until the next write)."
)
COMMENT_ID = id_parameter("comment_id")
SET_ERRORS = (400, 401, 403, 404, 413, 422, 429, 503)
REMOVE_ERRORS = (401, 403, 404, 429, 503)
RULES = (
    "One reaction per member per item: the same kind again changes nothing, another kind replaces it. "
    f"Kinds: {', '.join(f'{k} {REACTION_EMOJI[k]}' for k in REACTION_KINDS)}. A hidden or deleted item is a 404 "
    "and nothing is written; a suspended member gets 403; over REACTION_LIMIT_PER_ACCOUNT (60/minute) a 429."
)


def _item(noun: str, suffix: str, parameter: dict[str, Any]) -> dict[str, Any]:
    return {
        "parameters": [parameter],
        "get": operation(
            f"get{noun}Reactions",
            f"Reactions on a {noun.lower()} (mine: with a bearer token)",
            200,
            ReactionState,
            (401, 404, 503),
        ),
        "post": operation(
            f"react{suffix}",
            f"Set your reaction on a {noun.lower()}",
            200,
            ReactionState,
            SET_ERRORS,
            body=ReactionSet,
            auth=True,
            description=RULES,
        ),
        "delete": operation(
            f"unreact{suffix}",
            f"Remove your reaction from a {noun.lower()}",
            200,
            ReactionState,
            REMOVE_ERRORS,
            auth=True,
        ),
    }


def paths() -> dict[str, Any]:
    return {
        "/api/v1/posts/{post_id}/reactions": _item("Post", "ToPost", POST_ID),
        "/api/v1/comments/{comment_id}/reactions": _item("Comment", "ToComment", COMMENT_ID),
        "/api/v1/trending": {
            "get": operation("getTrending", "Trending tickers", 200, TrendingList, (503,), description=TRENDING),
        },
    }
