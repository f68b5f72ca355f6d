"""OpenAPI paths of categories: the list, their statistics and their pinned posts."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.categories import CategoryList, CategoryStatsList
from finboard.contract.openapi.operations import SLUG, operation
from finboard.contract.posts import PinnedPosts

MODELS: list[type[BaseModel]] = [CategoryList, CategoryStatsList, PinnedPosts]


def paths() -> dict[str, Any]:
    return {
        "/api/v1/categories": {
            "get": operation("listCategories", "Every category", 200, CategoryList, (503,), description="Categories"),
        },
        "/api/v1/stats/categories": {
            "get": operation(
                "categoryStats",
                "Per category: posts, comments, distinct authors, newest post",
                200,
                CategoryStatsList,
                (503,),
                description="Statistics",
            ),
        },
    }


def pinned_paths() -> dict[str, Any]:
    return {
        "/api/v1/categories/{slug}/pinned": {
            "parameters": [SLUG],
            "get": operation("listPinned", "Pinned posts of a category", 200, PinnedPosts, (404, 503)),
        },
    }
